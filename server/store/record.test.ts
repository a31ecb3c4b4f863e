import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { makePod } from '@shared/model';
import type { ApiRequestEntry } from '@shared/protocol';
import { exportLines } from '../replay/export-log';
import { as, newClassroom, openStore, type OpenStore } from './testing/fixture';
import { waitFor } from '../testing/wait';
import { readRecordEntries, requestRecordJson } from './record';
import type { LoggedRequest, WriteContext } from './object-store';

let open: OpenStore;
beforeAll(async () => {
  open = await openStore();
});
afterAll(() => open.close());

const request: ApiRequestEntry = { id: 'r1', wallTime: 1, simTime: 2, actor: 'bot:scheduler', actorName: 'bot', role: 'scheduler', verb: 'bind', target: 'pods/web-1', outcome: 'refused', code: 'Conflict', message: 'stale' };

describe('the session record', () => {
  it('places requests, markers and room changes after the change before them, in the order they were recorded', async () => {
    const classroom = newClassroom();
    await open.store.appendMarker(classroom, { kind: 'roundStart', label: 'Round 1' }, as('system:rounds', 5));
    await open.store.create(classroom, makePod('web-1'), as('instructor'));
    await open.store.appendRequestLog(classroom, request);
    await open.store.appendMarker(classroom, { kind: 'goal', label: 'web-1 exists' }, as('system:rounds', 7));
    await open.store.create(classroom, makePod('web-2'), as('instructor'));
    const ids = (await readRecordEntries(open.redis, open.store.keys(classroom).record, '0-0', 10)).map((e) => e.id);
    expect(ids).toEqual(['0-1', '1-1', '1-2']);
    // The live request log keeps getting them too.
    expect(await open.store.readRequestLog(classroom, 5)).toEqual([request]);

    const lines: string[] = [];
    for await (const line of await exportLines({ redis: open.redis, keyPrefix: inject('redisKeyPrefix'), dataDir: '.data/replay-test', classroom: { id: classroom, title: 'T' } })) lines.push(line);
    const entries = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(entries.map((e) => [e['t'] ?? 'header', e['resourceVersion']])).toEqual([
      ['header', undefined],
      ['marker', '0'],
      ['change', '1'],
      ['request', '1'],
      ['marker', '1'],
      ['change', '2'],
      ['end', undefined],
    ]);
    expect(entries[4]).toMatchObject({ marker: { kind: 'goal', label: 'web-1 exists' }, actor: 'system:rounds', simTime: 7 });
    expect(entries[3]).toMatchObject({ entry: request, actor: 'bot:scheduler', simTime: 2, wallTime: 1 });
    expect(entries.at(-1)).toEqual({ t: 'end', entries: 5 });
  });

  it('writes a move\'s entry with its change in one script: request log, record right after the change, and every watcher gets the two together', async () => {
    const classroom = newClassroom();
    const watcher = await openStore();
    try {
      const seen: { versions: string[]; requests: ApiRequestEntry[] }[] = [];
      const stop = await watcher.store.watch(classroom, '0', (events, requests) => seen.push({ versions: events.map((e) => e.resourceVersion), requests }));
      await open.store.create(classroom, makePod('solo'), as('instructor'));
      const accepted: ApiRequestEntry = { ...request, id: 'r2', outcome: 'accepted', message: 'Successfully assigned default/web-1 to node-1' };
      delete accepted.code;
      const context: WriteContext & { request: LoggedRequest } = { ...as('bot:scheduler'), request: { entry: accepted } };
      const written = await open.store.create(classroom, makePod('web-1'), context);
      expect(context.request.committedAt).toBe(written.metadata.resourceVersion);
      expect(written.metadata.resourceVersion).toBe('2');
      // A write that changes nothing writes no entry.
      const unchanged: WriteContext & { request: LoggedRequest } = { ...as('bot:scheduler'), request: { entry: { ...accepted, id: 'r3' } } };
      await open.store.update(classroom, written, unchanged);
      expect(unchanged.request).not.toHaveProperty('committedAt');

      await waitFor(() => seen.flatMap((s) => s.versions).length === 2, { what: 'both changes watched' });
      expect(seen.flatMap((s) => s.requests)).toEqual([accepted]);
      expect(seen.find((s) => s.requests.length)?.versions).toContain('2');
      expect(await open.store.readRequestLog(classroom, 5)).toEqual([accepted]);
      const record = await readRecordEntries(open.redis, open.store.keys(classroom).record, '0-0', 10);
      expect(record.map((e) => e.id)).toEqual(['2-1']);
      expect(JSON.parse(record[0]?.json ?? '')).toEqual({ t: 'request', entry: accepted, actor: 'bot:scheduler', simTime: 2, wallTime: 1 });
      stop();
    } finally {
      await watcher.close();
    }
  });

  it("a request's record entry is written as JSON.stringify writes it, from the request's JSON made for the request log", () => {
    const entry: ApiRequestEntry = { ...request, actor: 'student:"ada" \u00e9\n', actorName: 'Ada "the" \u2028', simTime: 1.5e21, wallTime: 1733000000123 };
    expect(requestRecordJson(entry, JSON.stringify(entry))).toBe(JSON.stringify({ t: 'request', entry, actor: entry.actor, simTime: entry.simTime, wallTime: entry.wallTime }));
  });
});
