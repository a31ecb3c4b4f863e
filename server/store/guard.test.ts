import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePod } from '@shared/model';
import { GuardMoved } from './guard';
import { as, newClassroom, openStore, type OpenStore } from './testing/fixture';

let open: OpenStore;
beforeAll(async () => {
  open = await openStore();
});
afterAll(() => open.close());

/** A key of the classroom (same hash tag), as the classroom's seat version is. */
const guardKey = (classroom: string): string => `${open.store.keys(classroom).rv}:test-guard`;

describe('a guarded write commits only while its guard holds, checked in its own script', () => {
  it('create, update and delete: written while the key holds the value (a missing key holds 0); refused with nothing written once it moved, also when there was nothing to write', async () => {
    const { store, redis } = open;
    const classroom = newClassroom();
    const key = guardKey(classroom);
    const pod = await store.create(classroom, makePod('web-1'), { ...as('bot:controller-manager'), guard: { key, value: '0' } });
    await redis.set(key, '1');
    const held = { ...as('bot:scheduler'), guard: { key, value: '1' } };
    const bound = await store.apply(classroom, { verb: 'bind', kind: 'Pod', name: 'web-1', namespace: 'default', node: 'node-1' }, held);
    expect(bound.kind === 'Pod' && bound.spec.nodeName).toBe('node-1');

    await redis.incr(key);
    const rv = await store.resourceVersion(classroom);
    const moved = { ...as('bot:scheduler'), guard: { key, value: '1' } };
    await expect(store.update(classroom, { ...bound, metadata: { ...bound.metadata, labels: { a: 'b' } } }, moved)).rejects.toBeInstanceOf(GuardMoved);
    await expect(store.update(classroom, bound, moved)).rejects.toBeInstanceOf(GuardMoved);
    await expect(store.delete(classroom, { kind: 'Pod', name: 'web-1' }, moved)).rejects.toBeInstanceOf(GuardMoved);
    await expect(store.create(classroom, makePod('web-2'), moved)).rejects.toBeInstanceOf(GuardMoved);
    expect(await store.resourceVersion(classroom)).toBe(rv);
    expect(await store.readLog(classroom, pod.metadata.resourceVersion, 100)).toHaveLength(1);
    expect(await store.get(classroom, { kind: 'Pod', name: 'web-1' })).toEqual(bound);
  });
});
