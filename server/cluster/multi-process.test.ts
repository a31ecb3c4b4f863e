import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { fromRFC3339, type ContainerRuntime } from '@shared/model';
import type { Role, WatchEvent } from '@shared/protocol';
import { getObject } from '@shared/protocol/watch-reducer';
import type { RunningServer } from '../app';
import { startTestServer } from '../testing/test-server';
import { waitFor } from '../testing/wait';
import { assignRoles, classroomWith, clientObjects, connectCluster, storeObjects, type ClusterClient } from './testing/cluster-client';
import { play, roundDone } from './testing/players';

let a: RunningServer;
let b: RunningServer;
const clients: ClusterClient[] = [];
const env = { SOCKET_RATE_PER_SECOND: '1000', SOCKET_RATE_BURST: '1000', JOIN_RATE_LIMIT: '100000', REDIS_KEY_PREFIX: `${inject('redisKeyPrefix')}-multi` };

beforeAll(async () => {
  a = await startTestServer(env);
  b = await startTestServer(env);
});

afterAll(async () => {
  for (const c of clients) c.close();
  await a?.close();
  await b?.close();
});

/**
 * How many times each CRI call of the node's runtime went to `done` in the log. (That each BullMQ
 * timer runs once across processes is server/jobs' own test; here its handlers must not finish a
 * call twice either.)
 */
function completions(log: WatchEvent[], node: string): Map<string, number> {
  const status = new Map<string, string>();
  const done = new Map<string, number>();
  for (const event of log) {
    if (event.object.kind !== 'ContainerRuntime' || event.object.metadata.name !== node) continue;
    for (const call of (event.object as ContainerRuntime).status.calls) {
      if (call.status === 'done' && status.get(call.id) !== 'done') done.set(call.id, (done.get(call.id) ?? 0) + 1);
      status.set(call.id, call.status);
    }
  }
  return done;
}

test('two server processes, students split across them: one round, the same state everywhere, each change sent once per client, each CRI call finished once by its timer', { timeout: 90_000 }, async () => {
  const roles: Record<string, Role> = { sam: 'scheduler', kim: 'kubelet:node-1', kai: 'kubelet:node-2', cem: 'controller-manager' };
  const serverOf: Record<string, RunningServer> = { sam: a, kim: a, kai: b, cem: b };
  const classroom = await classroomWith(a.url, Object.keys(roles), { nodes: 2 });
  const instructor = await connectCluster(b.url, classroom.instructorToken);
  clients.push(instructor);
  await assignRoles(instructor, classroom, roles);
  const players = [];
  for (const [name, role] of Object.entries(roles)) {
    const client = await connectCluster(serverOf[name]?.url ?? '', classroom.students.get(name)?.token ?? '');
    clients.push(client);
    await waitFor(() => client.socket.connected && client);
    players.push({ name, role, client });
  }
  await waitFor(() => getObject(instructor.state, 'Lease', 'kube-controller-manager', 'kube-system')?.spec.holderIdentity === classroom.students.get('cem')?.studentId, {
    what: 'cem to lead the controller manager',
  });
  await waitFor(() => getObject(instructor.state, 'Lease', 'kube-scheduler', 'kube-system')?.spec.holderIdentity === classroom.students.get('sam')?.studentId, {
    what: 'sam to lead the scheduler',
  });
  for (const action of [{ kind: 'setTimeScale', timeScale: 20 }, { kind: 'setBotPace', secondsPerAction: 1 }, { kind: 'start' }] as const) {
    expect(await instructor.instructor(action)).toMatchObject({ ok: true });
  }
  const running = players.map((p) => play(p.client, p.role));
  await waitFor(() => roundDone(instructor.state), { what: 'the round to finish across both processes', timeoutMs: 60_000, intervalMs: 100 });
  await Promise.all(running.map((p) => p.stop()));
  expect(running.flatMap((p) => p.refused)).toEqual([]);

  const store = a.cluster.runtime.store;
  await waitFor(
    async () => {
      const stored = await storeObjects(store, classroom.id);
      return clients.every((c) => JSON.stringify(clientObjects(c.state)) === JSON.stringify(stored));
    },
    { what: 'clients on both processes to hold exactly the store\'s objects', timeoutMs: 20_000, intervalMs: 200 },
  );
  // Each change reached each client once: no watch message repeated a version (no duplicate through the adapter).
  for (const client of clients) {
    const versions = client.batches.flat().map((e) => e.resourceVersion);
    expect(new Set(versions).size).toBe(versions.length);
  }
  const log = await store.readLog(classroom.id, '0', 100_000);
  for (const node of ['node-1', 'node-2']) {
    const done = completions(log, node);
    expect([...done.values()].every((n) => n === 1)).toBe(true);
  }
  expect(completions(log, 'node-1').size + completions(log, 'node-2').size).toBeGreaterThan(0);
});

test('the container runtime played on the process that does not own the classroom: every CRI call the student takes is finished by the owner\'s timer', { timeout: 90_000 }, async () => {
  const role: Role = 'container-runtime:node-1';
  const classroom = await classroomWith(a.url, ['rue'], { nodes: 1 });
  const instructor = await connectCluster(a.url, classroom.instructorToken);
  clients.push(instructor);
  await assignRoles(instructor, classroom, { rue: role });
  for (const action of [{ kind: 'setTimeScale', timeScale: 20 }, { kind: 'setBotPace', secondsPerAction: 1 }, { kind: 'start' }, { kind: 'pause' }] as const) {
    expect(await instructor.instructor(action)).toMatchObject({ ok: true });
  }
  const owner = await waitFor(() => [a, b].find((s) => s.cluster.owns(classroom.id)), { what: 'a process to own the classroom' });
  const other = owner === a ? b : a;
  const rue = await connectCluster(other.url, classroom.students.get('rue')?.token ?? '');
  clients.push(rue);
  await waitFor(() => rue.socket.connected);
  expect(await instructor.instructor({ kind: 'resume' })).toMatchObject({ ok: true });
  const player = play(rue, role);
  await waitFor(() => roundDone(instructor.state), { what: 'the round to finish', timeoutMs: 60_000, intervalMs: 100 });
  await player.stop();
  expect(player.refused).toEqual([]);
  expect(player.accepted.get('answerCri')).toBeGreaterThan(0);

  // Each call the student took (on the other process, which keeps no timer) went to done on time:
  // within 20 simulated s of its due time (1 s wall), where the timer sweep's net alone would take
  // two passes (2-4 s wall).
  const log = await a.cluster.runtime.store.readLog(classroom.id, '0', 100_000);
  const status = new Map<string, string>();
  const taken = new Map<string, number>();
  const finished = new Map<string, string>();
  for (const event of log) {
    if (event.object.kind !== 'ContainerRuntime') continue;
    for (const call of (event.object as ContainerRuntime).status.calls) {
      if (call.status === 'running' && status.get(call.id) === 'pending' && event.actor === `student:${classroom.students.get('rue')?.studentId}`) taken.set(call.id, fromRFC3339(call.dueAt ?? ''));
      if (call.status === 'done' && status.get(call.id) !== 'done') finished.set(call.id, `${event.actor === 'system:criCallDue' ? 'timer' : 'a later write'} ${event.simTime - (taken.get(call.id) ?? NaN) < 20_000 ? 'on time' : 'late'}`);
      status.set(call.id, call.status);
    }
  }
  expect(taken.size).toBe(player.accepted.get('answerCri'));
  // A call already due when the runtime next writes is finished by that write (time passed on the
  // machine, whoever writes): the last call taken has none after it, so its timer finishes it.
  for (const id of taken.keys()) expect(`${id} ${finished.get(id)}`).toMatch(new RegExp(`^${id} (timer|a later write) on time$`));
  expect([...finished.values()]).toContain('timer on time');
  expect(other.cluster.runtime.simTimers.size).toBe(0);
});
