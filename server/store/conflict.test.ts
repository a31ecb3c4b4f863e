import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { makePod, validateObject } from '@shared/model';
import { monitorKey } from '../testing/key-monitor';
import { isApiError } from './api-error';
import { decodeObject } from './encoding';
import { as, collector, newClassroom, openStore, type OpenStore } from './testing/fixture';

let stores: OpenStore[];
beforeAll(async () => {
  // Five API server instances, each with its own connection, racing as five processes would.
  stores = await Promise.all(Array.from({ length: 5 }, () => openStore()));
});
afterAll(() => Promise.all(stores.map((s) => s.close())));

describe('optimistic concurrency (Kubernetes resourceVersion preconditions)', () => {
  it('50 concurrent updates of one pod carrying the same resourceVersion: exactly 1 succeeds, 49 get Conflict, the log holds one entry', async () => {
    const classroom = newClassroom();
    const [first] = stores as [OpenStore];
    const pod = await first.store.create(classroom, makePod('web-1'), as('bot:controller-manager'));
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) =>
        (stores[i % stores.length] as OpenStore).store.update(classroom, { ...pod, spec: { ...pod.spec, nodeName: `node-${i}` } }, as(`student:${i}`)),
      ),
    );
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(49);
    for (const error of lost) {
      expect(isApiError(error, 'Conflict') && error.message).toBe(
        'Operation cannot be fulfilled on pods "web-1": the object has been modified; please apply your changes to the latest version and try again',
      );
    }
    const log = await first.store.readLog(classroom, pod.metadata.resourceVersion, 100);
    expect(log).toHaveLength(1);
    const stored = await first.store.get(classroom, { kind: 'Pod', name: 'web-1' });
    // The one entry is exactly the write that won, and it is what is stored.
    expect(log[0]?.object).toEqual(stored);
    expect(won[0]?.status === 'fulfilled' && won[0].value).toEqual(stored);
  });

  it('[pods/binding] 20 concurrent binds of one pod without a resourceVersion: each is decided again on the latest version, 1 binds, 19 find it already assigned', async () => {
    const classroom = newClassroom();
    const [first] = stores as [OpenStore];
    const pod = await first.store.create(classroom, makePod('web-1'), as('bot:controller-manager'));
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        (stores[i % stores.length] as OpenStore).store.apply(classroom, { verb: 'bind', kind: 'Pod', name: 'web-1', namespace: 'default', node: `node-${i}` }, as(`student:${i}`)),
      ),
    );
    const won = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const lost = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
    expect(won).toHaveLength(1);
    const node = won[0]?.kind === 'Pod' ? won[0].spec.nodeName : undefined;
    for (const error of lost) {
      expect(isApiError(error, 'Conflict') && error.message).toBe(`Operation cannot be fulfilled on pods/binding "web-1": pod web-1 is already assigned to node "${node}"`);
    }
    expect(await first.store.readLog(classroom, pod.metadata.resourceVersion, 100)).toHaveLength(1);
  });

  it('an update equal to a cached copy that another process has since changed is still written (a no-op is decided on Redis, not the cache)', async () => {
    const classroom = newClassroom();
    const [a, b] = stores as [OpenStore, OpenStore];
    const pod = await a.store.create(classroom, makePod('web-1', { labels: { app: 'web' } }), as('a'));
    await b.store.patch(classroom, { kind: 'Pod', name: 'web-1' }, { metadata: { labels: { app: 'db' } } }, as('b'));
    const back = await a.store.update(classroom, { ...pod, metadata: { ...pod.metadata, resourceVersion: undefined } }, as('a'));
    expect(back.metadata).toMatchObject({ labels: { app: 'web' }, resourceVersion: '3' });
  });

  it('unconditional patches from many writers all apply: each is retried on the latest version', async () => {
    const classroom = newClassroom();
    const [first] = stores as [OpenStore];
    await first.store.create(classroom, makePod('web-1'), as('a'));
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (stores[i % stores.length] as OpenStore).store.patch(classroom, { kind: 'Pod', name: 'web-1' }, { metadata: { labels: { [`l${i}`]: 'x' } } }, as(`w${i}`)),
      ),
    );
    const pod = await first.store.get(classroom, { kind: 'Pod', name: 'web-1' });
    expect(Object.keys(pod.metadata.labels ?? {})).toHaveLength(20);
    expect(await first.store.readLog(classroom, '1', 100)).toHaveLength(20);
  });

  it('every stored object equals its latest log entry: no write without its entry, no entry without its write', async () => {
    const classroom = newClassroom();
    const [first] = stores as [OpenStore];
    const names = ['a-1', 'a-2', 'a-3'];
    for (const name of names) await first.store.create(classroom, makePod(name), as('a'));
    await Promise.allSettled(
      Array.from({ length: 30 }, (_, i) => {
        const name = names[i % 3] as string;
        const s = (stores[i % stores.length] as OpenStore).store;
        return i % 7 === 6
          ? s.delete(classroom, { kind: 'Pod', name }, as('a'))
          : s.patch(classroom, { kind: 'Pod', name }, { metadata: { annotations: { n: String(i) } } }, as('a'));
      }),
    );
    const replayed = new Map<string, unknown>();
    for (const event of await first.store.readLog(classroom, '0', 1000)) {
      if (event.type === 'DELETED') replayed.delete(event.object.metadata.name);
      else replayed.set(event.object.metadata.name, event.object);
    }
    const snapshot = await first.store.snapshot(classroom);
    expect(new Map(snapshot.objects.map((o) => [o.metadata.name, o]))).toEqual(replayed);
    for (const object of snapshot.objects) expect(validateObject(object).ok).toBe(true);
  });

  it("two processes patching one pod at once: afterwards a write from one's cache (no read) starts from the stored object, every other write in it, and changes nothing it was not asked to", async () => {
    const classroom = newClassroom();
    const [one, two] = stores as [OpenStore, OpenStore];
    await one.store.create(classroom, makePod('web-1'), as('bot:controller-manager'));
    // The first process follows the classroom: its cache takes every change, its own and the other's.
    const seen = collector();
    const stop = await one.store.watch(classroom, '1', seen.listener);
    const patches = (open: OpenStore, who: string) => async () => {
      for (let i = 0; i < 30; i++) await open.store.patch(classroom, { kind: 'Pod', name: 'web-1' }, { metadata: { annotations: { [`${who}-${i}`]: 'yes' } }, spec: { activeDeadlineSeconds: i + 1 } }, as(who));
    };
    await Promise.all([patches(one, 'one')(), patches(two, 'two')()]);
    await seen.until(60);
    stop();
    const key = one.store.keys(classroom).objects('Pod');
    const before = decodeObject((await one.redis.hGet(key, 'default/web-1')) ?? '');
    expect(before.metadata.resourceVersion).toBe('61');

    const monitor = await monitorKey(inject('redisUrl'), key);
    try {
      const written = await one.store.patch(classroom, { kind: 'Pod', name: 'web-1' }, { metadata: { resourceVersion: '61', labels: { app: 'web' } } }, as('one'));
      await monitor.sync();
      // From the cache: the script's own compare is the one HGET, no read of the object before it.
      expect(monitor.calls('HGET')).toBe(1);
      expect(written).toEqual({ ...before, metadata: { ...before.metadata, labels: { ...before.metadata.labels, app: 'web' }, resourceVersion: '62' } });
      expect(written).toEqual(decodeObject((await one.redis.hGet(key, 'default/web-1')) ?? ''));
      expect(Object.keys(written.metadata.annotations ?? {})).toHaveLength(60);
    } finally {
      await monitor.close();
    }
    // What the watcher got is left as it was: the cache's copy is the watch event's, never written to.
    expect(seen.events.at(-1)?.object).toEqual(before);
  });
});
