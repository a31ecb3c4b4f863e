/**
 * Issue 14: ClusterPlay on a Redis Cluster of three masters (REDIS_CLUSTER_NODES). Creating a
 * classroom and joining it answer as on one Redis; one process watches classrooms in different
 * slots (no CROSSSLOT); a classroom whose write fails leaves no join code behind; /readyz reads
 * the cluster's state.
 */
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import type { Pod } from '@shared/model';
import type { WatchEvent } from '@shared/protocol';
import type { RunningServer } from '../app';
import { createClassroomRepository } from '../classroom/repository';
import { classroomKeys, codesKey } from '../classroom/keys';
import { createClassroom, joinClassroom, post } from '../gateway/test-clients';
import { SimTimerService } from '../jobs/sim-timer-service';
import { ObjectStore } from '../store';
import { commit } from '../store/commit';
import type { StoreKeys } from '../store/keys';
import { LOG_NOTICE_MAX_BYTES } from '../store/log-notice';
import { monitorKey } from '../testing/key-monitor';
import { redisClusterMissing, startRedisCluster, type TestRedisCluster } from '../testing/redis-cluster';
import { startTestServer } from '../testing/test-server';
import { waitFor } from '../testing/wait';
import { connectRedisCluster, type RedisClusterClient } from './connect';

const prefix = `${inject('redisKeyPrefix')}-rc`;
const missing = redisClusterMissing();
if (missing) console.log(`skipped: the Redis Cluster tests need redis-server and redis-cli: ${missing}`);
const clusterTest = test.skipIf(missing !== null);
let cluster: TestRedisCluster;
let redis: RedisClusterClient;
let server: RunningServer;

beforeAll(async () => {
  if (missing) return;
  cluster = await startRedisCluster();
  redis = await connectRedisCluster(cluster.nodes);
  server = await startTestServer({ REDIS_URL: '', REDIS_CLUSTER_NODES: cluster.nodes.join(','), REDIS_KEY_PREFIX: prefix, JOIN_RATE_LIMIT: '1000' });
}, 60_000);

afterAll(async () => {
  await server?.close();
  await redis?.close();
  await cluster?.stop();
});

/** The commit scripts' last arguments for a change committed without a notification (an empty channel), as a lost one. */
/** A commit's last arguments (see scripts.ts) with its notification sent where nobody listens (the classroom's hash tag keeps it on its shard): as one lost in a reconnect. */
const silentEntry = (actor: string, keys: StoreKeys): string[] => [actor, '0', String(Date.now()), '1000', `${keys.logNotify}:unheard`, '0', '', '', '1000'];
const slotOf = async (key: string): Promise<number> => Number(await redis.sendCommand(key, true, ['CLUSTER', 'KEYSLOT', key]));
const masterOf = (slot: number) => redis.getSlotMaster(slot);

function pod(name: string): Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } } as Pod;
}

clusterTest('a classroom is created and joined over REST on a Redis Cluster; /readyz reads cluster_state on the masters', async () => {
  const created = await createClassroom(server.url, { title: 'Sharded' });
  const joined = await joinClassroom(server.url, created.code, 'Ada');
  expect(joined.classroomId).toBe(created.id);
  expect(await redis.hGet(codesKey(prefix), created.code)).toBe(created.id);
  expect(await redis.hGet(classroomKeys(prefix, created.id).meta, 'title')).toBe('Sharded');
  const ready = await fetch(`${server.url}/readyz`);
  expect(ready.status).toBe(200);
  expect(await ready.json()).toEqual({ status: 'ok', redis: 'reachable' });
});

clusterTest('one process watches two classrooms on different masters and hears each one\'s writes, in order', async () => {
  const store = new ObjectStore({ redis, keyPrefix: prefix });
  try {
    // Two classrooms whose logs live on different masters: their channels are on different shards.
    const first = 'watch-a';
    const firstMaster = masterOf(await slotOf(store.keys(first).log)).id;
    let second = '';
    for (let i = 0; !second; i++) if (masterOf(await slotOf(store.keys(`watch-b${i}`).log)).id !== firstMaster) second = `watch-b${i}`;
    const heard = new Map<string, WatchEvent[]>([
      [first, []],
      [second, []],
    ]);
    const stops = await Promise.all([first, second].map((id) => store.watch(id, '0', (events) => heard.get(id)?.push(...events))));
    const context = { actor: 'instructor', simTime: 0 };
    for (const name of ['web-1', 'web-2', 'web-3']) {
      await store.create(first, pod(name), context);
      await store.create(second, pod(`${name}-b`), context);
    }
    await waitFor(() => [...heard.values()].every((events) => events.length === 3), { what: 'three events per classroom' });
    expect(heard.get(first)?.map((e) => [e.type, e.object.metadata.name, e.resourceVersion])).toEqual([
      ['ADDED', 'web-1', '1'],
      ['ADDED', 'web-2', '2'],
      ['ADDED', 'web-3', '3'],
    ]);
    expect(heard.get(second)?.map((e) => e.object.metadata.name)).toEqual(['web-1-b', 'web-2-b', 'web-3-b']);
    for (const stop of stops) stop();
  } finally {
    await store.close();
  }
});

clusterTest('a watcher in step fans each change out from its notification, reading no log; one that missed a notification reads the log once; order exact', async () => {
  const writer = new ObjectStore({ redis, keyPrefix: prefix });
  // The other process: its own connections. Its periodic catch-up read (a safety net) is kept out of the count.
  const otherRedis = await connectRedisCluster(cluster.nodes);
  const watcher = new ObjectStore({ redis: otherRedis, keyPrefix: prefix, watchCatchUpMs: 600_000 });
  const classroom = 'notified-in-step';
  const keys = writer.keys(classroom);
  const master = masterOf(await slotOf(keys.log));
  const monitor = await monitorKey(`redis://${master.host}:${master.port}`, keys.log);
  const heard: WatchEvent[] = [];
  const context = { actor: 'instructor', simTime: 0 };
  const heardUpTo = (rv: number) => waitFor(() => heard.at(-1)?.resourceVersion === String(rv), { what: `the watcher to hear resourceVersion ${rv}` });
  try {
    const stop = await watcher.watch(classroom, '0', (events) => heard.push(...events));
    const first = await writer.create(classroom, pod('web-1'), context);
    await heardUpTo(1);
    await monitor.sync();
    const readsBefore = monitor.calls('XRANGE');

    const bound = await writer.update(classroom, { ...first, spec: { ...first.spec, nodeName: 'node-1' } }, context);
    await writer.create(classroom, pod('web-2'), context);
    await writer.delete(classroom, { kind: 'Pod', name: 'web-1' }, context, { preconditions: { uid: bound.metadata.uid } });
    await heardUpTo(4);
    await monitor.sync();
    expect(monitor.calls('XRANGE') - readsBefore).toBe(0);

    // A commit whose notification never comes, as one lost in a reconnect.
    const silent = { ...pod('web-3'), metadata: { ...pod('web-3').metadata, uid: 'uid-web-3', creationTimestamp: '2026-11-25T10:00:00Z' } };
    const entry = silentEntry(context.actor, keys);
    expect(await commit(redis, keys, { kind: 'Pod', field: 'default/web-3', readAt: undefined }, { type: 'ADDED', object: silent }, entry)).toMatchObject({ rv: 5 });
    await writer.create(classroom, pod('web-4'), context);
    await heardUpTo(6);
    await monitor.sync();
    expect(monitor.calls('XRANGE') - readsBefore).toBe(1);

    // In step again; the actor, the notice's only free text, may hold a newline.
    await writer.create(classroom, pod('web-5'), { actor: 'student:a\nb', simTime: 0 });
    await heardUpTo(7);
    await monitor.sync();
    expect(monitor.calls('XRANGE') - readsBefore).toBe(1);

    // An entry over LOG_NOTICE_MAX_BYTES is announced by its version alone, and read from the log.
    const big = pod('web-6');
    await writer.create(classroom, { ...big, metadata: { ...big.metadata, annotations: { note: 'x'.repeat(LOG_NOTICE_MAX_BYTES) } } }, context);
    await heardUpTo(8);
    await monitor.sync();
    expect(monitor.calls('XRANGE') - readsBefore).toBe(2);
    expect(heard.map((e) => [e.type, e.object.metadata.name, e.resourceVersion])).toEqual([
      ['ADDED', 'web-1', '1'],
      ['MODIFIED', 'web-1', '2'],
      ['ADDED', 'web-2', '3'],
      ['DELETED', 'web-1', '4'],
      ['ADDED', 'web-3', '5'],
      ['ADDED', 'web-4', '6'],
      ['ADDED', 'web-5', '7'],
      ['ADDED', 'web-6', '8'],
    ]);
    expect(heard[6]?.actor).toBe('student:a\nb');
    expect(heard[7]?.object.metadata.annotations?.['note']).toHaveLength(LOG_NOTICE_MAX_BYTES);
    expect((heard[1]?.object as Pod | undefined)?.spec.nodeName).toBe('node-1');
    stop();
  } finally {
    await monitor.close();
    await watcher.close();
    await writer.close();
    await otherRedis.close();
  }
});

clusterTest('two writers and silent commits at once: listeners joining at different versions each get every later change exactly once, in order', async () => {
  const writers = [new ObjectStore({ redis, keyPrefix: prefix }), new ObjectStore({ redis, keyPrefix: prefix })];
  const otherRedis = await connectRedisCluster(cluster.nodes);
  const watcher = new ObjectStore({ redis: otherRedis, keyPrefix: prefix });
  const classroom = 'notified-race';
  const keys = watcher.keys(classroom);
  const context = { actor: 'instructor', simTime: 0 };
  // Every 5th change of the first writer is committed without a notification: the watcher reads the log while notifications of the other keep coming.
  const write = (w: number, i: number) => {
    const object = pod(`w${w}-${i}`);
    if (w === 1 || i % 5 !== 0) return writers[w]?.create(classroom, object, context);
    const entry = silentEntry(context.actor, keys);
    return commit(redis, keys, { kind: 'Pod', field: `default/w${w}-${i}`, readAt: undefined }, { type: 'ADDED', object: { ...object, metadata: { ...object.metadata, uid: `uid-${w}-${i}` } } }, entry);
  };
  const listeners: Array<{ from: number; events: WatchEvent[] }> = [];
  const stops: Array<() => void> = [];
  try {
    const writing = Promise.all([0, 1].map(async (w) => {
      for (let i = 0; i < 60; i++) await write(w, i);
    }));
    for (const from of [0, 0, 10, 40]) {
      await waitFor(async () => Number((await redis.get(keys.rv)) ?? 0) >= from, { what: `resourceVersion ${from}` });
      const listener = { from, events: [] as WatchEvent[] };
      listeners.push(listener);
      stops.push(await watcher.watch(classroom, String(from), (events) => listener.events.push(...events)));
    }
    await writing;
    for (const { from, events } of listeners) {
      await waitFor(() => events.length >= 120 - from, { what: `${120 - from} events from ${from} (got ${events.length})` });
      expect(events.map((e) => Number(e.resourceVersion))).toEqual(Array.from({ length: 120 - from }, (_, i) => from + 1 + i));
    }
    const names = listeners[0]?.events.map((e) => e.object.metadata.name) ?? [];
    for (const w of [0, 1]) expect(names.filter((n) => n.startsWith(`w${w}-`))).toEqual(Array.from({ length: 60 }, (_, i) => `w${w}-${i}`));
  } finally {
    for (const stop of stops) stop();
    await watcher.close();
    for (const w of writers) await w.close();
    await otherRedis.close();
  }
});

clusterTest('a classroom whose write fails leaves no join code behind: every code names a classroom that exists', async () => {
  const orphanPrefix = `${prefix}-orphan`;
  const classrooms = createClassroomRepository({ redis, prefix: orphanPrefix, maxStudents: 30, seatGraceMs: 1000, serverId: 'test' });
  const codesMaster = masterOf(await slotOf(codesKey(orphanPrefix)));
  // Every other master refuses writes (out of memory): a classroom placed there cannot be written.
  const full = redis.masters.filter((m) => m.id !== codesMaster.id);
  for (const master of full) await (await redis.nodeClient(master)).configSet({ maxmemory: '1', 'maxmemory-policy': 'noeviction' });
  let failed = 0;
  try {
    for (let i = 0; i < 12; i++) await classrooms.create({ title: `Room ${i}` }).catch(() => failed++);
  } finally {
    for (const master of full) await (await redis.nodeClient(master)).configSet({ maxmemory: '0' });
  }
  expect(failed).toBeGreaterThan(0);
  const codes = await redis.hGetAll(codesKey(orphanPrefix));
  expect(Object.keys(codes).length).toBe(12 - failed);
  for (const [code, id] of Object.entries(codes)) expect(await redis.hGet(classroomKeys(orphanPrefix, id).meta, 'code')).toBe(code);
});

clusterTest('timer jobs spread over six hash-tagged queues, and so over every master: none holds most of them', async () => {
  const timerPrefix = `${prefix}-lanes`;
  const running = { simAtWall: 0, wall: Date.now(), timeScale: 1, paused: false };
  const timers = new SimTimerService({ redis, keyPrefix: timerPrefix, clusterLanes: 6, clocks: { getClock: async () => running } });
  try {
    for (let i = 0; i < 30; i++) await timers.schedule(`room-${i}`, { kind: 'bot', key: 'tick', dueAt: 600_000, payload: {} });
    const delayed = await Promise.all(
      redis.masters.map(async (master) => {
        const node = await redis.nodeClient(master);
        const keys = await node.keys(`${timerPrefix}:{timers-*}:sim-timers:delayed`);
        return (await Promise.all(keys.map((key) => node.zCard(key)))).reduce((a, b) => a + b, 0);
      }),
    );
    console.log(`timer jobs of 30 classrooms per master: ${delayed.join(' / ')}`);
    expect(delayed.reduce((a, b) => a + b, 0)).toBe(30);
    for (const jobs of delayed) expect(jobs).toBeGreaterThan(0);
    for (const jobs of delayed) expect(jobs).toBeLessThanOrEqual(20);
  } finally {
    await timers.close();
  }
});

clusterTest('/readyz answers 503 while one master reports cluster_state:fail (a slot it gave up), though every node still answers PING', async () => {
  const master = redis.masters[0];
  if (!master) throw new Error('no master');
  let slot = 0;
  while (masterOf(slot).id !== master.id) slot++;
  const node = await redis.nodeClient(master);
  await node.sendCommand(['CLUSTER', 'DELSLOTS', String(slot)]);
  try {
    await waitFor(async () => (await fetch(`${server.url}/readyz`)).status === 503, { what: '/readyz to answer 503' });
    for (const m of redis.masters) expect(await (await redis.nodeClient(m)).ping()).toBe('PONG');
  } finally {
    await node.sendCommand(['CLUSTER', 'ADDSLOTS', String(slot)]);
  }
  await waitFor(async () => (await fetch(`${server.url}/readyz`)).ok, { what: '/readyz to answer 200 again', timeoutMs: 20_000 });
});

clusterTest('a master that hangs: a join on its slots answers 503 ServiceUnavailable within the command timeout, and 201 once it is back', async () => {
  const codesMaster = masterOf(await slotOf(codesKey(prefix))).id;
  let created = await createClassroom(server.url);
  while (masterOf(await slotOf(classroomKeys(prefix, created.id).meta)).id === codesMaster) created = await createClassroom(server.url);
  const hung = masterOf(await slotOf(classroomKeys(prefix, created.id).meta));
  const node = `${hung.host}:${hung.port}`;
  const join = { code: created.code, name: 'Grace', attempt: 'hung-master-join-1' };
  cluster.freeze(node);
  try {
    const started = performance.now();
    const res = await fetch(`${server.url}/api/classrooms/join`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(join) });
    expect(res.status).toBe(503);
    expect(((await res.json()) as { code: string }).code).toBe('ServiceUnavailable');
    expect(performance.now() - started).toBeLessThan(5000);
  } finally {
    cluster.thaw(node);
  }
  // The join page retries with the same attempt: the join the hung master may still have applied comes back, or a new one is made.
  await waitFor(async () => (await post<{ classroomId: string }>(server.url, '/api/classrooms/join', join)).body.classroomId === created.id, { what: 'the join to work again', timeoutMs: 30_000 });
  expect((await server.classrooms.read(created.id))?.members.map((m) => m.name)).toEqual(['Instructor', 'Grace']);
});
