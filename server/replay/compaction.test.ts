import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { makePod } from '@shared/model';
import type { ApiRequestEntry } from '@shared/protocol';
import { isApiError } from '../store';
import { as, newClassroom, openStore, type OpenStore } from '../store/testing/fixture';
import { compactClassroom, segmentDir, type CompactionOptions } from './compaction';
import { exportLines } from './export-log';

let open: OpenStore;
let dataDir: string;
const keyPrefix = inject('redisKeyPrefix');
const options: CompactionOptions = { tail: 100, chunk: 100 };

beforeAll(async () => {
  open = await openStore();
  dataDir = await mkdtemp(path.join(tmpdir(), 'clusterplay-compaction-'));
});
afterAll(async () => {
  await open.close();
  await rm(dataDir, { recursive: true, force: true });
});

const files = () => ({ redis: open.redis, keyPrefix, dataDir });

/** The export's lines; the header's export time is the only line that may differ between two exports. */
async function exported(classroom: string): Promise<string[]> {
  const lines: string[] = [];
  for await (const line of await exportLines({ ...files(), classroom: { id: classroom, title: 'T' } })) lines.push(line);
  const header = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
  return [JSON.stringify({ ...header, exportedAt: 0 }), ...lines.slice(1)];
}

/** `changes` writes, with a request after every second change and a round marker every 50. */
async function play(classroom: string, from: number, changes: number): Promise<void> {
  for (let i = from; i < from + changes; i++) {
    const name = `web-${i % 20}`;
    if (i < 20) await open.store.create(classroom, makePod(name), as('instructor', i));
    else await open.store.patch(classroom, { kind: 'Pod', name }, { metadata: { annotations: { step: String(i) } } }, as('bot:scheduler', i));
    if (i % 2 === 0) {
      const entry: ApiRequestEntry = { id: `r${i}`, wallTime: i, simTime: i, actor: 'bot:scheduler', actorName: 'bot', role: 'scheduler', verb: 'bind', target: `pods/${name}`, outcome: i % 3 ? 'accepted' : 'refused', message: 'm' };
      if (i % 3 === 0) entry.code = 'Conflict';
      await open.store.appendRequestLog(classroom, entry);
    }
    if (i % 50 === 0) await open.store.appendMarker(classroom, { kind: 'step', label: `step ${i}` }, as('system:rounds', i));
  }
}

async function redisSize(classroom: string): Promise<{ changes: number; records: number; bytes: number }> {
  const keys = open.store.keys(classroom);
  const [changes, records, logBytes, recordBytes] = await Promise.all([open.redis.xLen(keys.log), open.redis.xLen(keys.record), open.redis.memoryUsage(keys.log), open.redis.memoryUsage(keys.record)]);
  return { changes, records, bytes: (logBytes ?? 0) + (recordBytes ?? 0) };
}

describe('compaction of a running classroom', () => {
  it('keeps the Redis record under its bound, and the export still starts at entry 1 and equals the uncompacted export', { timeout: 60_000 }, async () => {
    const classroom = newClassroom();
    await open.store.appendMarker(classroom, { kind: 'roundStart', label: 'Round 1' }, as('system:rounds', 0));
    await play(classroom, 0, 1000);
    const uncompacted = await exported(classroom);
    const before = await redisSize(classroom);
    expect(before.changes).toBe(1000);

    // Under an export in progress, nothing moves: the export read the state once and reads Redis from there.
    const reading = await exportLines({ ...files(), classroom: { id: classroom, title: 'T' } });
    await reading.next();
    expect(await compactClassroom(files(), classroom, options)).toBeNull();
    for await (const _ of reading);

    const segment = await compactClassroom(files(), classroom, options);
    expect(segment).toMatchObject({ from: 1, to: 900 });
    // One sweep moves all but the tail; the next finds too little to move.
    expect(await compactClassroom(files(), classroom, options)).toBeNull();
    const after = await redisSize(classroom);
    expect(after.changes).toBe(options.tail);
    expect(after.bytes).toBeLessThan(before.bytes / 5);
    expect(await readdir(segmentDir(dataDir, keyPrefix, classroom))).toEqual([segment?.name]);

    const compacted = await exported(classroom);
    expect(JSON.parse(compacted[1] ?? '{}')).toMatchObject({ t: 'marker', resourceVersion: '0', marker: { label: 'Round 1' } });
    expect(JSON.parse(compacted[2] ?? '{}')).toMatchObject({ t: 'change', type: 'ADDED', resourceVersion: '1' });
    expect(compacted).toEqual(uncompacted);

    // The store's objects are the snapshot: a watcher older than the tail lists again (410), one within it resumes.
    const stale = await open.store.readLog(classroom, '0', 10).catch((e: unknown) => e);
    expect(isApiError(stale, 'Expired')).toBe(true);
    expect((await open.store.readLog(classroom, '900', 10)).map((e) => e.resourceVersion)).toEqual(['901', '902', '903', '904', '905', '906', '907', '908', '909', '910']);

    // Running on, swept every 50 changes: never more than tail + chunk + 50 changes in Redis, and the export grows by exactly what was added.
    const bound = options.tail + options.chunk + 50;
    let most = 0;
    for (let at = 1000; at < 1600; at += 50) {
      await play(classroom, at, 50);
      const size = await redisSize(classroom);
      most = Math.max(most, size.changes);
      expect(size.changes).toBeLessThanOrEqual(bound);
      expect(size.bytes).toBeLessThan(before.bytes * (bound / 1000) * 1.2);
      await compactClassroom(files(), classroom, options);
    }
    expect(most).toBe(options.tail + options.chunk);
    const grown = await exported(classroom);
    expect(grown.slice(0, uncompacted.length - 1)).toEqual(uncompacted.slice(0, -1));
    expect(grown.filter((l) => l.startsWith('{"t":"change"')).map((l) => Number((JSON.parse(l) as { resourceVersion: string }).resourceVersion))).toEqual(Array.from({ length: 1600 }, (_, i) => i + 1));
    expect(JSON.parse(grown.at(-1) ?? '{}')).toEqual({ t: 'end', entries: grown.length - 2 });
  });
});
