import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  makeContainerRuntime,
  makeDeployment,
  makeLease,
  makeNode,
  makePod,
  makeService,
  toRFC3339,
  type Endpoints,
  type Event,
  type Kind,
  type KubeObject,
  type ReplicaSet,
} from '@shared/model';
import { isApiError } from './api-error';
import { as, newClassroom, openStore, SIM_START, type OpenStore } from './testing/fixture';

let open: OpenStore;
beforeAll(async () => {
  open = await openStore();
});
afterAll(() => open.close());

const replicaSet: ReplicaSet = {
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  metadata: { name: 'web-7d4f9c', namespace: 'default', labels: { app: 'web' } },
  spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } } },
};
const endpoints: Endpoints = { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'web', namespace: 'default' }, subsets: [] };
const event: Event = {
  apiVersion: 'v1',
  kind: 'Event',
  metadata: { name: 'web-1.17f3a', namespace: 'default' },
  involvedObject: { kind: 'Pod', name: 'web-1', namespace: 'default' },
  reason: 'Scheduled',
  message: 'Successfully assigned default/web-1 to node-1',
  type: 'Normal',
};

/** The Kubernetes kinds of the issue (the node-local kinds of shared/sim go through the same code). */
const KUBERNETES_KINDS = ['Node', 'Pod', 'Deployment', 'ReplicaSet', 'Service', 'Endpoints', 'Event', 'Lease'] as const satisfies readonly Kind[];

/** One object of every kind, and a change of each that a role would make. */
const samples: Record<(typeof KUBERNETES_KINDS)[number], { object: KubeObject; change: (o: KubeObject) => KubeObject }> = {
  Node: { object: makeNode('node-1'), change: (o) => ({ ...o, metadata: { ...o.metadata, labels: { ...o.metadata.labels, zone: 'a' } } }) as KubeObject },
  Pod: { object: makePod('web-1', { labels: { app: 'web' } }), change: (o) => withSpec(o, { nodeName: 'node-1' }) },
  Deployment: { object: makeDeployment('web', { replicas: 2 }), change: (o) => withSpec(o, { replicas: 3 }) },
  ReplicaSet: { object: replicaSet, change: (o) => withSpec(o, { replicas: 3 }) },
  Service: { object: makeService('web', { app: 'web' }, 80), change: (o) => withSpec(o, { sessionAffinity: 'ClientIP' }) },
  Endpoints: {
    object: endpoints,
    change: (o) => ({ ...o, subsets: [{ addresses: [{ ip: '10.244.1.5' }], ports: [{ port: 80 }] }] }) as KubeObject,
  },
  Event: { object: event, change: (o) => ({ ...o, count: 2 }) as KubeObject },
  Lease: { object: makeLease('node-1', 'kube-node-lease', 'node-1', 40, SIM_START), change: (o) => withSpec(o, { renewTime: '2026-11-25T10:00:10.000000Z' }) },
};

function withSpec(o: KubeObject, patch: Record<string, unknown>): KubeObject {
  return { ...o, spec: { ...('spec' in o ? o.spec : {}), ...patch } } as KubeObject;
}

function refOf(o: KubeObject) {
  return { kind: o.kind, name: o.metadata.name, namespace: o.metadata.namespace };
}

async function refusal(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (error) {
    if (isApiError(error)) return error.status;
    throw error;
  }
  throw new Error('the request was accepted');
}

describe('CRUD of every kind', () => {
  it.each(KUBERNETES_KINDS)('%s: create sets uid, creationTimestamp, generation (where its strategy does) and resourceVersion; get, list, update, delete', async (kind) => {
    const { store } = open;
    const classroom = newClassroom();
    const { object, change } = samples[kind];
    const created = await store.create(classroom, object, as('student:ada'));
    // In 1.32 only the apps kinds' strategies (and PriorityClass's) set a generation (shared/sim/admission/admit.test.ts has the table).
    const generation = kind === 'Deployment' || kind === 'ReplicaSet' ? 1 : undefined;
    expect(created.metadata).toMatchObject({ name: object.metadata.name, creationTimestamp: toRFC3339(SIM_START), resourceVersion: '1' });
    expect(created.metadata.generation).toBe(generation);
    expect(created.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);

    expect(await store.get(classroom, refOf(object))).toEqual(created);
    expect((await store.list(classroom, kind)).items).toEqual([created]);

    const updated = await store.update(classroom, change(created), as('student:ada'));
    expect(updated.metadata.resourceVersion).toBe('2');
    expect(updated.metadata.uid).toBe(created.metadata.uid);
    expect(await store.get(classroom, refOf(object))).toEqual(updated);

    const deleted = await store.delete(classroom, refOf(object), as('student:ada'));
    expect(deleted.metadata.resourceVersion).toBe('3');
    expect(await refusal(store.get(classroom, refOf(object)))).toMatchObject({ reason: 'NotFound', code: 404 });
    expect((await store.list(classroom, kind)).items).toEqual([]);
    expect((await store.readLog(classroom, '0', 10)).map((e) => [e.type, e.resourceVersion, e.actor])).toEqual([
      ['ADDED', '1', 'student:ada'],
      ['MODIFIED', '2', 'student:ada'],
      ['DELETED', '3', 'student:ada'],
    ]);
  });
});

describe('API errors in Kubernetes words (DESIGN: API)', () => {
  it('[AlreadyExists] creating an existing name fails with `pods "web-1" already exists` and writes nothing', async () => {
    const classroom = newClassroom();
    await open.store.create(classroom, makePod('web-1'), as('bot:controller-manager'));
    expect(await refusal(open.store.create(classroom, makePod('web-1'), as('bot:controller-manager')))).toMatchObject({
      reason: 'AlreadyExists',
      code: 409,
      message: 'pods "web-1" already exists',
    });
    expect(await open.store.readLog(classroom, '0', 10)).toHaveLength(1);
  });

  it('[NotFound] updating, patching or deleting a missing object gives `pods "ghost" not found`', async () => {
    const classroom = newClassroom();
    const message = 'pods "ghost" not found';
    expect(await refusal(open.store.update(classroom, makePod('ghost'), as('a')))).toMatchObject({ reason: 'NotFound', message });
    expect(await refusal(open.store.patch(classroom, { kind: 'Pod', name: 'ghost' }, { spec: { nodeName: 'n' } }, as('a')))).toMatchObject({ message });
    expect(await refusal(open.store.delete(classroom, { kind: 'Pod', name: 'ghost' }, as('a')))).toMatchObject({ message });
    expect(await refusal(open.store.get(classroom, { kind: 'Deployment', name: 'web' }))).toMatchObject({ message: 'deployments.apps "web" not found' });
  });

  it('[NamespaceLifecycle] no create, by any writer, lands in a namespace the cluster lacks: `namespaces "team-a" not found`, nothing written', async () => {
    // k8s.io/apiserver/pkg/admission/plugin/namespace/lifecycle/admission.go: a create in a missing namespace is the Namespace lookup's NotFound.
    const classroom = newClassroom();
    const missing = { reason: 'NotFound', code: 404, message: 'namespaces "team-a" not found', details: { name: 'team-a', kind: 'namespaces' } };
    const pod = makePod('web-1', { namespace: 'team-a' });
    expect(await refusal(open.store.create(classroom, pod, as('instructor')))).toMatchObject(missing);
    expect(await refusal(open.store.create(classroom, pod, { ...as('instructor'), dryRun: true }))).toMatchObject(missing);
    // The game's moves and loops write through apply, past create's validation: the same rule.
    expect(await refusal(open.store.apply(classroom, { verb: 'create', kind: 'Pod', name: 'web-1', namespace: 'team-a', object: pod }, as('bot:controller-manager')))).toMatchObject(missing);
    // Admission comes before field validation (handlers/create.go runs it before r.Create): an invalid object there is the 404 too, a malformed one still the 400.
    expect(await refusal(open.store.create(classroom, { ...pod, spec: { containers: [] } }, as('instructor')))).toMatchObject(missing);
    expect(await refusal(open.store.create(classroom, { ...pod, kind: 'Widget' }, as('instructor')))).toMatchObject({ code: 400 });
    // ... and before a ClusterIP is taken: the address stays free.
    expect(await refusal(open.store.create(classroom, makeService('web', { app: 'web' }, 80, { namespace: 'team-a', clusterIP: '10.96.0.50' }), as('instructor')))).toMatchObject(missing);
    expect(await open.redis.hKeys(open.store.keys(classroom).clusterIPs)).toEqual([]);
    expect(await open.store.readLog(classroom, '0', 10)).toEqual([]);
    // The four it has take creates as before.
    expect((await open.store.create(classroom, makePod('web-1', { namespace: 'kube-public' }), as('instructor'))).metadata.namespace).toBe('kube-public');
  });

  it('[dry run] a Service\'s dry run takes no ClusterIP: a real create racing it for the same address gets it, every time', async () => {
    // pkg/registry/core/service/storage/alloc.go allocates through the allocator's DryRun form, which takes nothing
    // (ipallocator/bitmap.go dryRunRange: an address asked is only checked to be in the range; none asked is the network address).
    const dry = { ...as('instructor'), dryRun: true };
    for (let round = 0; round < 20; round++) {
      const classroom = newClassroom();
      const ip = `10.96.0.${100 + round}`;
      const [tried, real] = await Promise.all([
        open.store.create(classroom, makeService('dry', { app: 'web' }, 80, { clusterIP: ip }), dry),
        open.store.create(classroom, makeService('web', { app: 'web' }, 80, { clusterIP: ip }), as('instructor')),
      ]);
      expect([tried.spec.clusterIP, real.spec.clusterIP]).toEqual([ip, ip]);
      expect(await open.redis.hGetAll(open.store.keys(classroom).clusterIPs)).toEqual({ [ip]: 'default/web' });
    }
    // Taken or not, an address in the range passes a dry run; out of it, it is refused as the real create is.
    const classroom = newClassroom();
    await open.store.create(classroom, makeService('web', { app: 'web' }, 80, { clusterIP: '10.96.0.10' }), as('instructor'));
    expect((await open.store.create(classroom, makeService('dry', { app: 'web' }, 80, { clusterIP: '10.96.0.10' }), dry)).spec.clusterIP).toBe('10.96.0.10');
    expect(await refusal(open.store.create(classroom, makeService('dry', { app: 'web' }, 80, { clusterIP: '10.0.0.10' }), dry))).toMatchObject({
      code: 422,
      message: 'Service "dry" is invalid: spec.clusterIPs: Invalid value: []string{"10.0.0.10"}: failed to allocate IP 10.0.0.10: the provided IP (10.0.0.10) is not in the valid range. The range of valid IPs is 10.96.0.0/12',
    });
    expect((await open.store.create(classroom, makeService('dry', { app: 'web' }, 80), dry)).spec).toMatchObject({ clusterIP: '10.96.0.0', clusterIPs: ['10.96.0.0'] });
    expect(await open.redis.hKeys(open.store.keys(classroom).clusterIPs)).toEqual(['10.96.0.10']);
  });

  it('[Conflict] an update carrying an old resourceVersion fails with the Kubernetes message', async () => {
    const classroom = newClassroom();
    const pod = await open.store.create(classroom, makePod('web-1'), as('a'));
    await open.store.update(classroom, { ...pod, metadata: { ...pod.metadata, labels: { tier: 'front' } } }, as('a'));
    expect(await refusal(open.store.update(classroom, { ...pod, spec: { ...pod.spec, nodeName: 'node-2' } }, as('b')))).toMatchObject({
      reason: 'Conflict',
      code: 409,
      message: 'Operation cannot be fulfilled on pods "web-1": the object has been modified; please apply your changes to the latest version and try again',
    });
  });

  it('[Preconditions] delete with a stale uid or resourceVersion is a Conflict and the object stays', async () => {
    const classroom = newClassroom();
    const pod = await open.store.create(classroom, makePod('web-1'), as('a'));
    const ref = { kind: 'Pod' as const, name: 'web-1' };
    expect(await refusal(open.store.delete(classroom, ref, as('a'), { preconditions: { uid: 'other' } }))).toMatchObject({
      reason: 'Conflict',
      message: `Operation cannot be fulfilled on pods "web-1": Precondition failed: UID in precondition: other, UID in object meta: ${pod.metadata.uid}`,
    });
    expect(await refusal(open.store.delete(classroom, ref, as('a'), { preconditions: { resourceVersion: '7' } }))).toMatchObject({ reason: 'Conflict' });
    expect(await open.store.get(classroom, ref)).toEqual(pod);
  });
});

describe('resourceVersion and classrooms', () => {
  it('resourceVersion strictly increases per classroom across kinds and writes', async () => {
    const classroom = newClassroom();
    const s = open.store;
    const versions = [
      (await s.create(classroom, makeNode('node-1'), as('a'))).metadata.resourceVersion,
      (await s.create(classroom, makePod('web-1'), as('a'))).metadata.resourceVersion,
      (await s.patch(classroom, { kind: 'Pod', name: 'web-1' }, { spec: { nodeName: 'node-1' } }, as('a'))).metadata.resourceVersion,
      (await s.create(classroom, makeDeployment('web'), as('a'))).metadata.resourceVersion,
      (await s.delete(classroom, { kind: 'Node', name: 'node-1' }, as('a'))).metadata.resourceVersion,
    ].map(Number);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    expect(new Set(versions).size).toBe(versions.length);
    expect((await s.snapshot(classroom)).resourceVersion).toBe(String(versions.at(-1)));
  });

  it('two classrooms never see each other’s objects, versions or logs', async () => {
    const [a, b] = [newClassroom(), newClassroom()];
    await open.store.create(a, makePod('web-1'), as('a'));
    await open.store.create(a, makePod('web-2'), as('a'));
    await open.store.create(b, makePod('web-1', { labels: { in: 'b' } }), as('b'));
    expect((await open.store.list(b, 'Pod')).items.map((p) => p.metadata.labels)).toEqual([{ in: 'b' }]);
    expect((await open.store.get(b, { kind: 'Pod', name: 'web-1' })).metadata.resourceVersion).toBe('1');
    expect(await open.store.readLog(b, '0', 10)).toHaveLength(1);
    expect((await open.store.snapshot(a)).objects).toHaveLength(2);
  });

  it('keys are hash-tagged by classroom, as DESIGN.md lists them', async () => {
    const classroom = newClassroom();
    await open.store.create(classroom, makeNode('node-1'), as('a'));
    await open.store.create(classroom, makePod('web-1'), as('a'));
    const prefix = open.store.keys(classroom).rv.split(':')[0];
    const keys = (await open.redis.keys(`*{${classroom}}*`)).sort();
    expect(keys).toEqual(
      [`${prefix}:{${classroom}}:log`, `${prefix}:{${classroom}}:objects:Node`, `${prefix}:{${classroom}}:objects:Pod`, `${prefix}:{${classroom}}:rv`].sort(),
    );
    expect(await open.redis.hKeys(`${prefix}:{${classroom}}:objects:Pod`)).toEqual(['default/web-1']);
    expect(await open.redis.hKeys(`${prefix}:{${classroom}}:objects:Node`)).toEqual(['node-1']);
  });
});

describe('list', () => {
  it('filters by label selector (matchLabels and matchExpressions) and namespace', async () => {
    const classroom = newClassroom();
    await open.store.create(classroom, makePod('web-1', { labels: { app: 'web', tier: 'front' } }), as('a'));
    await open.store.create(classroom, makePod('web-2', { labels: { app: 'web', tier: 'back' } }), as('a'));
    await open.store.create(classroom, makePod('db-1', { labels: { app: 'db' } }), as('a'));
    await open.store.create(classroom, makePod('web-3', { labels: { app: 'web' }, namespace: 'kube-public' }), as('a'));
    const names = async (options: Parameters<typeof open.store.list>[2]) => (await open.store.list(classroom, 'Pod', options)).items.map((p) => p.metadata.name);
    expect(await names({ labelSelector: { matchLabels: { app: 'web' } } })).toEqual(['web-1', 'web-2', 'web-3']);
    expect(await names({ labelSelector: { matchLabels: { app: 'web' } }, namespace: 'default' })).toEqual(['web-1', 'web-2']);
    expect(await names({ labelSelector: { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['back'] }] } })).toEqual(['db-1', 'web-1', 'web-3']);
    expect(await names({})).toEqual(['db-1', 'web-1', 'web-2', 'web-3']);
  });
});

describe('status subresource and generation (k8s rest.BeforeUpdate, PrepareForUpdate)', () => {
  it('update keeps the stored status and bumps generation only when spec changes', async () => {
    const classroom = newClassroom();
    const rs = await open.store.create(classroom, replicaSet, as('a'));
    const relabelled = await open.store.update(classroom, { ...rs, metadata: { ...rs.metadata, labels: { x: 'y' } }, status: { replicas: 3 } }, as('a'));
    expect(relabelled.status).toBeUndefined();
    expect(relabelled.metadata.generation).toBe(1);
    const scaled = await open.store.update(classroom, { ...relabelled, spec: { ...relabelled.spec, replicas: 3 } }, as('a'));
    expect(scaled.metadata.generation).toBe(2);
  });

  it('updateStatus writes only the status: spec and labels stay as stored', async () => {
    const classroom = newClassroom();
    const deployment = await open.store.create(classroom, makeDeployment('web', { replicas: 2 }), as('a'));
    const reported = await open.store.updateStatus(
      classroom,
      { ...deployment, spec: { ...deployment.spec, replicas: 9 }, metadata: { ...deployment.metadata, labels: {} }, status: { replicas: 2, readyReplicas: 1 } },
      as('bot:controller-manager'),
    );
    expect(reported.spec.replicas).toBe(2);
    expect(reported.metadata.labels).toEqual({ app: 'web' });
    expect(reported.status).toEqual({ replicas: 2, readyReplicas: 1 });
    expect(reported.metadata.generation).toBe(1);
  });

  it('an update that changes nothing writes nothing and sends no event (etcd3 GuaranteedUpdate)', async () => {
    const classroom = newClassroom();
    const pod = await open.store.create(classroom, makePod('web-1'), as('a'));
    expect(await open.store.update(classroom, pod, as('a'))).toEqual(pod);
    expect(await open.store.readLog(classroom, '1', 10)).toEqual([]);
  });

  it('uid is immutable: an update naming another uid is Invalid', async () => {
    const classroom = newClassroom();
    const pod = await open.store.create(classroom, makePod('web-1'), as('a'));
    expect(await refusal(open.store.update(classroom, { ...pod, metadata: { ...pod.metadata, uid: 'other' } }, as('a')))).toMatchObject({
      reason: 'Invalid',
      message: 'Pod "web-1" is invalid: metadata.uid: Invalid value: "other": field is immutable',
    });
  });

  it('[graceful deletion] deleting a pod on a node marks it Terminating (MODIFIED), a second delete changes nothing, delete with the uid removes it (DELETED)', async () => {
    const classroom = newClassroom();
    const pod = await open.store.create(classroom, makePod('web-1'), as('a'));
    const ref = { kind: 'Pod' as const, name: 'web-1' };
    const remove = { verb: 'delete', kind: 'Pod', name: 'web-1', namespace: 'default' } as const;
    // Only a delete sets it (rest.BeforeUpdate keeps the stored deletionTimestamp on every update).
    const bound = await open.store.patch(classroom, ref, { spec: { nodeName: 'node-1' }, metadata: { deletionTimestamp: toRFC3339(SIM_START) } }, as('a'));
    expect(bound.metadata.deletionTimestamp).toBeUndefined();
    const terminating = await open.store.apply(classroom, remove, as('a', SIM_START + 5000));
    expect(terminating.metadata).toMatchObject({ deletionTimestamp: '2026-11-25T10:00:35Z', deletionGracePeriodSeconds: 30 });
    expect(await open.store.apply(classroom, remove, as('a', SIM_START + 9000))).toEqual(terminating);
    // Once set, the deletion time cannot be moved or cleared by an update.
    const later = await open.store.patch(classroom, ref, { metadata: { deletionTimestamp: null, labels: { a: 'b' } } }, as('a'));
    expect(later.metadata.deletionTimestamp).toBe('2026-11-25T10:00:35Z');
    await open.store.delete(classroom, ref, as('system:grace-period'), { preconditions: { uid: pod.metadata.uid } });
    expect((await open.store.readLog(classroom, '0', 10)).map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'MODIFIED', 'MODIFIED', 'DELETED']);
  });

  it('a status patch changes only the status', async () => {
    const classroom = newClassroom();
    await open.store.create(classroom, makeNode('node-1'), as('a'));
    const patched = await open.store.patch(classroom, { kind: 'Node', name: 'node-1' }, { spec: { unschedulable: true }, status: { capacity: { cpu: '4' } } }, as('kubelet'), {
      subresource: 'status',
    });
    expect(patched.spec.unschedulable).toBeUndefined();
    expect(patched.status?.capacity).toEqual({ cpu: '4', memory: '4Gi', pods: '110' });
  });
});

describe('one request, one version (shared/sim/admission committed by one compare-and-swap)', () => {
  it('[pods/binding] a bind sets spec.nodeName and PodScheduled=True in one version; binding it again is a Conflict on pods/binding', async () => {
    const classroom = newClassroom();
    const pod = await open.store.create(classroom, makePod('web-1'), as('a'));
    const bind = { verb: 'bind', kind: 'Pod', name: 'web-1', namespace: 'default', node: 'node-1' } as const;
    const bound = await open.store.apply(classroom, { ...bind, resourceVersion: pod.metadata.resourceVersion }, as('bot:scheduler'));
    const log = await open.store.readLog(classroom, pod.metadata.resourceVersion, 10);
    expect(log.map((e) => e.resourceVersion)).toEqual([bound.metadata.resourceVersion]);
    expect(log[0]?.object).toEqual(bound);
    expect(bound.kind === 'Pod' && [bound.spec.nodeName, bound.status?.conditions?.find((c) => c.type === 'PodScheduled')?.status]).toEqual(['node-1', 'True']);
    expect(await refusal(open.store.apply(classroom, { ...bind, node: 'node-2' }, as('bot:scheduler')))).toMatchObject({
      reason: 'Conflict',
      code: 409,
      message: 'Operation cannot be fulfilled on pods/binding "web-1": pod web-1 is already assigned to node "node-1"',
    });
  });

  it('a node-local kind (ContainerRuntime) is written whole by update: spec and status in one version; it has no status subresource', async () => {
    const classroom = newClassroom();
    const runtime = await open.store.create(classroom, makeContainerRuntime('node-1'), as('a'));
    const status = { ...runtime.status, images: [{ name: 'nginx:1.27', pulledAt: toRFC3339(SIM_START) }], callSeq: 1 };
    const written = await open.store.apply(classroom, { verb: 'update', kind: 'ContainerRuntime', name: 'node-1', object: { ...runtime, status }, resourceVersion: runtime.metadata.resourceVersion }, as('bot:container-runtime:node-1'));
    expect(written.kind === 'ContainerRuntime' && written.status).toEqual(status);
    expect((await open.store.readLog(classroom, runtime.metadata.resourceVersion, 10)).map((e) => e.resourceVersion)).toEqual([written.metadata.resourceVersion]);
    expect(await refusal(open.store.updateStatus(classroom, written, as('a')))).toMatchObject({ reason: 'BadRequest', message: 'containerruntimes.clusterplay.dev have no status subresource' });
  });

  it('the object sent must be the one the request names', async () => {
    const classroom = newClassroom();
    const pod = await open.store.create(classroom, makePod('web-1'), as('a'));
    expect(await refusal(open.store.apply(classroom, { verb: 'update', kind: 'Pod', name: 'web-2', namespace: 'default', object: pod }, as('a')))).toMatchObject({ reason: 'BadRequest' });
    expect(await open.store.readLog(classroom, '1', 10)).toEqual([]);
  });
});
