import { randomUUID } from 'node:crypto';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { createClient } from 'redis';
import { makeLease, makePod, NODE_LEASE_NAMESPACE, objectKey, toMicroTime, type KubeObject, type Lease, type Persisted } from '@shared/model';
import { update } from '@shared/sim';
import type { WatchEvent } from '@shared/protocol';
import { connectRedis } from '../redis/connect';
import { isApiError } from './api-error';
import { decodeObject } from './encoding';
import { ObjectStore } from './object-store';
import { SIM_START, as, collector, newClassroom, openStore, type OpenStore } from './testing/fixture';
import { replicaOf } from './testing/replica-copy';

let writer: OpenStore;
let watcher: OpenStore;
beforeAll(async () => {
  [writer, watcher] = await Promise.all([openStore(), openStore()]);
});
afterAll(() => Promise.all([writer.close(), watcher.close()]));

const versions = (events: WatchEvent[]) => events.map((e) => Number(e.resourceVersion));
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

async function createPods(classroom: string, names: string[]): Promise<void> {
  for (const name of names) await writer.store.create(classroom, makePod(name), as('bot:controller-manager'));
}

describe('watch (Kubernetes watch from a resourceVersion)', () => {
  it('from version v replays every later change exactly once and in order, then streams new ones', async () => {
    const classroom = newClassroom();
    await createPods(classroom, ['web-1', 'web-2', 'web-3', 'web-4', 'web-5']);
    const seen = collector();
    const stop = await watcher.store.watch(classroom, '2', seen.listener);
    await seen.until(3);
    await writer.store.patch(classroom, { kind: 'Pod', name: 'web-1' }, { spec: { nodeName: 'node-1' } }, as('student:ada'));
    await writer.store.delete(classroom, { kind: 'Pod', name: 'web-2' }, as('student:ada'));
    await seen.until(5);
    await createPods(classroom, ['web-6']);
    await seen.until(6);
    stop();
    expect(versions(seen.events)).toEqual(range(3, 8));
    expect(seen.events.map((e) => [e.type, e.object.metadata.name, e.object.metadata.resourceVersion])).toEqual([
      ['ADDED', 'web-3', '3'],
      ['ADDED', 'web-4', '4'],
      ['ADDED', 'web-5', '5'],
      ['MODIFIED', 'web-1', '6'],
      ['DELETED', 'web-2', '7'],
      ['ADDED', 'web-6', '8'],
    ]);
    expect(seen.events[3]).toMatchObject({ actor: 'student:ada', object: { spec: { nodeName: 'node-1' } } });
  });

  it('listeners joining at different versions while writes stream in each get every later change exactly once', async () => {
    const classroom = newClassroom();
    await createPods(classroom, ['web-0']);
    let written = 1;
    const write = async (n: number) => {
      for (let i = 0; i < n; i++, written++) {
        await writer.store.patch(classroom, { kind: 'Pod', name: 'web-0' }, { metadata: { annotations: { i: String(written) } } }, as('a'));
      }
    };
    const listeners: { from: number; seen: ReturnType<typeof collector> }[] = [];
    // Each listener subscribes while 20 more writes land: older ones replay from the log, newer ones skip ahead.
    for (const from of [0, 1, 15, 5, 60, 0, 100]) {
      const seen = collector();
      listeners.push({ from, seen });
      await Promise.all([watcher.store.watch(classroom, String(from), seen.listener), write(20)]);
    }
    expect(written).toBe(141);
    for (const { from, seen } of listeners) {
      await seen.until(141 - from);
      expect(versions(seen.events)).toEqual(range(from + 1, 141));
    }
  });

  it("a process's own write reaches its watchers when the write resolves, with every field the log holds", async () => {
    const classroom = newClassroom();
    await writer.store.create(classroom, makePod('web-1'), as('a'));
    const seen = collector();
    const stop = await writer.store.watch(classroom, '0', seen.listener);
    await seen.until(1);
    // From the commit's reply, not from the log read that brings it a moment later.
    for (let i = 0; i < 20; i++) {
      const written = await writer.store.patch(classroom, { kind: 'Pod', name: 'web-1' }, { metadata: { annotations: { i: String(i) } } }, as('student:ada', SIM_START + i));
      expect(seen.events.at(-1)?.resourceVersion).toBe(written.metadata.resourceVersion);
    }
    stop();
    expect(versions(seen.events)).toEqual(range(1, 21));
    // The same events as a watcher elsewhere reads from the log.
    const fromLog = collector();
    const stopLog = await watcher.store.watch(classroom, '0', fromLog.listener);
    await fromLog.until(21);
    stopLog();
    expect(seen.events).toEqual(fromLog.events);
  });

  it("a process's own writes and another's, interleaved, reach its watcher exactly once and in order", async () => {
    const classroom = newClassroom();
    await createPods(classroom, ['web-1', 'web-2']);
    const seen = collector();
    const stop = await watcher.store.watch(classroom, '2', seen.listener);
    const patches = (open: OpenStore, pod: string) => async () => {
      for (let i = 0; i < 60; i++) await open.store.patch(classroom, { kind: 'Pod', name: pod }, { metadata: { annotations: { i: String(i) } } }, as('a'));
    };
    await Promise.all([patches(watcher, 'web-1')(), patches(writer, 'web-2')()]);
    await seen.until(120);
    stop();
    expect(versions(seen.events)).toEqual(range(3, 122));
  });

  it('a stopped watch receives nothing more', async () => {
    const classroom = newClassroom();
    const seen = collector();
    const stop = await watcher.store.watch(classroom, '0', seen.listener);
    await createPods(classroom, ['web-1']);
    await seen.until(1);
    stop();
    const later = collector();
    await watcher.store.watch(classroom, '1', later.listener);
    await createPods(classroom, ['web-2']);
    await later.until(1);
    expect(versions(seen.events)).toEqual([1]);
  });

  it("a classroom unwatched and at once watched again (an informer relisting) still hears another process's changes by notification", async () => {
    // No catch-up reads: only the notification can bring the change.
    const quiet = await openStore({ watchCatchUpMs: 600_000 });
    const admin = createClient({ url: inject('redisUrl') });
    await admin.connect();
    try {
      const classroom = newClassroom();
      await createPods(classroom, ['web-1']);
      const channel = quiet.store.keys(classroom).logNotify;
      const stop = await quiet.store.watch(classroom, '1', collector().listener);
      // The next watch starts while the unsubscribe is on its way.
      stop();
      const seen = collector();
      const stopAgain = await quiet.store.watch(classroom, '1', seen.listener);
      await createPods(classroom, ['web-2']);
      await seen.until(1);
      expect(versions(seen.events)).toEqual([2]);
      expect(await admin.sendCommand(['PUBSUB', 'SHARDNUMSUB', channel])).toEqual([channel, 1]);
      stopAgain();
    } finally {
      await admin.close();
      await quiet.close();
    }
  });

  it('[Expired] a version older than the log keeps gives 410 `too old resource version`; the oldest kept still works', async () => {
    const small = await openStore({ logRetention: 10 });
    try {
      const classroom = newClassroom();
      await small.store.create(classroom, makePod('web-1'), as('a'));
      for (let i = 0; i < 299; i++) await small.store.patch(classroom, { kind: 'Pod', name: 'web-1' }, { metadata: { annotations: { i: String(i) } } }, as('a'));
      const kept = await small.redis.xRange(small.store.keys(classroom).log, '-', '+', { COUNT: 1 });
      const oldest = Number(kept?.[0]?.id.split('-')[0]);
      expect(oldest).toBeGreaterThan(1);
      const message = `too old resource version: 0 (${oldest - 1})`;
      const error = await watcher.store.watch(classroom, '0', () => {}).catch((e: unknown) => e);
      expect(isApiError(error, 'Expired') && error.status).toMatchObject({ code: 410, reason: 'Expired', message });
      const replay = await watcher.store.readLog(classroom, '0', 10).catch((e: unknown) => e);
      expect(isApiError(replay, 'Expired') && replay.message).toBe(message);

      const seen = collector();
      const stop = await watcher.store.watch(classroom, String(oldest - 1), seen.listener);
      await seen.until(300 - oldest + 1);
      stop();
      expect(versions(seen.events)).toEqual(range(oldest, 300));
    } finally {
      await small.close();
    }
  });
});

describe("a commit's entry, decoded once in the process: the writer's answer is the event its watchers get", () => {
  it('creates, patches, a batch of Lease renewals and a delete: each answer is the stored object (a DELETED one at the deletion\'s version) and the very object of its watch event', async () => {
    // Its own store: a catch-up read under way when a commit comes back would deliver the entry decoded apart.
    const own = await openStore({ watchCatchUpMs: 600_000 });
    try {
      const classroom = newClassroom();
      const seen = collector();
      const stop = await own.store.watch(classroom, '0', seen.listener);
      const answers: Persisted<KubeObject>[] = [];
      const stored = async (object: KubeObject) => {
        const json = await own.redis.hGet(own.store.keys(classroom).objects(object.kind), objectKey(object));
        return json ? decodeObject(json) : undefined;
      };
      // Each answer is the object as stored by its write.
      const answered = async <T extends KubeObject>(answer: Persisted<T>): Promise<Persisted<T>> => {
        expect(answer).toEqual(await stored(answer));
        answers.push(answer);
        return answer;
      };
      const leases: Persisted<Lease>[] = [];
      for (const node of ['node-1', 'node-2', 'node-3']) leases.push(await answered(await own.store.create(classroom, makeLease(node, NODE_LEASE_NAMESPACE, node, 40, SIM_START), as(`system:node:${node}`))));
      await answered(await own.store.create(classroom, makePod('web-1'), as('a')));
      for (let i = 0; i < 5; i++) await answered(await own.store.patch(classroom, { kind: 'Pod', name: 'web-1' }, { metadata: { annotations: { i: String(i) } } }, as('a')));
      const renewed = SIM_START + 10_000;
      const renewals = leases.map((lease) => ({ request: update(lease, { ...lease, spec: { ...lease.spec, renewTime: toMicroTime(renewed) } }, 'heartbeat'), actor: `system:node:${lease.metadata.name}` }));
      for (const result of await own.store.applyEach(classroom, renewals, { simTime: renewed })) {
        if (isApiError(result)) throw result;
        await answered(result);
      }
      const deleted = await own.store.delete(classroom, { kind: 'Pod', name: 'web-1' }, as('a'));
      expect(await stored(deleted)).toBeUndefined();
      answers.push(deleted);

      const events = await seen.until(answers.length);
      stop();
      expect(versions(events)).toEqual(range(1, 13));
      expect(answers.map((a) => a.metadata.resourceVersion)).toEqual(events.map((e) => e.resourceVersion));
      expect([deleted.metadata.resourceVersion, deleted.metadata.annotations?.['i'], events.at(-1)?.type]).toEqual(['13', '4', 'DELETED']);
      // One decode: the watchers' event and the writer's answer are one read-only object.
      for (const [i, answer] of answers.entries()) expect(events[i]?.object).toBe(answer);
    } finally {
      await own.close();
    }
  });

  it("a commit whose notification comes before its reply (the common order: the script publishes before it answers) is answered with the very event its watchers got", async () => {
    const classroom = newClassroom();
    // This process's command replies come 30 ms late, its subscriber's notifications at once.
    const relay = await relayToRedis({ delayFirstRepliesMs: 30 });
    const redis = await connectRedis(relay.url);
    const store = new ObjectStore({ redis, keyPrefix: inject('redisKeyPrefix'), watchCatchUpMs: 600_000 });
    try {
      const seen = collector();
      const stop = await store.watch(classroom, '0', seen.listener);
      const answers: Persisted<KubeObject>[] = [await store.create(classroom, makePod('web-1'), as('a'))];
      for (let i = 0; i < 3; i++) answers.push(await store.patch(classroom, { kind: 'Pod', name: 'web-1' }, { metadata: { annotations: { i: String(i) } } }, as('a')));
      answers.push(await store.delete(classroom, { kind: 'Pod', name: 'web-1' }, as('a')));
      const events = await seen.until(answers.length);
      stop();
      expect(answers.map((a) => a.metadata.resourceVersion)).toEqual(['1', '2', '3', '4', '5']);
      expect(events.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'MODIFIED', 'MODIFIED', 'DELETED']);
      for (const [i, answer] of answers.entries()) expect(events[i]?.object).toBe(answer);
    } finally {
      await store.close();
      await redis.close();
      relay.close();
    }
  });

  it("after a failover another process's lost write, heard here while this process commits, is not this process's answer when it commits at that version: the answer is its own change, and the watch ends", async () => {
    // This process's commits wait for a replica it does not have (WAIT, 1.2 s at most; longer would hold the commands queued behind it past their 1.5 s deadline): its first is under way all along.
    const own = await openStore({ watchCatchUpMs: 600_000, writeReplicas: 1, writeReplicasTimeoutMs: 1200 });
    try {
      const classroom = newClassroom();
      await createPods(classroom, ['web-1', 'web-2', 'web-3']);
      let expired = 0;
      const seen = collector();
      await own.store.watch(classroom, '3', seen.listener, () => expired++);
      const replica = await replicaOf(inject('redisUrl'), inject('redisKeyPrefix'), classroom);
      const first = own.store.patch(classroom, { kind: 'Pod', name: 'web-2' }, { metadata: { annotations: { write: 'first' } } }, as('a'));
      await seen.until(1);
      // Another process's write, heard here while the first commit waits (acknowledged, then lost with the master).
      await writer.store.patch(classroom, { kind: 'Pod', name: 'web-1' }, { metadata: { annotations: { write: 'lost' } } }, as('a'));
      await seen.until(2);
      await replica.promote();
      // The promoted replica hands versions 4 and 5 out again: 4 to the other process, 5 to this one's patch,
      // a MODIFIED as the lost write was: only the stored object tells the two apart.
      await writer.store.patch(classroom, { kind: 'Pod', name: 'web-1' }, { metadata: { annotations: { write: 'again' } } }, as('a'));
      const patched = await own.store.patch(classroom, { kind: 'Pod', name: 'web-3' }, { metadata: { annotations: { write: 'own' } } }, as('a'));
      await first;
      expect([patched.metadata.name, patched.metadata.resourceVersion, patched.metadata.annotations?.['write']]).toEqual(['web-3', '5', 'own']);
      expect(patched).toEqual(await own.store.get(classroom, { kind: 'Pod', name: 'web-3' }));
      expect(expired).toBe(1);
      expect(seen.events.map((e) => [e.object.metadata.name, e.resourceVersion])).toEqual([
        ['web-2', '4'],
        ['web-1', '5'],
      ]);
    } finally {
      await own.close();
    }
  });
});

describe('a write lost in a failover while it waited for a replica', () => {
  it("is not kept in the writer's cache: the next write without a version builds on what the store holds (another process's change at the same version), not on the lost content", async () => {
    // This process's writes wait for a replica it does not have (WAIT, 1.2 s at most): its patch is acknowledged, then lost.
    const own = await openStore({ watchCatchUpMs: 600_000, writeReplicas: 1, writeReplicasTimeoutMs: 1200 });
    try {
      const classroom = newClassroom();
      await createPods(classroom, ['web-1']);
      let expired = 0;
      const seen = collector();
      await own.store.watch(classroom, '1', seen.listener, () => expired++);
      const replica = await replicaOf(inject('redisUrl'), inject('redisKeyPrefix'), classroom);
      const lost = own.store.patch(classroom, { kind: 'Pod', name: 'web-1' }, { metadata: { annotations: { write: 'lost' } } }, as('a'));
      await seen.until(1);
      await replica.promote();
      // Version 2 again, of the same pod: only its content differs from the lost write's.
      await writer.store.patch(classroom, { kind: 'Pod', name: 'web-1' }, { metadata: { annotations: { other: 'kept' } } }, as('a'));
      expect((await lost).metadata.resourceVersion).toBe('2');
      expect(expired).toBe(1);
      // No version named: the writer may start from its cache.
      const next = await own.store.patch(classroom, { kind: 'Pod', name: 'web-1' }, { metadata: { annotations: { again: 'own' } } }, as('a'));
      expect(next.metadata.annotations).toEqual({ other: 'kept', again: 'own' });
      expect((await writer.store.get(classroom, { kind: 'Pod', name: 'web-1' })).metadata.annotations).toEqual({ other: 'kept', again: 'own' });
    } finally {
      await own.close();
    }
  });
});

/**
 * A TCP relay to the test run's Redis that can hold new connections (accepted, not yet relayed):
 * a client cut from Redis reconnects at once, and holding its new connection keeps it away for
 * as long as the test needs.
 */
async function relayToRedis({ delayFirstRepliesMs = 0 } = {}): Promise<{ url: string; hold(): void; release(): void; close(): void }> {
  const target = new URL(inject('redisUrl'));
  const sockets = new Set<Socket>();
  let held: Array<() => void> | null = null;
  let connections = 0;
  const server = createServer((client) => {
    sockets.add(client);
    // delayFirstRepliesMs: Redis' replies on the first connection (a process's command connection,
    // made before its subscriber) reach it that much later, in order.
    const delayed = connections++ === 0 && delayFirstRepliesMs > 0;
    const relay = () => {
      const upstream = connect(Number(target.port), target.hostname);
      sockets.add(upstream);
      client.pipe(upstream);
      if (delayed) upstream.on('data', (chunk: Buffer) => setTimeout(() => client.writable && client.write(chunk), delayFirstRepliesMs));
      else upstream.pipe(client);
      client.on('close', () => upstream.destroy()).on('error', () => upstream.destroy());
      upstream.on('close', () => client.destroy()).on('error', () => client.destroy());
    };
    if (held) held.push(relay);
    else relay();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `redis://127.0.0.1:${port}`,
    hold: () => (held = []),
    release: () => {
      const waiting = held ?? [];
      held = null;
      for (const relay of waiting) relay();
    },
    close: () => {
      server.close();
      for (const socket of sockets) socket.destroy();
    },
  };
}

describe('watch while its subscriber connection is away (Redis restarted or failed over, the connection cut)', () => {
  it('a change committed meanwhile, whose notification is lost, reaches the watcher once the subscriber is back', async () => {
    const classroom = newClassroom();
    await createPods(classroom, ['web-1']);
    // A process reaching Redis through the relay, whose catch-up reads are ten minutes apart: only
    // the read made when its subscriber is back can bring the change.
    const relay = await relayToRedis();
    const name = `watch-test-${randomUUID()}`;
    const redis = await connectRedis(relay.url, undefined, name);
    const admin = createClient({ url: inject('redisUrl') });
    await admin.connect();
    const store = new ObjectStore({ redis, keyPrefix: inject('redisKeyPrefix'), watchCatchUpMs: 600_000 });
    const channel = store.keys(classroom).logNotify;
    const write = (value: string) => writer.store.patch(classroom, { kind: 'Pod', name: 'web-1' }, { metadata: { annotations: { write: value } } }, as('a'));
    try {
      const seen = collector();
      const stop = await store.watch(classroom, '1', seen.listener);
      await write('before the cut');
      await seen.until(1);

      // The subscriber (a duplicate of the process's connection: same name) is cut, and its
      // reconnection held while a change is committed.
      const subscriber = (await admin.clientList()).find((c) => c.name === name && (c.ssub ?? 0) > 0);
      expect(subscriber).toBeDefined();
      relay.hold();
      await admin.sendCommand(['CLIENT', 'KILL', 'ID', String(subscriber?.id)]);
      await write('while away');
      expect(await admin.sendCommand(['PUBSUB', 'SHARDNUMSUB', channel])).toEqual([channel, 0]);
      relay.release();

      await seen.until(2);
      stop();
      expect(seen.events.map((e) => [e.resourceVersion, e.object.metadata.annotations?.['write']])).toEqual([
        ['2', 'before the cut'],
        ['3', 'while away'],
      ]);
    } finally {
      await store.close();
      await Promise.all([redis.close(), admin.close()]);
      relay.close();
    }
  });
});
