/**
 * Export: the classroom's session record as NDJSON lines, never held whole: the header, the
 * compacted segments from disk (see compaction.ts), then the change log and the record stream
 * merged by entry id (record-lines.ts), then the end line with the count. The export stops at the
 * resourceVersion the classroom had when it began, so a running classroom exports a consistent
 * prefix; it holds a lease meanwhile, so compaction does not move what it is about to read.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { LOG_FORMAT, LOG_FORMAT_VERSION, type LogHeader } from '@shared/protocol';
import { RefusalError } from '../classroom/refusal-error';
import { resourceVersionOfEntry, storeKeys } from '../store';
import { compactionStateOf, segmentDir, type ReplayFiles } from './compaction';
import { readGzipLines } from './gzip-lines';
import { compactionKeys } from './keys';
import { recordLines } from './record-lines';

/** ClusterPlay's version, as package.json names it. */
export const CLUSTERPLAY_VERSION: string = z
  .object({ version: z.string() })
  .parse(JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'))).version;

/** How long an export's lease lasts without renewal; it is renewed before every page and segment. */
const LEASE_MS = 60_000;

const Read = z.tuple([z.string().nullable(), z.array(z.object({ id: z.string() })), z.record(z.string(), z.string())]);

export interface ExportSource extends ReplayFiles {
  classroom: { id: string; title: string };
}

/**
 * The lines of the export (without newlines). Refuses with 410 Expired, before the first line,
 * when the record no longer reaches back to the classroom's first change.
 */
export async function exportLines({ redis, keyPrefix, dataDir, classroom }: ExportSource): Promise<AsyncGenerator<string>> {
  const keys = storeKeys(keyPrefix, classroom.id);
  const ck = compactionKeys(keyPrefix, classroom.id);
  const lease = randomUUID();
  const renew = async () => void (await redis.zAdd(ck.exports, { score: Date.now() + LEASE_MS, value: lease }));
  const release = async () => void (await redis.zRem(ck.exports, lease).catch(() => 0));
  await renew();
  let upTo: number;
  let state: ReturnType<typeof compactionStateOf>;
  try {
    const [rv, first, hash] = Read.parse(await redis.multi().get(keys.rv).xRange(keys.log, '-', '+', { COUNT: 1 }).hGetAll(ck.compaction).exec());
    upTo = Number(rv ?? 0);
    state = compactionStateOf(hash);
    const oldest = first[0] ? resourceVersionOfEntry(first[0].id) : upTo + 1;
    if (oldest > state.through + 1) {
      throw new RefusalError('Expired', `the change log of this classroom no longer reaches back to its start (its oldest change is resourceVersion ${oldest}): it cannot be exported whole`);
    }
  } catch (error) {
    await release();
    throw error;
  }
  const header: LogHeader = { format: LOG_FORMAT, formatVersion: LOG_FORMAT_VERSION, clusterplayVersion: CLUSTERPLAY_VERSION, classroom, exportedAt: Date.now() };
  const folder = segmentDir(dataDir, keyPrefix, classroom.id);

  return (async function* lines() {
    try {
      yield JSON.stringify(header);
      let count = 0;
      for (const segment of state.segments) {
        await renew();
        for await (const line of readGzipLines(path.join(folder, segment.name))) {
          yield line;
          count++;
        }
      }
      for await (const line of recordLines(redis, keys, { afterResourceVersion: state.through, upTo, onPage: renew })) {
        yield line;
        count++;
      }
      yield JSON.stringify({ t: 'end', entries: count });
    } finally {
      await release();
    }
  })();
}
