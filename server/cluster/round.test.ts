import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import type { Role } from '@shared/protocol';
import { getObject } from '@shared/protocol/watch-reducer';
import type { RunningServer } from '../app';
import { startTestServer } from '../testing/test-server';
import { waitFor } from '../testing/wait';
import { assignRoles, classroomWith, clientObjects, connectCluster, storeObjects, type ClusterClient } from './testing/cluster-client';
import { play, roundDone, routeFrom } from './testing/players';

let server: RunningServer;
const clients: ClusterClient[] = [];

beforeAll(async () => {
  // Scripted students send faster than people: the per-socket rate limit is not what this tests.
  server = await startTestServer({ JOIN_RATE_LIMIT: '100000', REDIS_KEY_PREFIX: `${inject('redisKeyPrefix')}-round`, SOCKET_RATE_PER_SECOND: '1000', SOCKET_RATE_BURST: '1000' });
});

afterAll(async () => {
  for (const c of clients) c.close();
  await server?.close();
});

test('a scripted round: four students (kube-proxy and runtimes by bot) take a 3-replica Deployment to Ready and reachable, and every client ends with the store\'s state', { timeout: 90_000 }, async () => {
  const roles: Record<string, Role> = { sam: 'scheduler', kim: 'kubelet:node-1', kai: 'kubelet:node-2', cem: 'controller-manager' };
  const classroom = await classroomWith(server.url, Object.keys(roles), { nodes: 2 });
  const instructor = await connectCluster(server.url, classroom.instructorToken);
  clients.push(instructor);
  await assignRoles(instructor, classroom, roles);
  const students = new Map<string, ClusterClient>();
  for (const name of Object.keys(roles)) {
    const client = await connectCluster(server.url, classroom.students.get(name)?.token ?? '');
    students.set(name, client);
    clients.push(client);
  }
  const idOf = (name: string) => classroom.students.get(name)?.studentId;
  await waitFor(
    () =>
      getObject(instructor.state, 'Lease', 'kube-scheduler', 'kube-system')?.spec.holderIdentity === idOf('sam') &&
      getObject(instructor.state, 'Lease', 'kube-controller-manager', 'kube-system')?.spec.holderIdentity === idOf('cem'),
    { what: 'the students to lead their control-plane Leases' },
  );
  for (const action of [{ kind: 'setTimeScale', timeScale: 20 }, { kind: 'setBotPace', secondsPerAction: 1 }, { kind: 'start' }] as const) {
    expect(await instructor.instructor(action)).toMatchObject({ ok: true });
  }

  const players = [...students].map(([name, client]) => play(client, roles[name] as Role));
  await waitFor(() => roundDone(instructor.state), { what: 'all pods Ready and programmed on every node', timeoutMs: 60_000, intervalMs: 100 });
  await Promise.all(players.map((p) => p.stop()));

  expect(players.flatMap((p) => p.refused)).toEqual([]);
  const [scheduler, , , controllerManager] = players;
  expect(scheduler?.accepted.get('bind')).toBe(3);
  expect(controllerManager?.accepted.get('createPod')).toBe(3);
  for (const node of ['node-1', 'node-2']) expect(routeFrom(instructor.state, node)).toBe('served');

  // Bots and timers may still be finishing a step: compare once the store stands still.
  await waitFor(
    async () => {
      const stored = await storeObjects(server.cluster.runtime.store, classroom.id);
      return clients.every((c) => JSON.stringify(clientObjects(c.state)) === JSON.stringify(stored));
    },
    { what: 'every client to hold exactly the store\'s objects', timeoutMs: 20_000, intervalMs: 200 },
  );
});
