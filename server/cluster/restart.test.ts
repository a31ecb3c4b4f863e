import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import type { Role } from '@shared/protocol';
import { getObject, listObjects } from '@shared/protocol/watch-reducer';
import { connectRedis, type RedisClient } from '../redis/connect';
import { freePort } from '../redis/embedded-redis';
import { ObjectStore } from '../store';
import { sigkill, startServerProcess } from '../testing/server-process';
import { waitFor } from '../testing/wait';
import { assignRoles, classroomWith, clientObjects, connectCluster, storeObjects, type ClusterClient } from './testing/cluster-client';
import { play, roundDone } from './testing/players';

// Its own key prefix: join attempts are counted per address, and every test joins from 127.0.0.1.
const keyPrefix = `${inject('redisKeyPrefix')}-restart`;
let port: number;
let child: ChildProcess | null = null;
let redis: RedisClient;
let store: ObjectStore;
const clients: ClusterClient[] = [];

/** The production entry point as its own process, on a fixed port so clients can come back to it. */
const startProcess = (): Promise<ChildProcess> =>
  startServerProcess(port, { REDIS_URL: inject('redisUrl'), REDIS_KEY_PREFIX: keyPrefix, SOCKET_RATE_PER_SECOND: '1000', SOCKET_RATE_BURST: '1000' });

beforeAll(async () => {
  port = await freePort();
  redis = await connectRedis(inject('redisUrl'));
  store = new ObjectStore({ redis, keyPrefix });
  child = await startProcess();
});

afterAll(async () => {
  for (const c of clients) c.close();
  if (child && child.exitCode === null) await sigkill(child);
  await store?.close();
  await redis?.close();
});

test('a server process killed with SIGKILL mid-round and restarted: students come back by themselves as themselves, nothing committed is lost, pending timers fire', { timeout: 120_000 }, async () => {
  const url = `http://127.0.0.1:${port}`;
  // The runtime is a student's, so only the world timer (never a bot pass) finishes a CRI call.
  const roles: Record<string, Role> = { sam: 'scheduler', kim: 'kubelet:node-1', rue: 'container-runtime:node-1' };
  const classroom = await classroomWith(url, Object.keys(roles), { nodes: 1 });
  const instructor = await connectCluster(url, classroom.instructorToken, { reconnection: true });
  clients.push(instructor);
  await assignRoles(instructor, classroom, roles);
  const students = new Map<string, ClusterClient>();
  for (const name of Object.keys(roles)) {
    const client = await connectCluster(url, classroom.students.get(name)?.token ?? '', { reconnection: true });
    students.set(name, client);
    clients.push(client);
  }
  await waitFor(() => getObject(instructor.state, 'Lease', 'kube-scheduler', 'kube-system')?.spec.holderIdentity === classroom.students.get('sam')?.studentId, { what: 'sam to lead' });
  for (const action of [{ kind: 'setTimeScale', timeScale: 10 }, { kind: 'setBotPace', secondsPerAction: 1 }, { kind: 'start' }] as const) {
    expect(await instructor.instructor(action)).toMatchObject({ ok: true });
  }
  const players = [...students].map(([name, client]) => play(client, roles[name] as Role));

  // Mid-round: the runtime is busy with a call whose end is a pending timer.
  const running = await waitFor(
    () => getObject(instructor.state, 'ContainerRuntime', 'node-1')?.status.calls.find((c) => c.status === 'running'),
    { what: 'a CRI call in progress', timeoutMs: 30_000, intervalMs: 10 },
  );
  const before = await storeObjects(store, classroom.id);
  const sessionsBefore = [...students.values()].map((c) => c.sessions.length);
  if (child) await sigkill(child);
  child = await startProcess();

  // Each student is back, with the identity and role the token names, without doing anything.
  await waitFor(() => [...students.values()].every((c, i) => c.socket.connected && c.sessions.length > (sessionsBefore[i] ?? 0)), { what: 'the students to reconnect', timeoutMs: 30_000 });
  for (const [name, client] of students) {
    expect(client.sessions.at(-1)).toMatchObject({ kind: 'student', memberId: classroom.students.get(name)?.studentId, name, role: roles[name] });
  }

  await waitFor(() => roundDone(instructor.state), { what: 'the round to finish after the restart', timeoutMs: 60_000, intervalMs: 100 });
  await Promise.all(players.map((p) => p.stop()));
  expect(listObjects(instructor.state, 'Pod').length).toBe(3);

  // Nothing committed before the kill is lost: the log still runs unbroken from the first version.
  const log = await store.readLog(classroom.id, '0', 100_000);
  expect(log.map((e) => Number(e.resourceVersion))).toEqual(log.map((_, i) => i + 1));
  expect(BigInt(log.at(-1)?.resourceVersion ?? '0') >= BigInt(before.resourceVersion)).toBe(true);
  // The call in progress at the kill was finished by its timer, after the restart, by the new process.
  const finishedBy = log.find(
    (e) =>
      BigInt(e.resourceVersion) > BigInt(before.resourceVersion) &&
      e.object.kind === 'ContainerRuntime' &&
      e.object.status.calls.some((c) => c.id === running.id && c.status === 'done'),
  );
  expect(finishedBy?.actor).toBe('system:criCallDue');
  await waitFor(
    async () => {
      const stored = await storeObjects(store, classroom.id);
      return clients.every((c) => JSON.stringify(clientObjects(c.state)) === JSON.stringify(stored));
    },
    { what: 'every client to hold the store\'s objects', timeoutMs: 20_000, intervalMs: 200 },
  );
});
