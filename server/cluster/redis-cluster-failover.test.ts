/**
 * Issue 14: the school-sized topology on loopback. Three Redis Cluster masters, two server
 * processes (the production entry point) behind Debian's haproxy (WebSocket, round robin, no
 * stickiness). A bots-only classroom is created through each process; mid-round one process is
 * SIGKILLed, its sockets reconnect through haproxy to the other, and every round is won.
 */
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { freePort } from '../redis/embedded-redis';
import { haproxyMissing, startHaproxy, stopped, type TestHaproxy } from '../testing/haproxy';
import { redisClusterMissing, startRedisCluster, type TestRedisCluster } from '../testing/redis-cluster';
import { sigkill, startServerProcess } from '../testing/server-process';
import { waitFor } from '../testing/wait';
import { classroomWith, connectCluster, type ClusterClient } from './testing/cluster-client';
import { roundDone } from './testing/players';

const PROCESSES = 2;
const missing = haproxyMissing() ?? redisClusterMissing();
if (missing) console.log(`skipped: the Redis Cluster + haproxy test: ${missing}`);

let cluster: TestRedisCluster | undefined;
let haproxy: TestHaproxy | undefined;
let url = '';
const servers: Array<{ child: ChildProcess; port: number }> = [];
const clients: ClusterClient[] = [];

/** The `clusterplay_classrooms` gauge of one process: classrooms with a socket on it. */
async function classroomsOn(port: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return Number(/^clusterplay_classrooms (\d+)/m.exec(text)?.[1] ?? NaN);
}

beforeAll(async () => {
  if (missing) return;
  cluster = await startRedisCluster();
  const env = {
    REDIS_URL: '',
    REDIS_CLUSTER_NODES: cluster.nodes.join(','),
    REDIS_KEY_PREFIX: `${inject('redisKeyPrefix')}-failover`,
    JOIN_RATE_LIMIT: '100000',
    SOCKET_RATE_PER_SECOND: '1000',
    SOCKET_RATE_BURST: '1000',
  };
  const ports = await Promise.all(Array.from({ length: PROCESSES }, () => freePort()));
  servers.push(...(await Promise.all(ports.map(async (port) => ({ child: await startServerProcess(port, env), port })))));
  haproxy = await startHaproxy(servers.map((s) => s.port));
  url = haproxy.url;
}, 150_000);

afterAll(async () => {
  for (const c of clients) c.close();
  await haproxy?.stop();
  await Promise.all(servers.map(({ child }) => stopped(child)));
  await cluster?.stop();
});

test.skipIf(missing !== null)('two processes on a Redis Cluster behind haproxy: one is SIGKILLed mid-round and every bots-only round is still won', { timeout: 180_000 }, async () => {
  const instructors: ClusterClient[] = [];
  const classrooms = [];
  for (let i = 0; i < PROCESSES; i++) classrooms.push(await classroomWith(url, []));
  // Round robin: one after the other, the instructors' WebSockets land on each process in turn.
  for (const classroom of classrooms) {
    const instructor = await connectCluster(url, classroom.instructorToken, { reconnection: true });
    clients.push(instructor);
    instructors.push(instructor);
  }
  for (const { port } of servers) expect(await classroomsOn(port)).toBe(1);
  for (const instructor of instructors) {
    for (const action of [{ kind: 'setTimeScale', timeScale: 10 }, { kind: 'setBotPace', secondsPerAction: 1 }] as const) {
      expect(await instructor.instructor(action)).toMatchObject({ ok: true });
    }
  }
  for (const reply of await Promise.all(instructors.map((c) => c.instructor({ kind: 'start' })))) expect(reply).toMatchObject({ ok: true });
  await waitFor(() => instructors.every((c) => BigInt(c.state.resourceVersion) > 25n), { what: 'every classroom under way', timeoutMs: 60_000 });
  expect(instructors.filter((c) => !roundDone(c.state)).length).toBeGreaterThanOrEqual(PROCESSES - 1);

  const doomed = servers[0];
  if (!doomed) throw new Error('no server');
  await sigkill(doomed.child);

  await waitFor(() => instructors.every((c) => roundDone(c.state)), { what: 'every round to be won', timeoutMs: 120_000, intervalMs: 100 });
  // The killed process's instructor came back through haproxy, on the survivor.
  await waitFor(() => instructors.every((c) => c.socket.connected), { what: 'every instructor connected' });
  expect(await classroomsOn(servers[1]?.port ?? 0)).toBe(PROCESSES);
});
