import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { LEADER_ELECTION_NAMESPACE, makePod } from '@shared/model';
import { leaseNameOf, type ResyncReply } from '@shared/protocol';
import { getObject } from '@shared/protocol/watch-reducer';
import type { RunningServer } from '../app';
import { classroomWith, clientObjects, connectCluster, storeObjects, type ClusterClient } from '../cluster/testing/cluster-client';
import { startTestServer } from '../testing/test-server';
import { lobbySettled } from '../cluster/testing/lobby-settled';

let server: RunningServer;
let classroomId: string;
let instructorToken: string;
let first: ClusterClient;
let watcher: ClusterClient;
const context = { actor: 'instructor', simTime: 0 };
const CONTROL_PLANE_LEASES = (['scheduler', 'controller-manager'] as const).map(leaseNameOf);

beforeAll(async () => {
  server = await startTestServer({ REDIS_KEY_PREFIX: `${inject('redisKeyPrefix')}-watch` });
  const classroom = await classroomWith(server.url, []);
  classroomId = classroom.id;
  instructorToken = classroom.instructorToken;
  // The watcher below connects to a store that stands still (see lobbySettled).
  first = await connectCluster(server.url, instructorToken);
  await lobbySettled(server.cluster.runtime.store, classroomId);
  watcher = await connectCluster(server.url, instructorToken);
});

afterAll(async () => {
  watcher?.close();
  first?.close();
  await server?.close();
});

describe('live watch', () => {
  test('[list-watch] a new connection gets the cluster as a snapshot at its resourceVersion (bootstrapped nodes and demo workload)', async () => {
    expect(BigInt(watcher.state.resourceVersion)).toBeGreaterThan(0n);
    expect(getObject(watcher.state, 'Node', 'node-1')).toBeDefined();
    expect(getObject(watcher.state, 'Deployment', 'web')?.spec.replicas).toBe(3);
    for (const name of CONTROL_PLANE_LEASES) expect(getObject(watcher.state, 'Lease', name, LEADER_ELECTION_NAMESPACE)).toBeDefined();
    // All of it came in the snapshot: no watch message since.
    expect(watcher.batches).toEqual([]);
    expect(clientObjects(watcher.state)).toEqual(await storeObjects(server.cluster.runtime.store, classroomId));
  });

  test('one change when idle leaves at once as a watch message of its own', async () => {
    const sent = watcher.batches.length;
    const pod = await server.cluster.runtime.store.create(classroomId, makePod('solo'), context);
    await watcher.reached(pod.metadata.resourceVersion);
    expect(watcher.batches.slice(sent)).toEqual([[expect.objectContaining({ type: 'ADDED', resourceVersion: pod.metadata.resourceVersion })]]);
  });

  test('changes committed together are coalesced: fewer watch messages than events, all in order', async () => {
    const sent = watcher.batches.length;
    const store = server.cluster.runtime.store;
    const pods = await Promise.all(Array.from({ length: 30 }, (_, i) => store.create(classroomId, makePod(`burst-${i}`), context)));
    const last = pods.map((p) => BigInt(p.metadata.resourceVersion)).reduce((a, b) => (a > b ? a : b));
    await watcher.reached(String(last));
    const batches = watcher.batches.slice(sent);
    const versions = batches.flat().map((e) => Number(e.resourceVersion));
    expect(versions).toHaveLength(30);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    expect(batches.length).toBeLessThan(30);
  });

  test('[resync] a client that was away asks from its last resourceVersion and gets exactly what it missed', async () => {
    const from = watcher.state.resourceVersion;
    const store = server.cluster.runtime.store;
    const a = await store.create(classroomId, makePod('missed-a'), context);
    const b = await store.create(classroomId, makePod('missed-b'), context);
    const reply: ResyncReply = await watcher.socket.timeout(5000).emitWithAck('resync', { resourceVersion: from });
    expect(reply.ok && 'events' in reply && reply.events.map((e) => e.resourceVersion)).toEqual([a.metadata.resourceVersion, b.metadata.resourceVersion]);
    const bad: ResyncReply = await watcher.socket.timeout(5000).emitWithAck('resync', { resourceVersion: 'latest' });
    expect(bad).toMatchObject({ ok: false, code: 'BadRequest' });
  });

  test('a connection made while changes are flowing misses none of them (snapshot, then the events after it)', async () => {
    const store = server.cluster.runtime.store;
    const writes = (async () => {
      const written = [];
      for (let i = 0; i < 40; i++) written.push(await store.create(classroomId, makePod(`flow-${i}`), context));
      return written;
    })();
    const late = await connectCluster(server.url, instructorToken);
    const written = await writes;
    await late.reached(written.at(-1)?.metadata.resourceVersion ?? '0');
    late.close();
    expect(clientObjects(late.state)).toEqual(await storeObjects(store, classroomId));
  });
});
