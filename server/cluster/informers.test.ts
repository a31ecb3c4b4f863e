/**
 * Issue 14, the master failover test's hang: the store went back under the owner's cache. A Redis
 * master that dies takes the writes its replica had not received with it (acknowledged anyway while
 * the replica lagged), and the promoted replica hands their resourceVersions out again. The cache
 * held a lost write, its watch skipped the later changes that reused those versions, and every
 * move decided on it met a Conflict whose catch-up found the cache already at the store's version:
 * the bots wrote nothing, for good. Here the failover's effect is made exactly, on the test run's
 * Redis (see replica-copy.ts).
 */
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { createClient } from 'redis';
import { makePod, type Pod } from '@shared/model';
import { connectRedis } from '../redis/connect';
import { isApiError, ObjectStore, type ObjectStoreOptions } from '../store';
import { as, newClassroom } from '../store/testing/fixture';
import { replicaOf as replicaCopy } from '../store/testing/replica-copy';
import { waitFor } from '../testing/wait';
import { Informers } from './informers';

const url = (): string => inject('redisUrl');
const prefix = (): string => inject('redisKeyPrefix');
type Raw = ReturnType<typeof createClient>;
let raw: Raw;

beforeAll(async () => {
  raw = createClient({ url: url() });
  await raw.connect();
});
afterAll(() => raw.close());

/** A process: its own connection (named, so the test can cut its watch subscriber), store and caches. */
async function openProcess(options: Partial<ObjectStoreOptions> = {}, name = `informers-test-${Math.random().toString(36).slice(2)}`) {
  const redis = await connectRedis(url(), undefined, name);
  const store = new ObjectStore({ redis, keyPrefix: prefix(), ...options });
  const informers = new Informers(store);
  return {
    name,
    store,
    informers,
    async close() {
      informers.close();
      await store.close();
      await redis.close();
    },
  };
}

const replicaOf = (classroom: string) => replicaCopy(url(), prefix(), classroom);

const annotations = (pod: Pod | undefined): Record<string, string> => pod?.metadata.annotations ?? {};

describe('the store goes back under the cache (a failover lost acknowledged writes)', () => {
  let owner: Awaited<ReturnType<typeof openProcess>>;
  beforeAll(async () => {
    owner = await openProcess();
  });
  afterAll(() => owner.close());

  it("the owner writes again at the lost write's version: its cache drops the lost write, takes the new one, and a move decided on it commits", async () => {
    const classroom = newClassroom();
    await owner.store.create(classroom, makePod('web-1'), as('bot:controller-manager'));
    await owner.store.create(classroom, makePod('web-2'), as('bot:controller-manager'));
    expect((await owner.informers.state(classroom)).pod('default/web-1')).toBeDefined();
    const replica = await replicaOf(classroom);
    // Acknowledged, in the cache, then lost with the master.
    await owner.store.patch(classroom, { kind: 'Pod', name: 'web-1' }, { metadata: { annotations: { write: 'lost' } } }, as('bot:kubelet:node-1'));
    await waitFor(async () => annotations((await owner.informers.state(classroom)).pod('default/web-1'))['write'] === 'lost', { what: 'the lost write in the cache' });
    await replica.promote();

    // The promoted replica hands the lost version out again, to another change by the owner.
    const reused = await owner.store.patch(classroom, { kind: 'Pod', name: 'web-2' }, { metadata: { annotations: { write: 'after the failover' } } }, as('bot:kubelet:node-1'));
    expect(reused.metadata.resourceVersion).toBe('3');

    const state = await waitFor(
      async () => {
        const cached = await owner.informers.state(classroom);
        return annotations(cached.pod('default/web-2'))['write'] === 'after the failover' && annotations(cached.pod('default/web-1'))['write'] === undefined && cached;
      },
      { what: 'the cache holding the store as it is after the failover', timeoutMs: 5000 },
    );
    // A move decided on the cache (the object's version as a precondition) commits: no Conflict.
    const web1 = state.pod('default/web-1') as Pod;
    const updated = await owner.store.update(classroom, { ...web1, metadata: { ...web1.metadata, labels: { app: 'web' } } }, as('bot:kubelet:node-1'));
    expect(updated.metadata.resourceVersion).toBe('4');
  });

  it('nothing is written after the failover: the watch subscriber, back on its connection, reads the log, finds it shorter and the cache drops the lost write', async () => {
    const classroom = newClassroom();
    await owner.store.create(classroom, makePod('web-1'), as('bot:controller-manager'));
    await owner.informers.state(classroom);
    const replica = await replicaOf(classroom);
    await owner.store.patch(classroom, { kind: 'Pod', name: 'web-1' }, { metadata: { annotations: { write: 'lost' } } }, as('bot:kubelet:node-1'));
    await waitFor(async () => annotations((await owner.informers.state(classroom)).pod('default/web-1'))['write'] === 'lost', { what: 'the lost write in the cache' });
    await replica.promote();
    // A failover cuts the connections to the dead master: the watch subscriber's here.
    const subscriber = (await raw.clientList()).find((c) => c.name === owner.name && (c.ssub ?? 0) > 0);
    expect(subscriber).toBeDefined();
    await raw.sendCommand(['CLIENT', 'KILL', 'ID', String(subscriber?.id)]);

    const state = await waitFor(
      async () => {
        const cached = await owner.informers.state(classroom);
        return cached.resourceVersion === '1' && cached;
      },
      { what: 'the cache back at the store version', timeoutMs: 5000 },
    );
    expect(annotations(state.pod('default/web-1'))['write']).toBeUndefined();
  });

  it('nothing is written after the failover and no connection is cut: the next catch-up read finds the log shorter and ends the watch', async () => {
    const classroom = newClassroom();
    const watcher = await openProcess({ watchCatchUpMs: 50 });
    try {
      await owner.store.create(classroom, makePod('web-1'), as('bot:controller-manager'));
      let expired = 0;
      const seen: string[] = [];
      await watcher.store.watch(classroom, '1', (events) => seen.push(...events.map((e) => e.resourceVersion)), () => expired++);
      const replica = await replicaOf(classroom);
      await owner.store.patch(classroom, { kind: 'Pod', name: 'web-1' }, { metadata: { annotations: { write: 'lost' } } }, as('bot:kubelet:node-1'));
      await waitFor(() => seen.includes('2'), { what: 'the lost write delivered' });
      expect(expired).toBe(0);
      await replica.promote();
      await waitFor(() => expired === 1, { what: 'the watch ended', timeoutMs: 5000 });
    } finally {
      await watcher.close();
    }
  });

  it('a healthy classroom: writes of this process and of another, read back by the log, never end the watch', async () => {
    const classroom = newClassroom();
    const other = await openProcess();
    try {
      await owner.store.create(classroom, makePod('web-1'), as('bot:controller-manager'));
      let expired = 0;
      const seen: string[] = [];
      const stop = await owner.store.watch(classroom, '1', (events) => seen.push(...events.map((e) => e.resourceVersion)), () => expired++);
      for (let i = 0; i < 20; i++) {
        const writer = i % 2 ? owner.store : other.store;
        await writer.patch(classroom, { kind: 'Pod', name: 'web-1' }, { metadata: { annotations: { i: String(i) } } }, as('a')).catch((error: unknown) => {
          if (!isApiError(error, 'Conflict')) throw error;
        });
      }
      await waitFor(() => seen.length === 20, { what: '20 changes' });
      stop();
      expect(expired).toBe(0);
    } finally {
      await other.close();
    }
  });
});
