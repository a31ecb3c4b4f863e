import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import type { ClassroomView, Role } from '@shared/protocol';
import { getObject } from '@shared/protocol/watch-reducer';
import type { RunningServer } from '../app';
import { assignRoles, classroomWith, connectCluster, type ClusterClient } from '../cluster/testing/cluster-client';
import { freePort } from '../redis/embedded-redis';
import { sigkill, startServerProcess } from '../testing/server-process';
import { startTestServer } from '../testing/test-server';
import { waitFor } from '../testing/wait';

const GRACE_SECONDS = 5;
const env = {
  SEAT_GRACE_SECONDS: String(GRACE_SECONDS),
  JOIN_RATE_LIMIT: '100000',
  SOCKET_RATE_PER_SECOND: '1000',
  SOCKET_RATE_BURST: '1000',
  REDIS_KEY_PREFIX: `${inject('redisKeyPrefix')}-ghosts`,
};
let survivor: RunningServer;
let doomed: ChildProcess | null = null;
let doomedUrl: string;
const clients: ClusterClient[] = [];

beforeAll(async () => {
  survivor = await startTestServer(env);
  const port = await freePort();
  doomedUrl = `http://127.0.0.1:${port}`;
  doomed = await startServerProcess(port, { ...env, REDIS_URL: inject('redisUrl') });
}, 90_000);

afterAll(async () => {
  for (const c of clients) c.close();
  if (doomed && doomed.exitCode === null && doomed.signalCode === null) await sigkill(doomed);
  await survivor?.close();
});

const seatOf = (view: ClassroomView | null, role: Role) => view?.seats.find((s) => s.role === role);
const isConnected = (view: ClassroomView | null, id: string | undefined) => view?.members.find((m) => m.id === id)?.connected;

test('[presence] a SIGKILLed process: its students are disconnected, their seats go back to the bots after the grace period, and the scheduler Lease it led moves to a standby on the surviving process', { timeout: 120_000 }, async () => {
  // sam leads the scheduler and kim plays node-1's kubelet on the doomed process; sid stands by on the survivor.
  const roles: Record<string, Role> = { sam: 'scheduler', sid: 'scheduler', kim: 'kubelet:node-1' };
  const classroom = await classroomWith(survivor.url, Object.keys(roles), { nodes: 1 });
  const id = (name: string) => classroom.students.get(name)?.studentId;
  const token = (name: string) => classroom.students.get(name)?.token ?? '';
  const instructor = await connectCluster(survivor.url, classroom.instructorToken);
  clients.push(instructor);
  await assignRoles(instructor, classroom, roles);
  for (const [name, url] of [['sam', doomedUrl], ['kim', doomedUrl], ['sid', survivor.url]] as const) {
    clients.push(await connectCluster(url, token(name)));
    await waitFor(() => isConnected(instructor.view, id(name)), { what: `${name} shown connected` });
  }
  await waitFor(() => getObject(instructor.state, 'Lease', 'kube-scheduler', 'kube-system')?.spec.holderIdentity === id('sam'), { what: 'sam to lead the scheduler' });
  await waitFor(() => seatOf(instructor.view, 'kubelet:node-1')?.bot === 'standby', { what: 'kim to take the kubelet from its bot' });

  if (!doomed) throw new Error('no second process');
  const killedAt = Date.now();
  await sigkill(doomed);

  const since = (): number => (Date.now() - killedAt) / 1000;
  const limit = { timeoutMs: (GRACE_SECONDS + 5) * 1000, intervalMs: 20 };
  await waitFor(() => isConnected(instructor.view, id('kim')) === false && isConnected(instructor.view, id('sam')) === false, { ...limit, what: 'the ghosts shown disconnected' });
  const disconnectedAfter = since();
  await waitFor(() => getObject(instructor.state, 'Lease', 'kube-scheduler', 'kube-system')?.spec.holderIdentity === id('sid'), { ...limit, what: 'the scheduler Lease to move to sid' });
  const leaseMovedAfter = since();
  await waitFor(() => seatOf(instructor.view, 'kubelet:node-1')?.bot === 'playing', { ...limit, what: 'the kubelet seat handed back to its bot' });
  const handedBackAfter = since();
  console.info(`ghost recovery after SIGKILL: shown disconnected ${disconnectedAfter.toFixed(2)} s, Lease moved ${leaseMovedAfter.toFixed(2)} s, seat handed back ${handedBackAfter.toFixed(2)} s (grace ${GRACE_SECONDS} s)`);

  // The ghost is found within its heartbeat's TTL and a sweep, well within a Lease's 15 s; the grace
  // period runs from its last beat (at most a beat before the kill), so the seat waits for it.
  expect(leaseMovedAfter).toBeLessThan(5);
  expect(handedBackAfter).toBeGreaterThanOrEqual(GRACE_SECONDS - 1.1);
  expect(handedBackAfter).toBeLessThanOrEqual(GRACE_SECONDS + 5);
  const lease = getObject(instructor.state, 'Lease', 'kube-scheduler', 'kube-system');
  expect(lease?.spec.leaseTransitions).toBeGreaterThanOrEqual(1);
  expect(seatOf(instructor.view, 'scheduler')).toMatchObject({ leaderId: id('sid'), bot: 'standby' });
  expect(isConnected(instructor.view, id('sid'))).toBe(true);
});
