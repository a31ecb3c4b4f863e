import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { makePod } from '@shared/model';
import type { ApiRequestEntry } from '@shared/protocol';
import { exportLines } from '../replay/export-log';
import { as, newClassroom, openStore, type OpenStore } from './testing/fixture';
import { readRecordEntries } from './record';

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
});
