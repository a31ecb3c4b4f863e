import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { makePod } from '@shared/model';
import { getObject, listObjects } from '@shared/protocol/watch-reducer';
import type { RunningServer } from '../app';
import { startTestServer } from '../testing/test-server';
import { waitFor } from '../testing/wait';
import { bootstrapObjects } from './bootstrap';
import { KUBELET_STOPPED } from './faults';
import { assignRoles, classroomWith, connectCluster, type Classroom, type ClusterClient } from './testing/cluster-client';

let server: RunningServer;
let classroom: Classroom;
let instructor: ClusterClient;
let kubelet: ClusterClient;

const manifest = (replicas: number) => `
apiVersion: v1
kind: Service
metadata: { name: api }
spec:
  selector: { app: api }
  ports: [{ port: 8080 }]
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: api, labels: { app: api } }
spec:
  replicas: ${replicas}
  selector: { matchLabels: { app: api } }
  template:
    metadata: { labels: { app: api } }
    spec: { containers: [{ name: api, image: "redis:7" }] }
`;

beforeAll(async () => {
  server = await startTestServer({ REDIS_KEY_PREFIX: `${inject('redisKeyPrefix')}-instructor` });
  classroom = await classroomWith(server.url, ['kim']);
  instructor = await connectCluster(server.url, classroom.instructorToken);
  await assignRoles(instructor, classroom, { kim: 'kubelet:node-2' });
  kubelet = await connectCluster(server.url, classroom.students.get('kim')?.token ?? '');
});

afterAll(async () => {
  instructor?.close();
  kubelet?.close();
  await server?.close();
});

describe("the instructor's cluster requests", () => {
  test('[kubectl apply] creates, then leaves unchanged, then configures what the manifest names', async () => {
    expect(await instructor.instructor({ kind: 'apply', manifest: manifest(2) })).toEqual({ ok: true, message: 'service/api created\ndeployment.apps/api created' });
    expect(await instructor.instructor({ kind: 'apply', manifest: manifest(2) })).toEqual({ ok: true, message: 'service/api unchanged\ndeployment.apps/api unchanged' });
    expect(await instructor.instructor({ kind: 'apply', manifest: manifest(4) })).toEqual({ ok: true, message: 'service/api unchanged\ndeployment.apps/api configured' });
    await waitFor(() => getObject(kubelet.state, 'Deployment', 'api')?.spec.replicas === 4, { what: 'the student to see the new replica count' });
    expect(await instructor.instructor({ kind: 'apply', manifest: 'kind: [' })).toMatchObject({ ok: false, code: 'BadRequest', message: expect.stringContaining('not valid YAML') });
    expect(await instructor.instructor({ kind: 'apply', manifest: 'kind: Lease\nmetadata: { name: x }' })).toMatchObject({ ok: false, code: 'BadRequest' });
  });

  test('[kubectl delete] a Service goes at once; a pod on a node is Terminating for its grace period', async () => {
    expect(await instructor.instructor({ kind: 'deleteObject', objectKind: 'Service', name: 'api' })).toEqual({ ok: true, message: 'service/api deleted' });
    await server.cluster.runtime.store.create(classroom.id, makePod('bound', { nodeName: 'node-1' }), { actor: 'instructor', simTime: 0 });
    expect(await instructor.instructor({ kind: 'deleteObject', objectKind: 'Pod', name: 'bound' })).toEqual({ ok: true, message: 'pod/bound terminating' });
    await waitFor(() => getObject(instructor.state, 'Pod', 'bound')?.metadata.deletionTimestamp !== undefined && !getObject(instructor.state, 'Service', 'api'), {
      what: 'the deletions to reach the instructor',
    });
    expect(await instructor.instructor({ kind: 'deleteObject', objectKind: 'Service', name: 'api' })).toMatchObject({ ok: false, code: 'NotFound', message: 'services "api" not found' });
  });

  test('[fault] a stopped kubelet is marked on its Node and refuses its student with ServiceUnavailable until started again', async () => {
    expect(await instructor.instructor({ kind: 'fault', fault: { type: 'stopKubelet', node: 'node-2' } })).toMatchObject({ ok: true });
    await waitFor(() => getObject(kubelet.state, 'Node', 'node-2')?.metadata.annotations?.[KUBELET_STOPPED] === 'true', { what: 'the stopped mark' });
    expect(await kubelet.act({ kind: 'renewLease', node: 'node-2' })).toMatchObject({ ok: false, code: 'ServiceUnavailable', message: expect.stringContaining('the kubelet on node-2 is stopped') });
    expect(await instructor.instructor({ kind: 'fault', fault: { type: 'startKubelet', node: 'node-2' } })).toMatchObject({ ok: true });
    await waitFor(() => getObject(kubelet.state, 'Node', 'node-2')?.metadata.annotations?.[KUBELET_STOPPED] === undefined, { what: 'the mark to go' });
    // Running again: the lobby's clock stands still, so the Lease was renewed less than 10 s ago.
    expect(await kubelet.act({ kind: 'renewLease', node: 'node-2' })).toMatchObject({ ok: false, code: 'Invalid' });
  });

  test('reset brings the cluster back to its first round, and the log keeps what happened before', async () => {
    const before = instructor.state.resourceVersion;
    expect(await instructor.instructor({ kind: 'reset' })).toMatchObject({ ok: true });
    const expected = bootstrapObjects(['node-1', 'node-2', 'node-3'], 0).map((o) => `${o.kind}/${o.metadata.name}`).sort();
    await waitFor(
      () => {
        const held = listObjects(instructor.state, 'Node').length + listObjects(instructor.state, 'Pod').length;
        return held === 3 && !getObject(instructor.state, 'Deployment', 'api');
      },
      { what: 'the reset to reach the instructor' },
    );
    const snapshot = await server.cluster.runtime.store.snapshot(classroom.id);
    // The control-plane Leases are elected again (the bots hold them: nobody plays those roles).
    const elected = ['Lease/kube-controller-manager', 'Lease/kube-scheduler'];
    expect(snapshot.objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([...expected, ...elected].sort());
    const log = await server.cluster.runtime.store.readLog(classroom.id, '0', 100_000);
    expect(log.some((e) => e.object.metadata.name === 'api' && e.type === 'DELETED' && e.actor === 'instructor')).toBe(true);
    expect(BigInt(snapshot.resourceVersion)).toBeGreaterThan(BigInt(before));
  });

  test('a scenario that does not exist is NotFound', async () => {
    expect(await instructor.instructor({ kind: 'runScenario', scenario: 'no-such-scenario' })).toMatchObject({ ok: false, code: 'NotFound' });
  });
});
