/**
 * The garbage collector, case for case with Kubernetes: the unit tables of
 * pkg/controller/garbagecollector (final outcomes of TestConflictingData's scenarios, the patches)
 * and the integration tests of test/integration/garbagecollector, run on our API server rules and
 * our loop until nothing changes. Kubernetes' graph builder observes events in some order; our
 * loop reads one consistent cache, so scenarios that differ only in observation order are one
 * input with one outcome, and each is kept as its own case.
 */
import { describe, expect, test } from 'vitest';
import { makeDeployment, objectKey, type Kind, type KubeObject, type OwnerReference, type PropagationPolicy } from '@shared/model';
import { caseTitle, k8s, type K8sCase } from '@shared/model/k8s-cases/source';
import { applyRequest } from '../api-server';
import { SimCluster } from '../cluster';
import { ClusterState } from '../state';
import { reconcileGarbageCollector, removeOwnerReferences, unblockOwnerReferences } from './garbage-collector';

const UNIT = 'pkg/controller/garbagecollector/garbagecollector_test.go';
const INTEGRATION = 'test/integration/garbagecollector/garbage_collector_test.go';
const E2E = 'test/e2e/apimachinery/garbage_collector.go';
const NOW = Date.UTC(2026, 10, 30, 12, 0, 0);
const RC_AS_RS = 'we serve no ReplicationControllers: the owner is a ReplicaSet (apps/v1), the rule is the same';

interface Id {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
  uid: string;
}
const id = (apiVersion: string, kind: string, namespace: string, name: string, uid: string): Id => ({ apiVersion, kind, name, uid, ...(namespace ? { namespace } : {}) });
const ref = (o: Id, extra: Partial<OwnerReference> = {}): OwnerReference => ({ apiVersion: o.apiVersion, kind: o.kind, name: o.name, uid: o.uid, ...extra });

/** A minimal object of the id's kind (only metadata matters to the collector). */
function object(o: Id, owners: OwnerReference[] = [], finalizers: string[] = []): KubeObject {
  const metadata = { name: o.name, uid: o.uid, resourceVersion: '1', namespace: o.namespace ?? '', ...(owners.length ? { ownerReferences: owners } : {}), ...(finalizers.length ? { finalizers } : {}) };
  switch (o.kind) {
    case 'Pod':
      return { apiVersion: 'v1', kind: 'Pod', metadata, spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] } };
    case 'Node': {
      const { namespace: _ns, ...nodeMeta } = metadata;
      return { apiVersion: 'v1', kind: 'Node', metadata: nodeMeta, spec: {} };
    }
    case 'Service':
      return { apiVersion: 'v1', kind: 'Service', metadata, spec: { selector: { app: o.name }, ports: [{ port: 80 }] } };
    case 'ReplicaSet':
      return { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata, spec: { replicas: 0, selector: { matchLabels: { app: o.name } }, template: { metadata: { labels: { app: o.name } }, spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] } } } };
    case 'Deployment': {
      const d = makeDeployment(o.name, { replicas: 0 });
      return { ...d, metadata: { ...d.metadata, ...metadata } };
    }
    default:
      throw new Error(`no test object of kind ${o.kind}`);
  }
}

interface Outcome {
  state: ClusterState;
  has(o: Id): boolean;
  get(o: Id): KubeObject | undefined;
  events(): string[];
}

/** The objects stored, then the deletes sent, then the collector run through the API server until nothing changes. */
function collect(objects: KubeObject[], deletes: { target: Id; policy?: PropagationPolicy }[] = []): Outcome {
  const state = ClusterState.from(objects);
  let rv = 100;
  const ctx = { now: NOW, nextUid: () => 'new-uid', nextResourceVersion: () => String(++rv) };
  for (const { target, policy } of deletes) {
    const outcome = applyRequest(state, { verb: 'delete', kind: target.kind as Kind, name: target.name, ...(target.namespace ? { namespace: target.namespace } : {}), ...(policy ? { propagationPolicy: policy } : {}), reason: 'test' }, ctx);
    expect(outcome.ok).toBe(true);
  }
  for (let pass = 0; pass < 20; pass++) {
    const before = state.resourceVersion;
    for (const step of reconcileGarbageCollector(state, NOW)) if (step.verb !== 'timer') applyRequest(state, step, ctx);
    if (state.resourceVersion === before) break;
  }
  const keyOf = (o: Id): string => (o.namespace ? `${o.namespace}/${o.name}` : o.name);
  const get = (o: Id): KubeObject | undefined => state.get(o.kind as Kind, keyOf(o));
  return {
    state,
    get,
    has: (o) => get(o)?.metadata.uid === o.uid,
    events: () => [...state.list('Event')].map((e) => `${e.type ?? ''} ${e.reason ?? ''} ${e.message ?? ''} involvedObject{kind=${e.involvedObject.kind ?? ''},apiVersion=${e.involvedObject.apiVersion ?? ''}}`),
  };
}

const ownerUids = (o: KubeObject | undefined): string[] => (o?.metadata.ownerReferences ?? []).map((r) => r.uid);

// TestConflictingData's objects. Its namespaces ns1 and ns2 are two a classroom has: nothing is created in
// any other (NamespaceLifecycle), the garbage collector's Events included.
const NS1 = 'default';
const NS2 = 'kube-public';
const pod1ns1 = id('v1', 'Pod', NS1, 'podname1', 'poduid1');
const pod2ns1 = id('v1', 'Pod', NS1, 'podname2', 'poduid2');
const pod2ns2 = id('v1', 'Pod', NS2, 'podname2', 'poduid2');
const node1 = id('v1', 'Node', '', 'nodename', 'nodeuid1');
const pod1nonamespace = id('v1', 'Pod', '', 'podname1', 'poduid1');
const deployment1apps = id('apps/v1', 'Deployment', NS1, 'deployment1', 'deploymentuid1');
const deployment1extensions = id('extensions/v1beta1', 'Deployment', NS1, 'deployment1', 'deploymentuid1');
// Kubernetes' case names a v1 Secret; we serve no Secrets, a v1 Service makes the same wrong reference.
const badServiceReferenceWithDeploymentUID = id('v1', 'Service', NS1, 'secretname', 'deploymentuid1');
const badChildPod = id('v1', 'Pod', NS1, 'badpod', 'badpoduid');
const goodChildPod = id('v1', 'Pod', NS1, 'goodpod', 'goodpoduid');

const BAD_NS_EVENT = `Warning OwnerRefInvalidNamespace ownerRef [v1/Pod, namespace: ${NS1}, name: podname2, uid: poduid2] does not exist in namespace "${NS1}" involvedObject{kind=Pod,apiVersion=v1}`;
const BAD_CLUSTER_EVENT = 'Warning OwnerRefInvalidNamespace ownerRef [v1/Pod, namespace: , name: podname1, uid: poduid1] does not exist in namespace "" involvedObject{kind=Node,apiVersion=v1}';

interface ConflictCase extends K8sCase {
  name: string;
  objects: KubeObject[];
  /** Deleted from the client after the first collection (the scenario's teardown). */
  teardown?: Id;
  kept: Id[];
  gone: Id[];
  events: string[];
}

const conflicting = (name: string, c: Omit<ConflictCase, 'source' | 'name'>): ConflictCase => ({ name, source: k8s(UNIT, 'TestConflictingData'), ...c });

const CONFLICTING: ConflictCase[] = [
  conflicting('good child in ns1 -> cluster-scoped owner', { objects: [object(node1), object(pod1ns1, [ref(node1)])], kept: [node1, pod1ns1], gone: [], events: [] }),
  ...(['child first', 'owner first'] as const).map((order) =>
    conflicting(`bad child in ns1 -> owner in ns2 (${order})`, { objects: [object(pod1ns1, [ref(pod2ns1)]), object(pod2ns2)], kept: [pod2ns2], gone: [pod1ns1], events: [BAD_NS_EVENT] }),
  ),
  ...(['child first', 'owner first'] as const).map((order) =>
    conflicting(`bad cluster-scoped child -> owner in ns1 (${order})`, { objects: [object(node1, [ref(pod1ns1)]), object(pod1ns1)], kept: [node1, pod1ns1], gone: [], events: [BAD_CLUSTER_EVENT] }),
  ),
  ...(['child first', 'owner first'] as const).map((order) =>
    conflicting(`child -> existing owner with inaccessible API version (${order})`, {
      objects: [object(deployment1apps), object(pod1ns1, [ref(deployment1extensions)])],
      teardown: deployment1apps,
      kept: [pod1ns1],
      gone: [deployment1apps],
      events: [],
    }),
  ),
  ...(['inaccessible parent apiVersion first', 'accessible parent apiVersion first'] as const).map((order) =>
    conflicting(`child -> non-existent owner with inaccessible API version (${order})`, {
      objects: [object(pod1ns1, [ref(deployment1extensions)]), object(pod2ns1, [ref(deployment1apps)])],
      kept: [pod1ns1],
      gone: [pod2ns1],
      events: [],
    }),
  ),
  ...(['bad child, good child, bad parent delete, good parent', 'bad child, good child, good parent, bad parent delete', 'good child, bad child, good parent'] as const).map((order) => ({
    ...conflicting(`bad child -> existing owner with incorrect API version (${order})`, {
      objects: [object(deployment1apps), object(badChildPod, [ref(badServiceReferenceWithDeploymentUID)]), object(goodChildPod, [ref(deployment1apps)])],
      kept: [deployment1apps, goodChildPod],
      gone: [badChildPod],
      events: [],
    }),
    differs: 'the wrong reference names a v1 Service, not a v1 Secret (we serve no Secrets); the outcome is the same',
  })),
  conflicting('cluster-scoped bad child, namespaced good child, missing parent', {
    objects: [object(pod2ns1, [ref(pod1ns1)]), object(node1, [ref(pod1nonamespace)])],
    kept: [node1],
    gone: [pod2ns1],
    events: [],
  }),
  conflicting('cluster-scoped bad child, namespaced good child, late observed parent', {
    objects: [object(pod1ns1), object(pod2ns1, [ref(pod1ns1)]), object(node1, [ref(pod1nonamespace)])],
    kept: [pod1ns1, pod2ns1, node1],
    gone: [],
    events: [BAD_CLUSTER_EVENT],
  }),
  conflicting('namespaced good child, cluster-scoped bad child, missing parent', {
    objects: [object(pod2ns1, [ref(pod1ns1)]), object(node1, [ref(pod1nonamespace)])],
    kept: [node1],
    gone: [pod2ns1],
    events: [],
  }),
];

describe('garbage collector, case for case with Kubernetes (pkg/controller/garbagecollector)', () => {
  const attempt: K8sCase = { source: k8s(UNIT, 'TestAttemptToDeleteItem'), differs: RC_AS_RS };
  test(caseTitle(attempt, 'a pod whose only owner is gone is deleted'), () => {
    const owner1 = id('apps/v1', 'ReplicaSet', 'ns1', 'owner1', '123');
    const pod = id('v1', 'Pod', 'ns1', 'ToBeDeletedPod', '456');
    const out = collect([object(pod, [ref(owner1)])]);
    expect(out.has(pod)).toBe(false);
  });

  const patch: K8sCase = { source: k8s(UNIT, 'TestDeleteOwnerRefPatch') };
  test(caseTitle(patch, 'removing the references to uids 2 and 3 keeps the one to 1'), () => {
    const pod = object(id('v1', 'Pod', 'ns1', 'p', '100'), ['1', '2', '3'].map((uid) => ({ apiVersion: 'v1', kind: 'Pod', name: uid, uid })));
    expect(ownerUids(removeOwnerReferences(pod, new Set(['2', '3'])))).toEqual(['1']);
  });

  const unblock: K8sCase = { source: k8s(UNIT, 'TestUnblockOwnerReference') };
  test(caseTitle(unblock, 'every blockOwnerDeletion that is set becomes false; an unset one stays unset'), () => {
    const base = { apiVersion: 'v1', kind: 'Pod', name: 'o' };
    expect(unblockOwnerReferences([{ ...base, uid: '1', blockOwnerDeletion: true }, { ...base, uid: '2', blockOwnerDeletion: false }, { ...base, uid: '3' }])).toEqual([
      { ...base, uid: '1', blockOwnerDeletion: false },
      { ...base, uid: '2', blockOwnerDeletion: false },
      { ...base, uid: '3' },
    ]);
  });

  for (const c of CONFLICTING) {
    test(caseTitle(c, c.name), () => {
      let out = collect(c.objects);
      if (c.teardown) {
        const gone = c.teardown;
        const rest = c.objects.filter((o) => o.metadata.uid !== gone.uid || o.kind !== gone.kind);
        out = collect(rest.map((o) => out.state.get(o.kind, objectKey(o)) ?? o));
      }
      for (const o of c.kept) expect(out.has(o), `${o.kind} ${o.name} is kept`).toBe(true);
      for (const o of c.gone) expect(out.has(o), `${o.kind} ${o.name} is gone`).toBe(false);
      expect(out.events()).toEqual(c.events);
    });
  }
});

// test/integration/garbagecollector: ReplicationControllers there, ReplicaSets here (RC_AS_RS).
const toBeDeleted = id('apps/v1', 'ReplicaSet', 'gc', 'to-be-deleted-rc', 'rc-uid-1');
const remaining = id('apps/v1', 'ReplicaSet', 'gc', 'remaining-rc', 'rc-uid-2');
const absentOwner = id('apps/v1', 'ReplicaSet', 'gc', 'does-not-exist', 'rc-uid-3');
const podOf = (name: string): Id => id('v1', 'Pod', 'gc', name, `${name}-uid`);
const integration = (test: string): K8sCase => ({ source: k8s(INTEGRATION, test), differs: RC_AS_RS });

describe('garbage collector, case for case with Kubernetes (test/integration/garbagecollector)', () => {
  test(caseTitle(integration('TestCascadingDeletion'), 'Background: pods owned only by the deleted owner (or also by a missing one) go; a pod with a remaining owner stays'), () => {
    const [p1, p2, p3] = [podOf('pod-1'), podOf('pod-2'), podOf('pod-3')];
    const out = collect(
      [object(toBeDeleted), object(remaining), object(p1, [ref(toBeDeleted)]), object(p2, [ref(toBeDeleted), ref(remaining)]), object(p3, [ref(toBeDeleted), ref(absentOwner)])],
      [{ target: toBeDeleted }],
    );
    expect([out.has(toBeDeleted), out.has(p1), out.has(p2), out.has(p3)]).toEqual([false, false, true, false]);
    expect(ownerUids(out.get(p2))).toEqual([remaining.uid]);
  });

  test(caseTitle(integration('TestCreateWithNonExistentOwner'), 'a pod created with an owner that does not exist is deleted'), () => {
    const p = podOf('pod');
    expect(collect([object(p, [ref(absentOwner)])]).has(p)).toBe(false);
  });

  test(caseTitle(integration('TestOrphaning'), 'Orphan: the owner goes, its pods stay without the reference to it'), () => {
    const pods = [podOf('pod-1'), podOf('pod-2'), podOf('pod-3')];
    const out = collect([object(toBeDeleted), ...pods.map((p) => object(p, [ref(toBeDeleted, { controller: true, blockOwnerDeletion: true })]))], [{ target: toBeDeleted, policy: 'Orphan' }]);
    expect(out.has(toBeDeleted)).toBe(false);
    for (const p of pods) {
      expect(out.has(p)).toBe(true);
      expect(out.get(p)?.metadata.ownerReferences).toBeUndefined();
    }
  });

  test(caseTitle(integration('TestSolidOwnerDoesNotBlockWaitingOwner'), 'Foreground: a dependent with another, solid owner loses only the reference and does not block'), () => {
    const p = podOf('pod');
    const out = collect([object(toBeDeleted), object(remaining), object(p, [ref(toBeDeleted, { blockOwnerDeletion: true }), ref(remaining)])], [{ target: toBeDeleted, policy: 'Foreground' }]);
    expect(out.has(toBeDeleted)).toBe(false);
    expect(out.has(p)).toBe(true);
    expect(ownerUids(out.get(p))).toEqual([remaining.uid]);
  });

  test(caseTitle(integration('TestNonBlockingOwnerRefDoesNotBlock'), 'Foreground: dependents whose references do not block (unset, false) do not hold the owner back'), () => {
    const [p1, p2] = [podOf('pod-1'), podOf('pod-2')];
    // Each pod holds a finalizer nothing handles, so it stays while marked for deletion.
    const out = collect([object(toBeDeleted), object(p1, [ref(toBeDeleted)], ['x/y']), object(p2, [ref(toBeDeleted, { blockOwnerDeletion: false })], ['x/y'])], [{ target: toBeDeleted, policy: 'Foreground' }]);
    expect(out.has(toBeDeleted)).toBe(false);
    expect([out.has(p1), out.has(p2)]).toEqual([true, true]);
  });

  test(caseTitle(integration('TestBlockingOwnerRefDoesBlock'), 'Foreground: a dependent with blockOwnerDeletion that cannot go yet holds the owner, marked, with its finalizer'), () => {
    const p = podOf('pod');
    const out = collect([object(toBeDeleted), object(p, [ref(toBeDeleted, { blockOwnerDeletion: true })], ['x/y'])], [{ target: toBeDeleted, policy: 'Foreground' }]);
    const owner = out.get(toBeDeleted);
    expect(owner?.metadata.deletionTimestamp).toBeDefined();
    expect(owner?.metadata.finalizers).toEqual(['foregroundDeletion']);
    expect(out.get(p)?.metadata.deletionTimestamp).toBeDefined();
  });
});

/** A Deployment of three running pods in a bot-played cluster, then deleted with `policy`. */
function deleteDeployment(policy: PropagationPolicy | undefined): { cluster: SimCluster; deletions: string[] } {
  const deletions: string[] = [];
  const cluster = new SimCluster({ seed: 15, onCommit: (event) => event.type === 'DELETED' && event.object.kind !== 'Event' && deletions.push(`${event.object.kind}/${event.object.metadata.name}`) });
  cluster.addNode('node-1');
  cluster.addNode('node-2');
  cluster.createObject(makeDeployment('web', { replicas: 3 }));
  const running = (): boolean => [...cluster.state.list('Pod')].filter((p) => p.status?.phase === 'Running').length === 3;
  expect(cluster.runUntilTrue(running, 120_000)).toBe(true);
  const outcome = cluster.submit({ verb: 'delete', kind: 'Deployment', namespace: 'default', name: 'web', ...(policy ? { propagationPolicy: policy } : {}), reason: 'kubectl delete deployment web' });
  expect(outcome.ok).toBe(true);
  cluster.runUntil(cluster.now + 120_000);
  return { cluster, deletions };
}

describe('deleting a Deployment (the acceptance of issue 15)', () => {
  const e2e = (name: string): K8sCase => ({ source: k8s(E2E, name) });
  test(caseTitle(e2e('should delete RS created by deployment when not orphaning'), 'Background (kubectl\'s default): its ReplicaSet and pods are gone once the garbage collector has run'), () => {
    const { cluster } = deleteDeployment(undefined);
    expect([cluster.state.count('Deployment'), cluster.state.count('ReplicaSet'), cluster.state.count('Pod')]).toEqual([0, 0, 0]);
  });

  test(caseTitle(e2e('should orphan RS created by deployment when deleteOptions.PropagationPolicy is Orphan'), 'Orphan: its ReplicaSet and pods stay, the ReplicaSet without its ownerReference'), () => {
    const { cluster } = deleteDeployment('Orphan');
    expect(cluster.state.count('Deployment')).toBe(0);
    const [rs, ...others] = [...cluster.state.list('ReplicaSet')];
    expect(others).toEqual([]);
    expect(rs?.metadata.ownerReferences).toBeUndefined();
    const pods = [...cluster.state.list('Pod')];
    expect(pods.map((p) => p.status?.phase)).toEqual(['Running', 'Running', 'Running']);
    for (const p of pods) expect(ownerUids(p)).toEqual([rs?.metadata.uid]);
  });

  test(caseTitle(e2e('should keep the rc around until all its pods are deleted if the deleteOptions says so'), 'Foreground: the pods go first, then the ReplicaSet, then the Deployment'), () => {
    const { cluster, deletions } = deleteDeployment('Foreground');
    expect([cluster.state.count('Deployment'), cluster.state.count('ReplicaSet'), cluster.state.count('Pod')]).toEqual([0, 0, 0]);
    expect(deletions.slice(-2).map((d) => d.split('/')[0])).toEqual(['ReplicaSet', 'Deployment']);
    expect(deletions.slice(0, -2).every((d) => d.startsWith('Pod/'))).toBe(true);
  });
});
