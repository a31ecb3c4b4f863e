import { describe, expect, test } from 'vitest';
import {
  OBJECT_MODIFIED,
  makeContainerRuntime,
  makeDeployment,
  makeLease,
  makeNode,
  makePod,
  makeService,
  toRFC3339,
  type Deployment,
  type Endpoints,
  type Event as KubeEvent,
  type KubeObject,
  type Lease,
  type Node,
  type Pod,
  type PodCondition,
  type PriorityClass,
  type ReplicaSet,
  type Service,
} from '@shared/model';
import { admit, type Admission, type AdmissionRequest } from './admit';
import { equalJson } from './equal';

const NOW = Date.UTC(2026, 10, 25, 10, 0, 0);
const CREATED = toRFC3339(NOW - 60_000);

/** An object as the store holds it: admitted on create a minute ago, then stamped uid-1 / version 5. */
function stored<T extends KubeObject>(object: T, patch: (o: T) => T = (o) => o): T {
  const created = admit(undefined, { verb: 'create', kind: object.kind, name: object.metadata.name, namespace: object.metadata.namespace, object }, NOW - 60_000);
  if (!created.ok) throw new Error(created.error.message);
  const withServerFields = { ...created.object, metadata: { ...created.object.metadata, uid: 'uid-1', resourceVersion: '5' } } as T;
  return patch(withServerFields);
}

const pod = stored(makePod('web-1'));
const boundPod = stored(makePod('web-1', { nodeName: 'node-1' }));
const runningPod = stored(boundPod, (p) => ({ ...p, status: { phase: 'Running' } }));
const terminating = stored(runningPod, (p) => ({ ...p, metadata: { ...p.metadata, deletionTimestamp: toRFC3339(NOW + 10_000), deletionGracePeriodSeconds: 30 } }));
const runtime = stored(makeContainerRuntime('node-1'));
const lease = stored(makeLease('node-1', 'kube-node-lease', 'node-1', 40, NOW - 60_000));

const target = { kind: 'Pod', name: 'web-1', namespace: 'default' } as const;
const bind = (extra: Partial<{ resourceVersion: string; uid: string; node: string }> = {}): AdmissionRequest => ({ verb: 'bind', ...target, node: 'machine', ...extra });
const remove = (extra: Partial<{ resourceVersion: string; uid: string; gracePeriodSeconds: number; propagationPolicy: 'Orphan' | 'Background' | 'Foreground' }> = {}): AdmissionRequest => ({ verb: 'delete', ...target, ...extra });
const updateOf = (object: KubeObject, resourceVersion?: string): AdmissionRequest => ({
  verb: 'update',
  kind: object.kind,
  name: object.metadata.name,
  namespace: object.metadata.namespace,
  object,
  ...(resourceVersion === undefined ? {} : { resourceVersion }),
});
const withLabels = <T extends KubeObject>(o: T, labels: Record<string, string>): T => ({ ...o, metadata: { ...o.metadata, labels } });
const scheduled = (status: 'True' | 'False', extra: Partial<PodCondition> = {}): PodCondition => ({ type: 'PodScheduled', status, lastTransitionTime: toRFC3339(NOW), ...extra });

const conflictOn = (resource: string, detail: string) => ({ ok: false, error: { reason: 'Conflict', code: 409, message: `Operation cannot be fulfilled on ${resource} "web-1": ${detail}` } });
const refused = (reason: string, message?: string) => ({ ok: false, error: message === undefined ? { reason } : { reason, message } });

interface Case {
  rule: string;
  current: KubeObject | undefined;
  req: AdmissionRequest;
  /** Matched against the Admission (toMatchObject): only what the rule is about. */
  expected: Record<string, unknown>;
}

const cases: Case[] = [
  // create
  {
    rule: '[create] defaults, creationTimestamp now; a submitted uid, resourceVersion and deletionTimestamp are dropped',
    current: undefined,
    req: { verb: 'create', ...target, object: { ...makePod('web-1'), metadata: { name: 'web-1', namespace: 'default', uid: 'mine', resourceVersion: '9', deletionTimestamp: toRFC3339(NOW) } } },
    expected: { ok: true, type: 'ADDED', changed: true, object: { metadata: { name: 'web-1', creationTimestamp: toRFC3339(NOW) }, spec: { terminationGracePeriodSeconds: 30, schedulerName: 'default-scheduler' } } },
  },
  { rule: '[AlreadyExists] create of an existing name', current: pod, req: { verb: 'create', ...target, object: makePod('web-1') }, expected: refused('AlreadyExists', 'pods "web-1" already exists') },
  { rule: '[BadRequest] the object is not the one the request names', current: pod, req: { ...updateOf(pod), name: 'web-2' }, expected: refused('BadRequest') },

  // update and the status subresource
  { rule: '[NotFound] update of a missing object', current: undefined, req: updateOf(pod), expected: refused('NotFound', 'pods "web-1" not found') },
  { rule: '[Conflict] update with a stale resourceVersion', current: pod, req: updateOf(pod, '4'), expected: conflictOn('pods', OBJECT_MODIFIED) },
  {
    rule: '[status subresource] update keeps the stored status',
    current: pod,
    req: updateOf({ ...pod, spec: { ...pod.spec, nodeName: 'node-2' }, status: { phase: 'Running' } }, '5'),
    expected: { ok: true, type: 'MODIFIED', changed: true, object: { status: { phase: 'Pending' }, spec: { nodeName: 'node-2' } } },
  },
  { rule: '[GuaranteedUpdate] an update equal to the stored object changes nothing', current: pod, req: updateOf(pod, '5'), expected: { ok: true, changed: false } },
  {
    rule: '[BeforeUpdate] uid, creationTimestamp and deletionTimestamp are the stored ones',
    current: terminating,
    req: updateOf({ ...terminating, metadata: { name: 'web-1', namespace: 'default', creationTimestamp: toRFC3339(NOW), labels: { a: 'b' } } }),
    expected: { ok: true, object: { metadata: { uid: 'uid-1', creationTimestamp: CREATED, deletionTimestamp: toRFC3339(NOW + 10_000), deletionGracePeriodSeconds: 30 } } },
  },
  {
    rule: '[Invalid] uid is immutable',
    current: pod,
    req: updateOf({ ...pod, metadata: { ...pod.metadata, uid: 'other' } }),
    expected: refused('Invalid', 'Pod "web-1" is invalid: metadata.uid: Invalid value: "other": field is immutable'),
  },
  {
    rule: '[node-local] update writes a ContainerRuntime whole, status included',
    current: runtime,
    req: updateOf({ ...runtime, status: { ...runtime.status, callSeq: 7 } }, '5'),
    expected: { ok: true, type: 'MODIFIED', changed: true, object: { status: { callSeq: 7 }, metadata: { generation: 1 } } },
  },
  {
    rule: '[status subresource] updateStatus takes only the status: spec and metadata stay',
    current: pod,
    req: { verb: 'updateStatus', ...target, object: { ...withLabels(pod, { sent: 'too' }), spec: { ...pod.spec, nodeName: 'node-9' }, status: { phase: 'Running' } } },
    expected: { ok: true, changed: true, object: { status: { phase: 'Running' }, spec: pod.spec, metadata: pod.metadata } },
  },
  { rule: '[node-local] a ContainerRuntime has no status subresource', current: runtime, req: { verb: 'updateStatus', kind: 'ContainerRuntime', name: 'node-1', object: runtime }, expected: refused('BadRequest', 'containerruntimes.clusterplay.dev have no status subresource') },
  { rule: '[no status] a Lease has no status subresource', current: lease, req: { verb: 'updateStatus', kind: 'Lease', name: 'node-1', namespace: 'kube-node-lease', object: lease }, expected: refused('BadRequest') },

  // pods/binding
  {
    rule: '[pods/binding] an unbound pod gets spec.nodeName and PodScheduled=True in one write',
    current: stored(pod, (p) => ({ ...p, status: { phase: 'Pending', conditions: [scheduled('False', { reason: 'Unschedulable', message: '0/1 nodes are available' })] } })),
    req: bind({ resourceVersion: '5' }),
    expected: { ok: true, type: 'MODIFIED', changed: true, object: { spec: { nodeName: 'machine' }, status: { conditions: [scheduled('True')] }, metadata: { resourceVersion: '5' } } },
  },
  { rule: '[pods/binding] a pod being deleted cannot be bound', current: stored(pod, (p) => ({ ...p, metadata: { ...p.metadata, deletionTimestamp: toRFC3339(NOW) } })), req: bind(), expected: conflictOn('pods/binding', 'pod web-1 is being deleted, cannot be assigned to a host') },

  // graceful deletion
  { rule: '[delete] an unbound pod is removed at once', current: pod, req: remove(), expected: { ok: true, type: 'DELETED', changed: true, object: pod } },
  {
    rule: '[graceful delete] a pod on a node is marked Terminating for its terminationGracePeriodSeconds (k8s TestDelete: TestDeleteGraceful(scheduledPod, 30))',
    current: runningPod,
    req: remove({ resourceVersion: '5' }),
    expected: { ok: true, type: 'MODIFIED', changed: true, object: { metadata: { deletionTimestamp: toRFC3339(NOW + 30_000), deletionGracePeriodSeconds: 30 } } },
  },
  { rule: '[graceful delete] the request\'s gracePeriodSeconds wins over the pod\'s', current: runningPod, req: remove({ gracePeriodSeconds: 5 }), expected: { ok: true, object: { metadata: { deletionTimestamp: toRFC3339(NOW + 5_000), deletionGracePeriodSeconds: 5 } } } },
  { rule: '[graceful delete] a second delete of a terminating pod changes nothing', current: terminating, req: remove({ gracePeriodSeconds: 1 }), expected: { ok: true, changed: false, object: terminating } },
  { rule: '[graceful delete] the kubelet\'s delete with grace 0 removes a terminating pod', current: terminating, req: remove({ gracePeriodSeconds: 0 }), expected: { ok: true, type: 'DELETED', changed: true } },
  { rule: '[graceful delete] a finished pod is removed at once', current: stored(boundPod, (p) => ({ ...p, status: { phase: 'Succeeded' } })), req: remove(), expected: { ok: true, type: 'DELETED' } },
  { rule: '[delete] any other kind is removed at once', current: lease, req: { verb: 'delete', kind: 'Lease', name: 'node-1', namespace: 'kube-node-lease' }, expected: { ok: true, type: 'DELETED', changed: true } },
  // propagationPolicy and finalizers (deletionFinalizersForGarbageCollection, BeforeDelete)
  { rule: '[propagationPolicy] Orphan marks the object with the orphan finalizer instead of removing it', current: pod, req: remove({ propagationPolicy: 'Orphan' }), expected: { ok: true, type: 'MODIFIED', changed: true, object: { metadata: { finalizers: ['orphan'], deletionTimestamp: toRFC3339(NOW), deletionGracePeriodSeconds: 0 } } } },
  { rule: '[propagationPolicy] Foreground marks it with foregroundDeletion', current: pod, req: remove({ propagationPolicy: 'Foreground' }), expected: { ok: true, type: 'MODIFIED', object: { metadata: { finalizers: ['foregroundDeletion'] } } } },
  { rule: '[propagationPolicy] Background removes it at once', current: pod, req: remove({ propagationPolicy: 'Background' }), expected: { ok: true, type: 'DELETED' } },
  { rule: '[propagationPolicy] a graceful pod delete with Foreground keeps the grace period and adds the finalizer', current: runningPod, req: remove({ propagationPolicy: 'Foreground' }), expected: { ok: true, type: 'MODIFIED', object: { metadata: { finalizers: ['foregroundDeletion'], deletionGracePeriodSeconds: 30 } } } },
  {
    rule: '[finalizers] the kubelet\'s delete with grace 0 leaves a pod with a finalizer marked (grace 0)',
    current: stored(terminating, (p) => ({ ...p, metadata: { ...p.metadata, finalizers: ['x/y'] } })),
    req: remove({ gracePeriodSeconds: 0 }),
    expected: { ok: true, type: 'MODIFIED', changed: true, object: { metadata: { finalizers: ['x/y'], deletionGracePeriodSeconds: 0 } } },
  },
  {
    rule: '[finalizers] an update removing the last finalizer of a marked object deletes it',
    current: stored(pod, (p) => ({ ...p, metadata: { ...p.metadata, finalizers: ['orphan'], deletionTimestamp: toRFC3339(NOW), deletionGracePeriodSeconds: 0 } })),
    req: updateOf(stored(pod)),
    expected: { ok: true, type: 'DELETED', changed: true },
  },
  {
    rule: '[finalizers] an update removing the finalizer of a pod still in its grace period does not delete it',
    current: stored(terminating, (p) => ({ ...p, metadata: { ...p.metadata, finalizers: ['foregroundDeletion'] } })),
    req: updateOf(terminating),
    expected: { ok: true, type: 'MODIFIED', changed: true },
  },
  { rule: '[Preconditions] a delete with a stale resourceVersion', current: runningPod, req: remove({ resourceVersion: '4' }), expected: conflictOn('pods', 'Precondition failed: ResourceVersion in precondition: 4, ResourceVersion in object meta: 5') },
  { rule: '[Preconditions] a delete of another incarnation (uid)', current: runningPod, req: remove({ uid: 'uid-0' }), expected: conflictOn('pods', 'Precondition failed: UID in precondition: uid-0, UID in object meta: uid-1') },
];

/**
 * Binding cases ported from Kubernetes' pod registry tests,
 * kubernetes/kubernetes pkg/registry/core/pod/storage/storage_test.go:
 * TestEtcdCreateWithConflict, TestEtcdCreateBindingNoPod and TestEtcdCreateBindingWithUIDAndResourceVersion.
 */
const PORTED_BINDING: { name: string; current: Pod | undefined; req: AdmissionRequest; nodeName?: string; error?: string }[] = [
  { name: 'TestEtcdCreateWithConflict: a second binding', current: stored(pod, (p) => ({ ...p, spec: { ...p.spec, nodeName: 'machine' } })), req: bind(), error: 'Conflict' },
  { name: 'TestEtcdCreateBindingNoPod: the pod was deleted', current: undefined, req: bind(), error: 'NotFound' },
  ...(
    [
      ['originUID-originResourceVersion', 'uid-1', '5', 'machine'],
      ['originUID-emptyResourceVersion', 'uid-1', undefined, 'machine'],
      ['originUID-changedResourceVersion', 'uid-1', '5-changed', undefined],
      ['emptyUID-originResourceVersion', undefined, '5', 'machine'],
      ['emptyUID-emptyResourceVersion', undefined, undefined, 'machine'],
      ['emptyUID-changedResourceVersion', undefined, '5-changed', undefined],
      ['changedUID-originResourceVersion', 'uid-1-changed', '5', undefined],
      ['changedUID-emptyResourceVersion', 'uid-1-changed', undefined, undefined],
      ['changedUID-changedResourceVersion', 'uid-1-changed', '5-changed', undefined],
    ] as const
  ).map(([name, uid, resourceVersion, nodeName]) => ({
    name: `TestEtcdCreateBindingWithUIDAndResourceVersion: ${name}`,
    current: pod,
    req: bind({ ...(uid === undefined ? {} : { uid }), ...(resourceVersion === undefined ? {} : { resourceVersion }) }),
    ...(nodeName === undefined ? { error: 'Conflict' } : { nodeName }),
  })),
];

const replicaSet: ReplicaSet = {
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  metadata: { name: 'web-1', namespace: 'default' },
  spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } } },
};
const endpoints: Endpoints = { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'web-1', namespace: 'default' }, subsets: [] };
const event: KubeEvent = {
  apiVersion: 'v1', kind: 'Event', metadata: { name: 'web-1.1', namespace: 'default' },
  involvedObject: { kind: 'Pod', name: 'web-1', namespace: 'default' }, reason: 'Scheduled', message: 'assigned', type: 'Normal', count: 1,
};
const priorityClass: PriorityClass = { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'high' }, value: 1000 };

/**
 * [generation] metadata.generation per kind, as 1.32's registry strategies set it (PrepareForCreate,
 * PrepareForUpdate; rest.BeforeUpdate keeps the stored one): after create, then after an update of
 * the labels, of the annotations, of the spec (or the kind's own fields).
 * - none: pkg/registry/core/pod/strategy.go (a Pod has one from 1.33: kubernetes#130181),
 *   core/node, core/service, core/endpoint, core/event and coordination/lease strategy.go;
 * - 1, never bumped: scheduling/priorityclass/strategy.go;
 * - +1 on a spec change: apps/replicaset/strategy.go; on a spec or annotations change: apps/deployment/strategy.go.
 */
const GENERATIONS: { object: KubeObject; change: (o: KubeObject) => KubeObject; expected: [number | undefined, number | undefined, number | undefined, number | undefined] }[] = [
  { object: makePod('web-1'), change: (o) => ({ ...o, spec: { ...(o as Pod).spec, nodeName: 'node-2' } }) as Pod, expected: [undefined, undefined, undefined, undefined] },
  { object: makeNode('node-1'), change: (o) => ({ ...o, spec: { unschedulable: true } }) as Node, expected: [undefined, undefined, undefined, undefined] },
  { object: makeService('web-1', { app: 'web' }, 80), change: (o) => ({ ...o, spec: { ...(o as Service).spec, ports: [{ protocol: 'TCP', port: 81, targetPort: 81 }] } }) as Service, expected: [undefined, undefined, undefined, undefined] },
  { object: endpoints, change: (o) => ({ ...o, subsets: [{ addresses: [{ ip: '10.0.0.1' }] }] }) as Endpoints, expected: [undefined, undefined, undefined, undefined] },
  { object: event, change: (o) => ({ ...o, count: 2 }) as KubeEvent, expected: [undefined, undefined, undefined, undefined] },
  { object: makeLease('node-1', 'kube-node-lease', 'node-1', 40, NOW), change: (o) => ({ ...o, spec: { ...(o as Lease).spec, holderIdentity: 'node-2' } }) as Lease, expected: [undefined, undefined, undefined, undefined] },
  { object: priorityClass, change: (o) => ({ ...o, description: 'first' }) as PriorityClass, expected: [1, 1, 1, 1] },
  { object: replicaSet, change: (o) => ({ ...o, spec: { ...(o as ReplicaSet).spec, replicas: 2 } }) as ReplicaSet, expected: [1, 1, 1, 2] },
  { object: makeDeployment('web-1'), change: (o) => ({ ...o, spec: { ...(o as Deployment).spec, replicas: 2 } }) as Deployment, expected: [1, 1, 2, 2] },
];

describe('admit: the one set of write rules (shared by the harness and the Redis store)', () => {
  test.each(GENERATIONS)('[generation] $object.kind: created, relabelled, annotated, changed → $expected', ({ object, change, expected }) => {
    const created = stored(object);
    const after = (next: KubeObject): number | undefined => {
      const admission = admit(created, updateOf(next), NOW);
      if (!admission.ok) throw new Error(admission.error.message);
      return admission.object.metadata.generation;
    };
    const annotated = { ...created, metadata: { ...created.metadata, annotations: { note: 'x' } } } as KubeObject;
    expect([created.metadata.generation, after(withLabels(created, { tier: 'web' })), after(annotated), after(change(created))]).toEqual(expected);
  });

  test('[generation] a submitted generation is kept where the strategy sets none (rest.BeforeCreate wipes none), and is 1 where it sets one', () => {
    const sent = <T extends KubeObject>(o: T): T => ({ ...o, metadata: { ...o.metadata, generation: 5 } });
    expect([stored(sent(makeService('web-1', { app: 'web' }, 80))).metadata.generation, stored(sent(makeDeployment('web-1'))).metadata.generation]).toEqual([5, 1]);
  });

  test.each(cases)('$rule', ({ current, req, expected }) => {
    expect(admit(current, req, NOW)).toMatchObject(expected);
  });

  test.each(PORTED_BINDING)('[k8s pod registry] $name', ({ current, req, nodeName, error }) => {
    const admission: Admission = admit(current, req, NOW);
    if (error !== undefined) expect(admission).toMatchObject({ ok: false, error: { reason: error } });
    else expect(admission.ok && admission.object.kind === 'Pod' && admission.object.spec.nodeName).toBe(nodeName);
  });

  test('[pods/binding] already assigned: 409 in the words of BindingREST', () => {
    expect(admit(boundPod, bind(), NOW)).toMatchObject(conflictOn('pods/binding', 'pod web-1 is already assigned to node "node-1"'));
  });

  test('[NamespaceLifecycle] a create in a namespace the cluster lacks is 404 namespaces "team-a" not found; the four it has, and cluster-scoped kinds, pass', () => {
    // k8s.io/apiserver/pkg/admission/plugin/namespace/lifecycle/admission.go answers the Namespace lookup's NotFound.
    const createIn = (namespace: string): Admission => admit(undefined, { verb: 'create', kind: 'Pod', name: 'web-1', namespace, object: makePod('web-1', { namespace }) }, NOW);
    expect(createIn('team-a')).toEqual({ ok: false, error: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'namespaces "team-a" not found', reason: 'NotFound', details: { name: 'team-a', kind: 'namespaces' }, code: 404 } });
    for (const namespace of ['default', 'kube-node-lease', 'kube-public', 'kube-system']) expect(createIn(namespace)).toMatchObject({ ok: true, type: 'ADDED' });
    expect(admit(undefined, { verb: 'create', kind: 'Node', name: 'node-9', object: makeNode('node-9') }, NOW)).toMatchObject({ ok: true });
  });

  test('[purity] admit never mutates what it is given', () => {
    const current = structuredClone(runningPod);
    const req = remove();
    admit(current, req, NOW);
    admit(current, bind(), NOW);
    admit(current, updateOf(withLabels(current, { x: 'y' })), NOW);
    expect(current).toEqual(runningPod);
    expect(req).toEqual(remove());
  });
});

describe('equalJson: what counts as "changes nothing"', () => {
  test.each([
    [{ a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1 }, true],
    [{ a: 1, gone: undefined }, { a: 1 }, true],
    [{ a: 1 }, { a: 1, b: null }, false],
    [{ a: [1, 2] }, { a: [2, 1] }, false],
    [{ a: [] }, { a: {} }, false],
    [{ a: '1' }, { a: 1 }, false],
  ])('%j vs %j: %s', (a, b, equal) => {
    expect(equalJson(a, b)).toBe(equal);
    expect(equalJson(b, a)).toBe(equal);
  });
});
