import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiRequestEntry } from '@shared/protocol';
import { newClassroom, openStore, type OpenStore } from './testing/fixture';

let open: OpenStore;
beforeAll(async () => {
  open = await openStore({ requestLogRetention: 5 });
});
afterAll(() => open.close());

function entry(i: number, outcome: ApiRequestEntry['outcome']): ApiRequestEntry {
  const base = { id: `r${i}`, wallTime: 1000 + i, simTime: i, actor: 'student:ada', actorName: 'Ada', role: 'scheduler', verb: 'bind', target: `pods/web-${i}` };
  return outcome === 'accepted'
    ? { ...base, outcome, message: `Successfully assigned default/web-${i} to node-1` }
    : { ...base, outcome, code: 'Conflict', message: 'Operation cannot be fulfilled on pods "web-1": the object has been modified; please apply your changes to the latest version and try again' };
}

describe('the API request log', () => {
  it('keeps accepted and refused requests in order and reads back the last N', async () => {
    const classroom = newClassroom();
    for (let i = 1; i <= 4; i++) await open.store.appendRequestLog(classroom, entry(i, i % 2 ? 'accepted' : 'refused'));
    expect(await open.store.readRequestLog(classroom, 2)).toEqual([entry(3, 'accepted'), entry(4, 'refused')]);
    expect((await open.store.readRequestLog(classroom, 10)).map((e) => e.id)).toEqual(['r1', 'r2', 'r3', 'r4']);
  });

  it('is capped: old requests are trimmed while the last ones stay readable', async () => {
    const classroom = newClassroom();
    for (let i = 1; i <= 400; i++) await open.store.appendRequestLog(classroom, entry(i, 'accepted'));
    expect(await open.redis.xLen(open.store.keys(classroom).requests)).toBeLessThan(400);
    expect((await open.store.readRequestLog(classroom, 3)).map((e) => e.id)).toEqual(['r398', 'r399', 'r400']);
  });

  it('refuses a malformed entry', async () => {
    const bad = { ...entry(1, 'refused'), code: 'Nope' } as unknown as ApiRequestEntry;
    await expect(open.store.appendRequestLog(newClassroom(), bad)).rejects.toThrow();
  });
});
