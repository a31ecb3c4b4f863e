/**
 * Export: the classroom's session record as NDJSON lines, read from Redis page by page and never
 * held whole: the header, then the change log and the record stream merged by entry id (see
 * server/store/record.ts), then the end line with the count. The export stops at the
 * resourceVersion the classroom had when it began, so a running classroom exports a consistent prefix.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { LOG_FORMAT, LOG_FORMAT_VERSION, changeEntryOf, type LogHeader } from '@shared/protocol';
import { RefusalError } from '../classroom/refusal-error';
import type { RedisClient } from '../redis/connect';
import { decodeLogEntry, readRecordEntries, resourceVersionOfEntry, storeKeys } from '../store';

const PAGE = 500;

/** ClusterPlay's version, as package.json names it. */
export const CLUSTERPLAY_VERSION: string = z
  .object({ version: z.string() })
  .parse(JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'))).version;

const StreamEntriesSchema = z.array(z.object({ id: z.string(), message: z.record(z.string(), z.string()) }));

interface Keyed {
  ms: number;
  seq: number;
  line: string;
}

function idParts(id: string): { ms: number; seq: number } {
  const dash = id.indexOf('-');
  return { ms: Number(id.slice(0, dash)), seq: Number(id.slice(dash + 1)) };
}

/** One stream's lines in id order, read a page at a time. */
async function* pages(read: (afterId: string) => Promise<Keyed[]>): AsyncGenerator<Keyed> {
  let after = '0-0';
  for (;;) {
    const page = await read(after);
    yield* page;
    const last = page[page.length - 1];
    if (!last || page.length < PAGE) return;
    after = `${last.ms}-${last.seq}`;
  }
}

export interface ExportSource {
  redis: RedisClient;
  keyPrefix: string;
  classroom: { id: string; title: string };
}

/**
 * The lines of the export (without newlines). Refuses with 410 Expired, before the first line,
 * when the change log no longer reaches back to the classroom's first change.
 */
export async function exportLines({ redis, keyPrefix, classroom }: ExportSource): Promise<AsyncGenerator<string>> {
  const keys = storeKeys(keyPrefix, classroom.id);
  const [rv, first] = z.tuple([z.string().nullable(), StreamEntriesSchema]).parse(await redis.multi().get(keys.rv).xRange(keys.log, '-', '+', { COUNT: 1 }).exec());
  const upTo = Number(rv ?? 0);
  const oldest = first[0] ? resourceVersionOfEntry(first[0].id) : upTo + 1;
  if (oldest > 1) {
    throw new RefusalError('Expired', `the change log of this classroom no longer reaches back to its start (its oldest change is resourceVersion ${oldest}): it cannot be exported whole`);
  }
  const header: LogHeader = { format: LOG_FORMAT, formatVersion: LOG_FORMAT_VERSION, clusterplayVersion: CLUSTERPLAY_VERSION, classroom, exportedAt: Date.now() };

  const changes = pages(async (after) => {
    if (upTo === 0) return [];
    const entries = StreamEntriesSchema.parse(await redis.xRange(keys.log, `(${after}`, `${upTo}-0`, { COUNT: PAGE }));
    return entries.map(({ id, message }) => ({ ...idParts(id), line: JSON.stringify(changeEntryOf(decodeLogEntry(id, message))) }));
  });
  const records = pages(async (after) => {
    const entries = await readRecordEntries(redis, keys.record, after, PAGE);
    return entries
      .map(({ id, json }) => ({ ...idParts(id), json }))
      .filter((e) => e.ms <= upTo)
      .map(({ ms, seq, json }) => {
        const { t, ...rest } = z.looseObject({ t: z.string() }).parse(JSON.parse(json));
        return { ms, seq, line: JSON.stringify({ t, resourceVersion: String(ms), ...rest }) };
      });
  });

  return (async function* merged() {
    yield JSON.stringify(header);
    let count = 0;
    let change = await changes.next();
    let record = await records.next();
    while (!change.done || !record.done) {
      const takeChange = record.done || (!change.done && (change.value.ms < record.value.ms || (change.value.ms === record.value.ms && change.value.seq < record.value.seq)));
      if (takeChange && !change.done) {
        yield change.value.line;
        change = await changes.next();
      } else if (!record.done) {
        yield record.value.line;
        record = await records.next();
      }
      count++;
    }
    yield JSON.stringify({ t: 'end', entries: count });
  })();
}
