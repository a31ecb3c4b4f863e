import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { getObject, listObjects } from '@shared/protocol/watch-reducer';
import type { RunningServer } from '../app';
import { startTestServer } from '../testing/test-server';
import { waitFor } from '../testing/wait';
import { DEMO_APP, DEMO_REPLICAS } from './bootstrap';
import { classroomWith, connectCluster, type ClusterClient } from './testing/cluster-client';
import { roundDone } from './testing/players';

let server: RunningServer;
let instructor: ClusterClient | undefined;

beforeAll(async () => {
  server = await startTestServer({ REDIS_KEY_PREFIX: `${inject('redisKeyPrefix')}-gc` });
});

afterAll(async () => {
  instructor?.close();
  await server?.close();
});

describe('the garbage collector in the classroom (the controller-manager bot plays it)', () => {
  test('kubectl delete --cascade=orphan keeps the ReplicaSet and its pods without the reference; a plain delete of the ReplicaSet then takes its pods', { timeout: 90_000 }, async () => {
    const classroom = await classroomWith(server.url, []);
    const client = await connectCluster(server.url, classroom.instructorToken);
    instructor = client;
    for (const action of [{ kind: 'setTimeScale', timeScale: 20 }, { kind: 'setBotPace', secondsPerAction: 0.5 }, { kind: 'start' }] as const) {
      expect(await client.instructor(action)).toMatchObject({ ok: true });
    }
    await waitFor(() => roundDone(client.state), { what: 'the bots to bring the Deployment up', timeoutMs: 45_000, intervalMs: 100 });
    const [rs, ...others] = listObjects(client.state, 'ReplicaSet');
    expect(others).toEqual([]);
    const rsName = rs?.metadata.name ?? '';

    expect(await client.instructor({ kind: 'deleteObject', objectKind: 'Deployment', name: DEMO_APP, propagationPolicy: 'Orphan' })).toEqual({ ok: true, message: `deployment.apps/${DEMO_APP} deleted` });
    await waitFor(() => !getObject(client.state, 'Deployment', DEMO_APP) && getObject(client.state, 'ReplicaSet', rsName)?.metadata.ownerReferences === undefined, {
      what: 'the garbage collector to orphan the ReplicaSet and let the Deployment go',
      timeoutMs: 30_000,
    });
    const pods = listObjects(client.state, 'Pod').filter((p) => p.metadata.labels?.['app'] === DEMO_APP);
    expect(pods.map((p) => p.metadata.ownerReferences?.map((r) => r.name))).toEqual(Array.from({ length: DEMO_REPLICAS }, () => [rsName]));
    const requests = await server.cluster.runtime.store.readRequestLog(classroom.id, 2000);
    expect(requests.filter((r) => r.actor === 'bot:controller-manager' && r.verb === 'collectGarbage' && r.outcome === 'accepted').map((r) => r.target)).toContain(`deployments.apps/${DEMO_APP}`);

    expect(await client.instructor({ kind: 'deleteObject', objectKind: 'ReplicaSet', name: rsName })).toEqual({ ok: true, message: `replicaset.apps/${rsName} deleted` });
    await waitFor(() => listObjects(client.state, 'Pod').filter((p) => p.metadata.labels?.['app'] === DEMO_APP && p.metadata.deletionTimestamp === undefined).length === 0, {
      what: 'the garbage collector to delete the pods of the deleted ReplicaSet',
      timeoutMs: 30_000,
    });
  });
});
