/**
 * The loops' view of the cluster: objects by kind and key plus the indexes a real informer cache
 * keeps (pods by node, by owner, by label; ReplicaSets by owner; requested resources per node), so
 * no loop rescans every pod. Built once from a list, then kept current with `apply(event)`: this
 * class is the cache, the loops only read it.
 */
import {
  byteOrder,
  FOREGROUND_FINALIZER,
  LEADER_ELECTION_NAMESPACE,
  ORPHAN_FINALIZER,
  NODE_LEASE_NAMESPACE,
  controllerRef,
  hasFinalizer,
  isPodActive,
  isPodReady,
  objectKey,
  type ContainerRuntime,
  type Deployment,
  type Endpoints,
  type Kind,
  type KubeObject,
  type Lease,
  type Node,
  type ObjectOfKind,
  type Pod,
  type ProxyTable,
  type ReplicaSet,
  type Service,
} from '@shared/model';
import { nonZeroRequests, requestsOf } from './resources';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** What the pods bound to a node ask for: real requests (filters) and non-zero ones (scores). */
export interface NodeUsage {
  cpuMillis: number;
  memoryBytes: number;
  pods: number;
  nonZeroCpuMillis: number;
  nonZeroMemoryBytes: number;
}

const EMPTY_USAGE: NodeUsage = Object.freeze({ cpuMillis: 0, memoryBytes: 0, pods: 0, nonZeroCpuMillis: 0, nonZeroMemoryBytes: 0 });

/** Pods that still hold their node's resources: bound and not finished (the scheduler cache's view). */
export function holdsResources(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return pod.spec.nodeName !== undefined && phase !== 'Succeeded' && phase !== 'Failed';
}

/** Pods waiting for the scheduler: unbound, not being deleted, for the default scheduler. */
export function isPendingScheduling(pod: Pod): boolean {
  return (
    pod.spec.nodeName === undefined &&
    pod.metadata.deletionTimestamp === undefined &&
    (pod.spec.schedulerName ?? 'default-scheduler') === 'default-scheduler' &&
    pod.status?.phase !== 'Failed' &&
    pod.status?.phase !== 'Succeeded'
  );
}

/** PrioritySort's order: higher priority first, then older, then by key (a total order: keys are unique). */
export function queueOrder(a: Pod, b: Pod): number {
  return (
    (b.spec.priority ?? 0) - (a.spec.priority ?? 0) ||
    byteOrder(a.metadata.creationTimestamp ?? '', b.metadata.creationTimestamp ?? '') ||
    byteOrder(objectKey(a), objectKey(b))
  );
}

/** The kubelet's order of a node's pods: oldest first, then by key. */
export function oldestFirst(a: Pod, b: Pod): number {
  return byteOrder(a.metadata.creationTimestamp ?? '', b.metadata.creationTimestamp ?? '') || byteOrder(objectKey(a), objectKey(b));
}

/** Where `pod` is, or would go, in a list sorted by queueOrder. */
function queueIndex(queue: readonly Pod[], pod: Pod): number {
  let low = 0;
  let high = queue.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (queueOrder(queue[mid] as Pod, pod) < 0) low = mid + 1;
    else high = mid;
  }
  return low;
}

function hasRequiredAntiAffinity(pod: Pod): boolean {
  return (pod.spec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.length ?? 0) > 0;
}

function addTo<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(value);
}

function removeFrom<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  const set = map.get(key);
  if (!set) return;
  set.delete(value);
  if (set.size === 0) map.delete(key);
}

/** An object's handle in the kind-spanning indexes: kind and key. */
export const objectHandle = (kind: Kind, key: string): string => `${kind}\u0000${key}`;

/** Marked for deletion and waiting for the garbage collector (orphan or foreground). */
export function awaitsGarbageCollector(obj: KubeObject): boolean {
  return obj.metadata.deletionTimestamp !== undefined && (hasFinalizer(obj, ORPHAN_FINALIZER) || hasFinalizer(obj, FOREGROUND_FINALIZER));
}

export const labelKey = (namespace: string, key: string, value: string): string => `${namespace}\u0000${key}=${value}`;

/**
 * What the ReplicaSet controller counts of the active pods one controller owns, kept as pods come
 * and go: a status check reads these instead of every pod (a ReplicaSet may have thousands).
 * Pods are grouped by their labels (pods of one template share them) for fullyLabeledReplicas.
 */
export interface OwnedPods {
  active: number;
  ready: number;
  byLabels: Map<string, { labels: Pod['metadata']['labels']; count: number }>;
}

/** An informer's event handler: called after each applied event, with the object it replaced. */
export type ApplyListener = (type: WatchEventType, obj: KubeObject, previous: KubeObject | undefined) => void;

export class ClusterState {
  /** The highest resourceVersion applied ("0" when built from objects without one). */
  resourceVersion = '0';
  private readonly byKind = new Map<Kind, Map<string, KubeObject>>();
  readonly podsByNode = new Map<string, Set<string>>();
  readonly podsByOwner = new Map<string, Set<string>>();
  private readonly activeByOwner = new Map<string, OwnedPods>();
  readonly podsByLabel = new Map<string, Set<string>>();
  readonly replicaSetsByOwner = new Map<string, Set<string>>();
  readonly pendingPods = new Set<string>();
  /**
   * The pending pods in the scheduling queue's order, kept sorted as pods come and go (a bot asks
   * for the head of the queue at every move; sorting tens of thousands of pods each time would not do).
   */
  private readonly queue: Pod[] = [];
  /** Every object with ownerReferences, by each owner uid it names (the garbage collector's graph). */
  readonly dependentsByOwner = new Map<string, Set<string>>();
  /** Objects marked for deletion whose orphan or foreground finalizer the garbage collector handles. */
  readonly finalizing = new Set<string>();
  /** Pods with required anti-affinity, per node: the only ones the existing-pods check needs. */
  readonly antiAffinityPodsByNode = new Map<string, Set<string>>();
  private readonly usage = new Map<string, NodeUsage>();
  /**
   * Each node's pods in the kubelet's order: the keys, sorted when first asked since a pod last
   * came or went, and the pods themselves, looked up when first asked since one last changed.
   */
  private readonly kubeletOrder = new Map<string, { keys: string[]; pods?: readonly Pod[] }>();
  /** Each object's place in `list` (insertion order), so a work queue can find the first of its keys without listing. */
  private readonly order = new Map<Kind, Map<string, number>>();
  private inserted = 0;
  private readonly listeners = new Set<ApplyListener>();

  static from(objects: Iterable<KubeObject>): ClusterState {
    const state = new ClusterState();
    for (const obj of objects) state.apply('ADDED', obj);
    return state;
  }

  get<K extends Kind>(kind: K, key: string): ObjectOfKind<K> | undefined {
    return this.byKind.get(kind)?.get(key) as ObjectOfKind<K> | undefined;
  }

  /** Objects of a kind in insertion order (deterministic for a given sequence of events). */
  list<K extends Kind>(kind: K): IterableIterator<ObjectOfKind<K>> {
    return (this.byKind.get(kind) ?? new Map<string, KubeObject>()).values() as IterableIterator<ObjectOfKind<K>>;
  }

  count(kind: Kind): number {
    return this.byKind.get(kind)?.size ?? 0;
  }

  node(name: string): Node | undefined {
    return this.get('Node', name);
  }
  pod(key: string): Pod | undefined {
    return this.get('Pod', key);
  }
  runtime(node: string): ContainerRuntime | undefined {
    return this.get('ContainerRuntime', node);
  }
  proxyTable(node: string): ProxyTable | undefined {
    return this.get('ProxyTable', node);
  }
  nodeLease(node: string): Lease | undefined {
    return this.get('Lease', `${NODE_LEASE_NAMESPACE}/${node}`);
  }
  leaderLease(name: string): Lease | undefined {
    return this.get('Lease', `${LEADER_ELECTION_NAMESPACE}/${name}`);
  }

  podsOn(node: string): Pod[] {
    return this.resolve('Pod', this.podsByNode.get(node));
  }
  /**
   * The pods bound to `node`, oldest first (creationTimestamp, then key): the order the kubelet
   * works through them at every move. The order is kept until a pod comes to or leaves the node
   * (neither key changes with an update), so a move sorts nothing; the very same list is answered
   * until one of them changes, so a caller can tell nothing did.
   */
  podsOnOldestFirst(node: string): readonly Pod[] {
    let order = this.kubeletOrder.get(node);
    if (!order) {
      order = { keys: this.podsOn(node).sort(oldestFirst).map((p) => objectKey(p)) };
      this.kubeletOrder.set(node, order);
    }
    if (order.pods) return order.pods;
    const pods = this.byKind.get('Pod');
    const out: Pod[] = [];
    for (const key of order.keys) {
      const pod = pods?.get(key);
      if (pod) out.push(pod as Pod);
    }
    return (order.pods = out);
  }
  /** Counts of the active pods whose controller is `uid` (none: no such pod). */
  activePodsOwnedBy(uid: string): Readonly<OwnedPods> | undefined {
    return this.activeByOwner.get(uid);
  }
  podsOwnedBy(uid: string): Pod[] {
    return this.resolve('Pod', this.podsByOwner.get(uid));
  }
  replicaSetsOwnedBy(uid: string): ReplicaSet[] {
    return this.resolve('ReplicaSet', this.replicaSetsByOwner.get(uid));
  }
  /** The object an `objectHandle` names, if it is still there. */
  byHandle(handle: string): KubeObject | undefined {
    const at = handle.indexOf('\u0000');
    return this.byKind.get(handle.slice(0, at) as Kind)?.get(handle.slice(at + 1));
  }
  /** Objects of any kind with an ownerReference to `uid`. */
  dependentsOf(uid: string): KubeObject[] {
    const out: KubeObject[] = [];
    for (const handle of this.dependentsByOwner.get(uid) ?? []) {
      const obj = this.byHandle(handle);
      if (obj) out.push(obj);
    }
    return out;
  }
  services(): IterableIterator<Service> {
    return this.list('Service');
  }
  endpointsOf(service: Service): Endpoints | undefined {
    return this.get('Endpoints', objectKey(service));
  }
  deployments(): IterableIterator<Deployment> {
    return this.list('Deployment');
  }

  /** Pods of a namespace carrying every label of `selector` (the smallest label set is scanned). */
  podsMatching(namespace: string, selector: Readonly<Record<string, string>>): Pod[] {
    const entries = Object.entries(selector);
    if (entries.length === 0) return [...this.list('Pod')].filter((p) => p.metadata.namespace === namespace);
    let smallest: Set<string> | undefined;
    for (const [k, v] of entries) {
      const set = this.podsByLabel.get(labelKey(namespace, k, v));
      if (!set) return [];
      if (!smallest || set.size < smallest.size) smallest = set;
    }
    return this.resolve('Pod', smallest).filter((p) => entries.every(([k, v]) => p.metadata.labels?.[k] === v));
  }

  /** The pods waiting for the scheduler, in PrioritySort's order (read-only: the state keeps it). */
  schedulingQueue(): readonly Pod[] {
    return this.queue;
  }

  /** The object's place among its kind in `list` order (larger: listed later); undefined when absent. */
  orderOf(kind: Kind, key: string): number | undefined {
    return this.order.get(kind)?.get(key);
  }

  /** Registers an event handler (a work queue's): it hears every event applied from now on. Returns the unsubscribe. */
  onApply(listener: ApplyListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** What the pods bound to `node` request (kept up to date incrementally). */
  usageOf(node: string): NodeUsage {
    return this.usage.get(node) ?? EMPTY_USAGE;
  }

  private resolve<K extends Kind>(kind: K, keys: Set<string> | undefined): ObjectOfKind<K>[] {
    const out: ObjectOfKind<K>[] = [];
    if (!keys) return out;
    const objects = this.byKind.get(kind);
    for (const key of keys) {
      const obj = objects?.get(key);
      if (obj) out.push(obj as ObjectOfKind<K>);
    }
    return out;
  }

  /** Applies one watch event (the informer's add/update/delete), keeping every index current. */
  apply(type: WatchEventType, obj: KubeObject): void {
    const key = objectKey(obj);
    let objects = this.byKind.get(obj.kind);
    if (!objects) this.byKind.set(obj.kind, (objects = new Map()));
    let order = this.order.get(obj.kind);
    if (!order) this.order.set(obj.kind, (order = new Map()));
    const previous = objects.get(key);
    if (obj.kind === 'Pod') {
      // A pod came to a node or left it (bound, deleted, created bound): that node's order is sorted
      // again. The API server keeps creationTimestamp as created; a state fed other objects is checked.
      const was = previous as Pod | undefined;
      const before = was?.spec.nodeName;
      const after = type === 'DELETED' ? undefined : obj.spec.nodeName;
      if (!was || type === 'DELETED' || before !== after || was.metadata.creationTimestamp !== obj.metadata.creationTimestamp) {
        if (before !== undefined) this.kubeletOrder.delete(before);
        if (after !== undefined) this.kubeletOrder.delete(after);
      } else if (after !== undefined) {
        const order = this.kubeletOrder.get(after);
        if (order) delete order.pods;
      }
    }
    if (previous) this.unindex(previous, key);
    if (type === 'DELETED') {
      objects.delete(key);
      order.delete(key);
    } else {
      if (!previous) order.set(key, this.inserted++);
      objects.set(key, obj);
      this.index(obj, key);
    }
    const rv = obj.metadata.resourceVersion;
    if (rv !== undefined && /^\d+$/.test(rv) && BigInt(rv) > BigInt(this.resourceVersion)) this.resourceVersion = rv;
    for (const listener of this.listeners) listener(type, obj, previous);
  }

  private indexOwners(obj: KubeObject, key: string, sign: 1 | -1): void {
    const handle = objectHandle(obj.kind, key);
    for (const ref of obj.metadata.ownerReferences ?? []) (sign === 1 ? addTo : removeFrom)(this.dependentsByOwner, ref.uid, handle);
    if (sign === 1 && awaitsGarbageCollector(obj)) this.finalizing.add(handle);
    else this.finalizing.delete(handle);
  }

  private index(obj: KubeObject, key: string): void {
    this.indexOwners(obj, key, 1);
    if (obj.kind === 'Pod') this.indexPod(obj, key, +1);
    else if (obj.kind === 'ReplicaSet') {
      const owner = controllerRef(obj);
      if (owner) addTo(this.replicaSetsByOwner, owner.uid, key);
    }
  }

  private unindex(obj: KubeObject, key: string): void {
    this.indexOwners(obj, key, -1);
    if (obj.kind === 'Pod') this.indexPod(obj, key, -1);
    else if (obj.kind === 'ReplicaSet') {
      const owner = controllerRef(obj);
      if (owner) removeFrom(this.replicaSetsByOwner, owner.uid, key);
    }
  }

  private countOwned(uid: string, pod: Pod, sign: 1 | -1): void {
    let counts = this.activeByOwner.get(uid);
    if (!counts) this.activeByOwner.set(uid, (counts = { active: 0, ready: 0, byLabels: new Map() }));
    counts.active += sign;
    if (isPodReady(pod)) counts.ready += sign;
    const labels = pod.metadata.labels;
    const signature = JSON.stringify(labels ?? null);
    const group = counts.byLabels.get(signature);
    if (group) group.count += sign;
    else counts.byLabels.set(signature, { labels, count: sign });
    if (group?.count === 0) counts.byLabels.delete(signature);
    if (counts.active === 0) this.activeByOwner.delete(uid);
  }

  private indexPod(pod: Pod, key: string, sign: 1 | -1): void {
    const change = sign === 1 ? addTo : removeFrom;
    const node = pod.spec.nodeName;
    if (node !== undefined) {
      change(this.podsByNode, node, key);
      if (hasRequiredAntiAffinity(pod)) change(this.antiAffinityPodsByNode, node, key);
    }
    const owner = controllerRef(pod);
    if (owner) change(this.podsByOwner, owner.uid, key);
    if (owner && isPodActive(pod)) this.countOwned(owner.uid, pod, sign);
    const ns = pod.metadata.namespace ?? 'default';
    for (const [k, v] of Object.entries(pod.metadata.labels ?? {})) change(this.podsByLabel, labelKey(ns, k, v), key);
    if (isPendingScheduling(pod)) {
      // The pod removed is the very object that was inserted, so its place is found again.
      const at = queueIndex(this.queue, pod);
      if (sign === 1) {
        this.pendingPods.add(key);
        this.queue.splice(at, 0, pod);
      } else {
        this.pendingPods.delete(key);
        if (this.queue[at] === pod) this.queue.splice(at, 1);
      }
    }
    if (node !== undefined && holdsResources(pod)) {
      const r = requestsOf(pod);
      const nz = nonZeroRequests(pod);
      const u = this.usageOf(node);
      this.usage.set(node, {
        cpuMillis: u.cpuMillis + sign * r.cpuMillis,
        memoryBytes: u.memoryBytes + sign * r.memoryBytes,
        pods: u.pods + sign,
        nonZeroCpuMillis: u.nonZeroCpuMillis + sign * nz.cpuMillis,
        nonZeroMemoryBytes: u.nonZeroMemoryBytes + sign * nz.memoryBytes,
      });
    }
  }
}
