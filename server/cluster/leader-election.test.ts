import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { makePod } from '@shared/model';
import { getObject } from '@shared/protocol/watch-reducer';
import type { RunningServer } from '../app';
import { assignRoles, classroomWith, connectCluster, type ClusterClient } from '../cluster/testing/cluster-client';
import { startTestServer } from '../testing/test-server';
import { waitFor } from '../testing/wait';
import { LEADER_LEASE_DURATION_SECONDS } from './leader-election';

let server: RunningServer;
const clients: ClusterClient[] = [];

beforeAll(async () => {
  server = await startTestServer({ JOIN_RATE_LIMIT: '100000', REDIS_KEY_PREFIX: `${inject('redisKeyPrefix')}-leader` });
});

afterAll(async () => {
  for (const c of clients) c.close();
  await server?.close();
});

test('[leader election] two schedulers: only the Lease holder binds; when it disconnects the standby takes the Lease within its duration and binds', { timeout: 30_000 }, async () => {
  const classroom = await classroomWith(server.url, ['sam', 'sue']);
  const instructor = await connectCluster(server.url, classroom.instructorToken);
  clients.push(instructor);
  await assignRoles(instructor, classroom, { sam: 'scheduler', sue: 'scheduler' });
  const [samId, sueId] = ['sam', 'sue'].map((n) => classroom.students.get(n)?.studentId);
  const sam = await connectCluster(server.url, classroom.students.get('sam')?.token ?? '');
  const sue = await connectCluster(server.url, classroom.students.get('sue')?.token ?? '');
  clients.push(sam, sue);
  const lease = (c: ClusterClient) => getObject(c.state, 'Lease', 'kube-scheduler', 'kube-system');
  await waitFor(() => lease(sue)?.spec.holderIdentity === samId && sue.socket.connected, { what: 'sam to lead' });

  const store = server.cluster.runtime.store;
  const context = { actor: 'instructor', simTime: 0 };
  const first = await store.create(classroom.id, makePod('first', { requests: { cpu: '100m' } }), context);
  const second = await store.create(classroom.id, makePod('second', { requests: { cpu: '100m' } }), context);
  await sue.reached(second.metadata.resourceVersion);

  const refused = await sue.act({ kind: 'bind', pod: 'first', node: 'node-1', resourceVersion: first.metadata.resourceVersion });
  expect(refused).toEqual({ ok: false, code: 'Forbidden', message: expect.stringContaining('you are standing by: sam holds the Lease kube-system/kube-scheduler') });
  expect(await sam.act({ kind: 'bind', pod: 'first', node: 'node-1', resourceVersion: first.metadata.resourceVersion })).toMatchObject({ ok: true });

  const transitions = lease(sue)?.spec.leaseTransitions ?? 0;
  const leftAt = Date.now();
  sam.close();
  await waitFor(() => lease(sue)?.spec.holderIdentity === sueId, { what: 'sue to acquire the Lease', timeoutMs: LEADER_LEASE_DURATION_SECONDS * 1000 });
  expect(Date.now() - leftAt).toBeLessThan(LEADER_LEASE_DURATION_SECONDS * 1000);
  expect(lease(sue)?.spec.leaseTransitions).toBe(transitions + 1);
  expect(await sue.act({ kind: 'bind', pod: 'second', node: 'node-2', resourceVersion: second.metadata.resourceVersion })).toMatchObject({ ok: true });
});
