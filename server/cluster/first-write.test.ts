/**
 * Issue 14, bug 2: "one classroom never got going; its controller-manager and kubelet bots kept
 * ticking but wrote nothing". A classroom's cluster is created only on an empty store, and the
 * first seat change (a socket's presence, heard by every process) elects the control-plane
 * leaders: when another process's Lease write landed before the first socket's bootstrap looked,
 * the store was no longer empty and the classroom stayed without Nodes or Deployment for good.
 * Whoever writes first now creates the cluster first.
 */
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { getObject, listObjects } from '@shared/protocol/watch-reducer';
import type { RunningServer } from '../app';
import { createClassroomAnnouncer } from '../classroom/announcer';
import { createClassroomChanges, type ClassroomChanges } from '../classroom/changes';
import { connectRedis, type RedisClient } from '../redis/connect';
import { silentLogger, startTestServer } from '../testing/test-server';
import { waitFor } from '../testing/wait';
import { classroomWith, connectCluster, type ClusterClient } from './testing/cluster-client';
import { roundDone } from './testing/players';

const prefix = `${inject('redisKeyPrefix')}-first-write`;
let server: RunningServer;
let redis: RedisClient;
let changes: ClassroomChanges;
const clients: ClusterClient[] = [];

beforeAll(async () => {
  server = await startTestServer({ JOIN_RATE_LIMIT: '100000', REDIS_KEY_PREFIX: prefix, SOCKET_RATE_PER_SECOND: '1000', SOCKET_RATE_BURST: '1000' });
  redis = await connectRedis(inject('redisUrl'));
  changes = await createClassroomChanges(redis, prefix, silentLogger);
});

afterAll(async () => {
  for (const c of clients) c.close();
  await server?.close();
  await changes?.close();
  await redis?.close();
});

test('a seat change heard before the first socket bootstrapped the classroom: the cluster is still created, and the bots-only round finishes', { timeout: 60_000 }, async () => {
  const classroom = await classroomWith(server.url, []);
  // Another process announces a member's presence before any socket of this one looked at the classroom.
  await createClassroomAnnouncer(server.classrooms, changes).announce(classroom.id, ['presence']);
  await waitFor(async () => (await server.cluster.store.snapshot(classroom.id)).objects.some((o) => o.kind === 'Lease' && o.metadata.name === 'kube-scheduler'), {
    what: 'the control-plane Leases elected',
  });

  const instructor = await connectCluster(server.url, classroom.instructorToken);
  clients.push(instructor);
  expect(listObjects(instructor.state, 'Node').map((n) => n.metadata.name)).toEqual(['node-1', 'node-2', 'node-3']);
  expect(getObject(instructor.state, 'Deployment', 'web', 'default')?.spec.replicas).toBe(3);
  for (const action of [{ kind: 'setTimeScale', timeScale: 20 }, { kind: 'setBotPace', secondsPerAction: 1 }, { kind: 'start' }] as const) {
    expect(await instructor.instructor(action)).toMatchObject({ ok: true });
  }
  await waitFor(() => roundDone(instructor.state), { what: 'the bots to finish the round', timeoutMs: 45_000, intervalMs: 100 });
});
