import { Queue } from 'bullmq';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { SIM_TIMERS_QUEUE } from '../jobs/sim-timer-service';
import type { RunningServer } from '../app';
import { connectClient, connectMember, createClassroom, joinClassroom, type TestClient } from '../gateway/test-clients';
import { connectRedis, type RedisClient } from '../redis/connect';
import { startTestServer } from '../testing/test-server';
import { waitFor } from '../testing/wait';
import { monitorKey } from '../testing/key-monitor';
import { processesKey, processHeartbeatKey, seatHandbacksKey } from './keys';

const prefix = `${inject('redisKeyPrefix')}-heartbeat`;
const GRACE_SECONDS = 1;
let a: RunningServer;
let b: RunningServer;
let redis: RedisClient;
const clients: TestClient[] = [];

beforeAll(async () => {
  const env = { REDIS_KEY_PREFIX: prefix, JOIN_RATE_LIMIT: '100000', SEAT_GRACE_SECONDS: String(GRACE_SECONDS) };
  a = await startTestServer(env);
  b = await startTestServer(env);
  redis = await connectRedis(inject('redisUrl'));
});
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});
afterAll(async () => {
  await a?.close();
  await b?.close();
  await redis?.close();
});

/** The id a process names itself by (in `hello`, on its presences, in its heartbeat key). */
async function serverIdOf(server: RunningServer): Promise<string> {
  const client = connectClient(server.url);
  clients.push(client);
  return new Promise((resolve) => client.socket.once('hello', (hello) => resolve(hello.serverId)));
}

describe('process heartbeats', () => {
  it('every live process keeps a heartbeat key with a TTL and its place in the registry; a closed one leaves both', async () => {
    const idA = await serverIdOf(a);
    const ttl = await redis.pTTL(processHeartbeatKey(prefix, idA));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(3000);
    expect(await redis.zScore(processesKey(prefix), idA)).not.toBeNull();

    const c = await startTestServer({ REDIS_KEY_PREFIX: prefix });
    const idC = await serverIdOf(c);
    expect(await redis.exists(processHeartbeatKey(prefix, idC))).toBe(1);
    await c.close();
    expect(await redis.exists(processHeartbeatKey(prefix, idC))).toBe(0);
    expect(await redis.zScore(processesKey(prefix), idC)).toBeNull();
    // Its own timer lanes too (owner-local timers: the classrooms' new owners moved their timers).
    expect(await redis.keys(`${prefix}:{timers@${idC}}*`)).toEqual([]);
  });

  it('a process that stopped beating is reaped, and its own timer lanes with it', async () => {
    const ghost = 'ghost-of-a-sigkilled-process';
    const lane = new Queue(SIM_TIMERS_QUEUE, { connection: redis, prefix: `${prefix}:{timers@${ghost}}` });
    try {
      await lane.add('tick', { classroomId: 'c1', key: 'k' }, { jobId: `${ghost}.job`, delay: 3_600_000 });
    } finally {
      await lane.close();
    }
    expect((await redis.keys(`${prefix}:{timers@${ghost}}*`)).length).toBeGreaterThan(0);
    await redis.zAdd(processesKey(prefix), { score: Date.now() - 10_000, value: ghost });
    await waitFor(async () => (await redis.zScore(processesKey(prefix), ghost)) === null, { what: 'the ghost reaped' });
    await waitFor(async () => (await redis.keys(`${prefix}:{timers@${ghost}}*`)).length === 0, { what: "the ghost's timer lanes deleted" });
  });

  it('a member with a socket on a surviving process stays connected when the other process is reaped', async () => {
    const { id, code } = await createClassroom(a.url);
    const { studentId, token } = await joinClassroom(a.url, code, 'Ada');
    clients.push(await connectMember(a.url, token), await connectMember(b.url, token));
    await waitFor(async () => (await a.classrooms.openSockets(id, studentId)) === 2, { what: 'both sockets counted' });
    const idA = await serverIdOf(a);
    expect(await b.classrooms.reapProcess(idA, Date.now())).toEqual([]);
    expect(await a.classrooms.openSockets(id, studentId)).toBe(1);
    expect((await a.classrooms.view(id))?.members.find((m) => m.id === studentId)?.connected).toBe(true);
  });

  it('a live process taken for dead (a pause longer than its TTL) counts its sockets again at its next beat, and keeps the seat', async () => {
    const { id, code } = await createClassroom(a.url);
    const { studentId, token } = await joinClassroom(a.url, code, 'Ada');
    clients.push(await connectMember(a.url, token));
    await waitFor(async () => (await a.classrooms.openSockets(id, studentId)) === 1, { what: 'the socket counted' });
    const idA = await serverIdOf(a);
    // What a survivor does to a process whose heartbeat lapsed.
    const reaped = await b.classrooms.reapProcess(idA, Date.now());
    await redis.zRem(processesKey(prefix), idA);
    expect(reaped).toEqual([[{ classroomId: id, memberId: studentId }]]);
    expect((await a.classrooms.view(id))?.members.find((m) => m.id === studentId)?.connected).toBe(false);

    await waitFor(async () => (await a.classrooms.view(id))?.members.find((m) => m.id === studentId)?.connected, { what: 'Ada connected again', timeoutMs: 3000 });
    expect(await a.classrooms.openSockets(id, studentId)).toBe(1);
    // The hand-back scheduled by the reap finds her connected and leaves the seat alone.
    await new Promise((r) => setTimeout(r, GRACE_SECONDS * 1000 + 500));
    const presence = (await a.classrooms.read(id))?.presence.get(studentId);
    expect(presence?.state).toBe('connected');
  });

  it('hands a seat back when its grace period ends, by a timer: between hand-backs an idle process does not poll Redis for them', async () => {
    const handBacks = await monitorKey(inject('redisUrl'), seatHandbacksKey(prefix));
    try {
      const { id, code } = await createClassroom(a.url);
      const { studentId, token } = await joinClassroom(a.url, code, 'Ada');
      const ada = await connectMember(a.url, token);
      await waitFor(async () => (await a.classrooms.openSockets(id, studentId)) === 1, { what: 'the socket counted' });
      ada.close();
      const closedAt = Date.now();
      const presence = () => a.classrooms.read(id).then((record) => record?.presence.get(studentId)?.state);
      await waitFor(async () => (await presence()) === 'handedBack', { what: 'the seat handed back', timeoutMs: GRACE_SECONDS * 1000 + 5000, intervalMs: 20 });
      const after = Date.now() - closedAt;
      expect(after).toBeGreaterThanOrEqual(GRACE_SECONDS * 1000 - 100);
      // On time: the process that saw her go set its timer for the end of her grace period.
      expect(after).toBeLessThan(GRACE_SECONDS * 1000 + 1500);

      // Then nothing waits: two processes over 3 s look at most a few times (a 200 ms poll made 30
      // reads), each look one read of the soonest hand-back (none due: nothing to take).
      await handBacks.sync();
      const before = { soonest: handBacks.calls('ZRANGE'), due: handBacks.calls('ZRANGEBYSCORE') };
      await new Promise((r) => setTimeout(r, 3000));
      await handBacks.sync();
      expect({ soonest: handBacks.calls('ZRANGE') - before.soonest <= 4, due: handBacks.calls('ZRANGEBYSCORE') - before.due }).toEqual({ soonest: true, due: 0 });
    } finally {
      await handBacks.close();
    }
  });

  it('an idle process with no classroom started does not count the live processes at each lease pass (there is nothing to share)', async () => {
    const registry = await monitorKey(inject('redisUrl'), processesKey(prefix));
    try {
      // Classrooms in their lobby only: no clock started.
      await createClassroom(a.url);
      await registry.sync();
      const before = registry.calls('ZCOUNT');
      await new Promise((r) => setTimeout(r, 3000));
      await registry.sync();
      expect(registry.calls('ZCOUNT') - before).toBe(0);
    } finally {
      await registry.close();
    }
  });

  it('a beat is one round trip: the heartbeat key, the registry entry and the registry read for the sweep are one script call', async () => {
    const registry = await monitorKey(inject('redisUrl'), processesKey(prefix));
    try {
      await registry.sync();
      const before = registry.sent().length;
      await new Promise((r) => setTimeout(r, 2500));
      await registry.sync();
      const sent = registry.sent().slice(before);
      expect(sent.length).toBeGreaterThanOrEqual(2);
      expect(new Set(sent)).toEqual(new Set(['evalsha']));
    } finally {
      await registry.close();
    }
  });
});
