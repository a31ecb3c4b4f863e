/**
 * kube-controller-manager's next move per controller, without planning every object at every
 * move. As the controllers' informer event handlers enqueue the keys an event concerns
 * (pkg/controller/*: a pod's ReplicaSet, the Services selecting it, a Lease's node, the owners and
 * dependents of a changed object), this queue hears every event its state applies and looks again
 * only at those keys; it keeps the keys that had a move. What time alone changes is known ahead: a
 * node's heartbeat deadline and a Deployment's progress deadline are their next look. ReplicaSets
 * with minReadySeconds and nodes with NoExecute taints (tolerationSeconds) are looked at every
 * time: they are few. The first move of each controller is the one `controllerManagerMoves` lists
 * first; a property test compares the two over random changes.
 */
import { controllerRef, fromRFC3339, getCondition, isKind, isNamespaced, matchesLabels, type KubeObject, type SimTime } from '@shared/model';
import { collectionOf } from '../controllers/garbage-collector';
import { heartbeatDeadline } from '../controllers/node-lifecycle';
import { objectHandle, type ClusterState } from '../state';
import { CONTROLLERS, deploymentMove, garbageMove, nodeMoves, orphanEndpointsMove, replicaSetMoves, serviceMove, type Controller } from './controller-manager';
import type { PlannedMove, WaitingMove } from './types';

const queues = new WeakMap<ClusterState, ControllerQueue>();

/** The state's queue, created (and subscribed) at its first use. */
export function controllerQueueOf(state: ClusterState): ControllerQueue {
  let queue = queues.get(state);
  if (!queue) queues.set(state, (queue = new ControllerQueue(state)));
  return queue;
}

/** The first move of each controller that has one, in CONTROLLERS order. */
export function firstControllerMoves(state: ClusterState, now: SimTime): Map<Controller, PlannedMove> {
  return controllerQueueOf(state).firstMoves(now);
}

const SERVICE = 's\u0000';
const ENDPOINTS = 'e\u0000';

/** Keys to look at again, and the keys whose last look found a move. */
class WorkQueue {
  readonly dirty = new Set<string>();
  readonly withMove = new Set<string>();

  /** Looks at every dirty key (and `always`) with `look`; returns the candidates, best first per `before`. */
  settle(look: (key: string) => boolean, always: Iterable<string> = []): void {
    const keys = [...this.dirty, ...always];
    this.dirty.clear();
    for (const key of keys) {
      if (look(key)) this.withMove.add(key);
      else this.withMove.delete(key);
    }
  }

  /** The first candidate by `before` whose move `moveOf` still finds (a candidate without one leaves). */
  first(before: (a: string, b: string) => boolean, moveOf: (key: string) => PlannedMove | undefined): PlannedMove | undefined {
    for (;;) {
      let best: string | undefined;
      for (const key of this.withMove) if (best === undefined || before(key, best)) best = key;
      if (best === undefined) return undefined;
      const move = moveOf(best);
      if (move) return move;
      this.withMove.delete(best);
    }
  }
}

export class ControllerQueue {
  private fresh = true;
  private readonly deployments = new WorkQueue();
  /** When a Deployment's progress deadline passes (its moves may change with time alone then). */
  private readonly deploymentDeadlines = new Map<string, SimTime>();
  private readonly replicaSets = new WorkQueue();
  /** ReplicaSets with minReadySeconds: availability changes with time alone. */
  private readonly timedReplicaSets = new Set<string>();
  private readonly nodes = new WorkQueue();
  /** When a node's moves change with time alone (its heartbeat deadline); absent: never by itself. */
  private readonly nodeDeadlines = new Map<string, SimTime>();
  /** Nodes with NoExecute taints: their evictions wait on each pod's tolerationSeconds. */
  private readonly evictingNodes = new Set<string>();
  /** `s\0key` for a Service's endpoints, `e\0key` for Endpoints whose Service may be gone. */
  private readonly endpoints = new WorkQueue();
  /** objectHandles. */
  private readonly garbage = new WorkQueue();

  constructor(private readonly state: ClusterState) {
    state.onApply((type, obj, previous) => this.note(type === 'DELETED', obj, previous));
  }

  firstMoves(now: SimTime): Map<Controller, PlannedMove> {
    const state = this.state;
    if (this.fresh) this.enqueueEverything();
    const first = new Map<Controller, PlannedMove>();
    const set = (c: Controller, m: PlannedMove | undefined): void => void (m && first.set(c, m));

    for (const [key, at] of this.deploymentDeadlines) if (at <= now) this.deployments.dirty.add(key);
    const dMove = (key: string): PlannedMove | undefined => {
      this.deploymentDeadlines.delete(key);
      const d = state.get('Deployment', key);
      if (!d) return undefined;
      // Progressing turns False once progressDeadlineSeconds pass without an update of the condition.
      const updated = d.status?.conditions?.find((c) => c.type === 'Progressing')?.lastUpdateTime;
      const at = updated === undefined ? undefined : fromRFC3339(updated) + (d.spec.progressDeadlineSeconds ?? 600) * 1000 + 1;
      if (at !== undefined && now < at) this.deploymentDeadlines.set(key, at);
      return deploymentMove(state, d, now);
    };
    this.deployments.settle((key) => dMove(key) !== undefined);
    set('deployment', this.deployments.first((a, b) => order(state, 'Deployment', a) < order(state, 'Deployment', b), dMove));

    const rsMoves = (key: string): PlannedMove | undefined => {
      const rs = state.get('ReplicaSet', key);
      if (!rs) return undefined;
      if ((rs.spec.minReadySeconds ?? 0) > 0) this.timedReplicaSets.add(key);
      else this.timedReplicaSets.delete(key);
      const moves: PlannedMove[] = [];
      replicaSetMoves(state, rs, now, moves);
      return moves[0];
    };
    this.replicaSets.settle((key) => rsMoves(key) !== undefined, [...this.timedReplicaSets]);
    set('replicaset', this.replicaSets.first((a, b) => order(state, 'ReplicaSet', a) < order(state, 'ReplicaSet', b), rsMoves));

    for (const [node, at] of this.nodeDeadlines) if (at <= now) this.nodes.dirty.add(node);
    const nodeMove = (name: string): PlannedMove | undefined => {
      this.nodeDeadlines.delete(name);
      this.evictingNodes.delete(name);
      const node = state.node(name);
      if (!node) return undefined;
      if (getCondition(node.status?.conditions, 'Ready')?.status !== 'Unknown') {
        const deadline = heartbeatDeadline(state, node);
        if (now < deadline) this.nodeDeadlines.set(name, deadline);
      }
      if ((node.spec.taints ?? []).some((t) => t.effect === 'NoExecute')) this.evictingNodes.add(name);
      const moves: PlannedMove[] = [];
      const waiting: WaitingMove[] = [];
      nodeMoves(state, node, now, moves, waiting);
      return moves[0];
    };
    this.nodes.settle((name) => nodeMove(name) !== undefined, [...this.evictingNodes]);
    set('nodelifecycle', this.nodes.first((a, b) => a < b, nodeMove));

    const endpointsMove = (id: string): PlannedMove | undefined => {
      const key = id.slice(2);
      if (id.startsWith(SERVICE)) {
        const service = state.get('Service', key);
        return service && serviceMove(state, service, now);
      }
      const endpoints = state.get('Endpoints', key);
      return endpoints && orphanEndpointsMove(state, endpoints);
    };
    this.endpoints.settle((id) => endpointsMove(id) !== undefined);
    set('endpoint', this.endpoints.first((a, b) => endpointsBefore(state, a, b), endpointsMove));

    const garbageMoveOf = (handle: string): PlannedMove | undefined => {
      const obj = state.byHandle(handle);
      const collection = obj && collectionOf(state, obj, now);
      return collection && garbageMove(collection);
    };
    this.garbage.settle((handle) => garbageMoveOf(handle) !== undefined, state.finalizing);
    set('garbagecollector', this.garbage.first((a, b) => a < b, garbageMoveOf));

    return new Map(CONTROLLERS.filter((c) => first.has(c)).map((c) => [c, first.get(c) as PlannedMove]));
  }

  /** The first look: every object a controller handles. */
  private enqueueEverything(): void {
    this.fresh = false;
    const state = this.state;
    for (const d of state.list('Deployment')) this.deployments.dirty.add(key(d));
    for (const rs of state.list('ReplicaSet')) this.replicaSets.dirty.add(key(rs));
    for (const node of state.list('Node')) this.nodes.dirty.add(node.metadata.name);
    for (const service of state.list('Service')) this.endpoints.dirty.add(SERVICE + key(service));
    for (const endpoints of state.list('Endpoints')) this.endpoints.dirty.add(ENDPOINTS + key(endpoints));
    for (const handle of state.finalizing) this.garbage.dirty.add(handle);
    for (const set of state.dependentsByOwner.values()) for (const handle of set) this.garbage.dirty.add(handle);
  }

  /** An event handler: enqueues what the event concerns (before the first look everything is looked at anyway). */
  private note(deleted: boolean, obj: KubeObject, previous: KubeObject | undefined): void {
    if (this.fresh) return;
    const state = this.state;
    const versions = previous ? [previous, obj] : [obj];
    switch (obj.kind) {
      case 'Deployment':
        this.deployments.dirty.add(key(obj));
        break;
      case 'ReplicaSet':
        this.replicaSets.dirty.add(key(obj));
        for (const rs of versions) this.noteOwner(rs, 'Deployment', this.deployments);
        break;
      case 'Pod':
        for (const pod of versions) {
          const rsKey = this.noteOwner(pod, 'ReplicaSet', this.replicaSets);
          // The Deployment counts the active pods of its old ReplicaSets.
          const rs = rsKey === undefined ? undefined : state.get('ReplicaSet', rsKey);
          if (rs) this.noteOwner(rs, 'Deployment', this.deployments);
          if (pod.kind === 'Pod' && pod.spec.nodeName !== undefined) this.nodes.dirty.add(pod.spec.nodeName);
        }
        // The Services whose selector the pod matched before or matches now.
        for (const service of state.services()) {
          const selector = service.spec.selector;
          if (service.metadata.namespace !== obj.metadata.namespace || !selector) continue;
          if (versions.some((pod) => matchesLabels(selector, pod.metadata.labels ?? {}))) this.endpoints.dirty.add(SERVICE + key(service));
        }
        break;
      case 'Node':
        this.nodes.dirty.add(obj.metadata.name);
        break;
      case 'Lease':
        if (obj.metadata.namespace === 'kube-node-lease') this.nodes.dirty.add(obj.metadata.name);
        break;
      case 'Service':
      case 'Endpoints':
        this.endpoints.dirty.add(SERVICE + key(obj));
        this.endpoints.dirty.add(ENDPOINTS + key(obj));
        break;
      case 'Event': {
        // The garbage collector records an OwnerRefInvalidNamespace event once: its object is looked at again.
        const o = obj.involvedObject;
        if (o.kind !== undefined && o.name !== undefined && isKind(o.kind)) this.garbage.dirty.add(objectHandle(o.kind, o.namespace ? `${o.namespace}/${o.name}` : o.name));
        break;
      }
      default:
        break;
    }
    this.noteGarbage(deleted, obj, previous);
  }

  /** Enqueues the object's controller when it is of `kind`; returns its key. */
  private noteOwner(obj: KubeObject, kind: 'ReplicaSet' | 'Deployment', queue: WorkQueue): string | undefined {
    const owner = controllerRef(obj);
    if (owner?.kind !== kind) return undefined;
    const ownerKey = `${obj.metadata.namespace ?? 'default'}/${owner.name}`;
    queue.dirty.add(ownerKey);
    return ownerKey;
  }

  /** The object itself, its owners (their dependents changed) and, when it came, went or its deletion changed, its dependents. */
  private noteGarbage(deleted: boolean, obj: KubeObject, previous: KubeObject | undefined): void {
    const dirty = this.garbage.dirty;
    dirty.add(objectHandle(obj.kind, key(obj)));
    const refsChanged = deleted || previous === undefined || previous.metadata.ownerReferences !== obj.metadata.ownerReferences;
    if (refsChanged) {
      for (const version of previous ? [previous, obj] : [obj]) {
        for (const ref of version.metadata.ownerReferences ?? []) {
          if (!isKind(ref.kind)) continue;
          const ns = version.metadata.namespace;
          if (isNamespaced(ref.kind) && ns === undefined) continue;
          dirty.add(objectHandle(ref.kind, isNamespaced(ref.kind) ? `${ns}/${ref.name}` : ref.name));
        }
      }
    }
    const ownerChanged =
      deleted ||
      previous === undefined ||
      previous.metadata.uid !== obj.metadata.uid ||
      previous.metadata.deletionTimestamp !== obj.metadata.deletionTimestamp ||
      (previous.metadata.finalizers ?? []).join('\u0000') !== (obj.metadata.finalizers ?? []).join('\u0000');
    if (!ownerChanged) return;
    for (const version of previous ? [previous, obj] : [obj]) {
      for (const handle of this.state.dependentsByOwner.get(version.metadata.uid ?? '') ?? []) dirty.add(handle);
    }
  }
}

const key = (obj: KubeObject): string => (obj.metadata.namespace ? `${obj.metadata.namespace}/${obj.metadata.name}` : obj.metadata.name);

function order(state: ClusterState, kind: 'Deployment' | 'ReplicaSet' | 'Service' | 'Endpoints', k: string): number {
  return state.orderOf(kind, k) ?? Number.MAX_SAFE_INTEGER;
}

/** The full listing's order: Services' endpoints first (in Service order), then Endpoints left by their Service. */
function endpointsBefore(state: ClusterState, a: string, b: string): boolean {
  const rank = (id: string): [number, number] => (id.startsWith(SERVICE) ? [0, order(state, 'Service', id.slice(2))] : [1, order(state, 'Endpoints', id.slice(2))]);
  const [ga, oa] = rank(a);
  const [gb, ob] = rank(b);
  return ga < gb || (ga === gb && oa < ob);
}
