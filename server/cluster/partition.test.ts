/**
 * Issue 14, partitioning: two server processes on one Redis share the running classrooms' control
 * work by lease, each owning 40–60 % of them, and the one without sockets keeps no cache of the
 * others. SIGKILL one: the survivor takes over every classroom and each keeps progressing (its
 * kubelets' heartbeats renew the node Leases, which only the owner's timers do), and no node of a
 * dead owner's classroom is taken for dead.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import type { RunningServer } from '../app';
import { connectRedis, type RedisClient } from '../redis/connect';
import { freePort } from '../redis/embedded-redis';
import { startTestServer } from '../testing/test-server';
import { listObjects } from '@shared/protocol/watch-reducer';
import { waitFor } from '../testing/wait';
import { classroomOwnerKey } from './classroom-leases';
import { classroomWith, connectCluster, type ClusterClient } from './testing/cluster-client';

const CLASSROOMS = 20;
const root = path.resolve(import.meta.dirname, '../..');
const prefix = `${inject('redisKeyPrefix')}-partition`;
const env = { JOIN_RATE_LIMIT: '100000', SOCKET_RATE_PER_SECOND: '1000', SOCKET_RATE_BURST: '1000', REDIS_KEY_PREFIX: prefix };
let survivor: RunningServer;
let doomed: ChildProcess | null = null;
let doomedPort = 0;
let redis: RedisClient;
const clients: ClusterClient[] = [];

function killed(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/** A gauge of a process's /metrics. */
async function gauge(port: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
}

beforeAll(async () => {
  redis = await connectRedis(inject('redisUrl'));
  survivor = await startTestServer(env);
  doomedPort = await freePort();
  doomed = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    cwd: root,
    env: { ...process.env, ...env, NODE_ENV: 'production', PORT: String(doomedPort), HOST: '127.0.0.1', REDIS_URL: inject('redisUrl'), LOG_LEVEL: 'silent' },
    stdio: 'ignore',
  });
  await waitFor(async () => (await fetch(`http://127.0.0.1:${doomedPort}/readyz`).catch(() => null))?.ok, { timeoutMs: 60_000, what: 'the second server process to serve' });
}, 90_000);

afterAll(async () => {
  for (const c of clients) c.close();
  if (doomed && doomed.exitCode === null && doomed.signalCode === null) await killed(doomed);
  await survivor?.close();
  await redis?.close();
});

test('two processes own half of 20 running classrooms each; the survivor of a SIGKILL owns them all and they keep progressing', { timeout: 150_000 }, async () => {
  const ids: string[] = [];
  for (let i = 0; i < CLASSROOMS; i++) {
    const classroom = await classroomWith(survivor.url, []);
    ids.push(classroom.id);
    const instructor = await connectCluster(survivor.url, classroom.instructorToken);
    clients.push(instructor);
    for (const action of [{ kind: 'setTimeScale', timeScale: 10 }, { kind: 'setBotPace', secondsPerAction: 2 }, { kind: 'start' }] as const) {
      expect(await instructor.instructor(action)).toMatchObject({ ok: true });
    }
  }
  const owners = () => Promise.all(ids.map((id) => redis.get(classroomOwnerKey(prefix, id))));
  const tally = (list: (string | null)[]) => [...new Set(list)].map((owner) => list.filter((o) => o === owner).length);

  // Each owns 40–60 %: 8 to 12 of 20, every classroom owned.
  const split = await waitFor(
    async () => {
      const list = await owners();
      const counts = tally(list);
      return !list.includes(null) && counts.length === 2 && counts.every((n) => n >= 8 && n <= 12) && list;
    },
    { what: 'the classrooms split between the two processes', timeoutMs: 60_000, intervalMs: 250 },
  );
  const doomedOwns = await gauge(doomedPort, 'clusterplay_classrooms_owned');
  expect(doomedOwns).toBeGreaterThanOrEqual(8);
  expect(doomedOwns).toBeLessThanOrEqual(12);
  expect(survivor.cluster.classroomsOwned()).toBe(CLASSROOMS - doomedOwns);
  // The process without sockets caches what it owns, not every classroom.
  expect(await gauge(doomedPort, 'clusterplay_classrooms_cached')).toBeLessThanOrEqual(doomedOwns + 2);
  const survivorId = split[ids.findIndex((id) => survivor.cluster.owns(id))];
  expect(survivorId).toBeTruthy();

  const readiness = (c: ClusterClient) =>
    listObjects(c.state, 'Node').map((node) => {
      const ready = node.status?.conditions?.find((condition) => condition.type === 'Ready');
      return `${node.metadata.name} ${ready?.status} since ${ready?.lastTransitionTime}`;
    });
  const readyBefore = clients.map(readiness);
  expect(readyBefore.flat().every((line) => line.includes(' True since '))).toBe(true);
  if (doomed) await killed(doomed);
  await waitFor(async () => (await owners()).every((o) => o === survivorId) && survivor.cluster.classroomsOwned() === CLASSROOMS, {
    what: 'the survivor to own every classroom',
    timeoutMs: 30_000,
    intervalMs: 250,
  });
  // Every classroom keeps progressing: its heartbeats (every 10 simulated s, 1 s here) keep writing.
  const at = clients.map((c) => BigInt(c.state.resourceVersion));
  await waitFor(() => clients.every((c, i) => BigInt(c.state.resourceVersion) >= (at[i] ?? 0n) + 6n), { what: 'every classroom to progress on the survivor', timeoutMs: 45_000, intervalMs: 250 });
  // The dead owner's nodes were not taken for dead meanwhile (their Ready condition never moved):
  // the survivor's takeover renews their Leases before its node-lifecycle controller looks (the
  // gap is 5 s or more of wall time, 50 simulated s at time scale 10, past the 40 s grace period).
  expect(clients.map(readiness)).toEqual(readyBefore);
});
