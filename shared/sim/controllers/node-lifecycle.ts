/**
 * Node lifecycle controller: a node whose kubelet has not renewed its Lease (nor posted status) for
 * the grace period (50 s) gets Ready=Unknown, its pods are marked not ready, and it is tainted
 * `node.kubernetes.io/unreachable` (NoSchedule and NoExecute). The taint manager then evicts every
 * pod that does not tolerate a NoExecute taint, or when its tolerationSeconds (300 s by default) run
 * out. A node that reports Ready again loses the taints.
 */
import {
  TAINT_NODE_NOT_READY,
  TAINT_NODE_UNREACHABLE,
  fromRFC3339,
  getCondition,
  setCondition,
  toRFC3339,
  tolerates,
  type Node,
  type NodeCondition,
  type Pod,
  type PodCondition,
  type SimTime,
  type Taint,
} from '@shared/model';
import { NODE_MONITOR_GRACE_SECONDS } from '../defaults';
import { create, timer, update, updateStatus, type Step } from '../requests';
import type { Rng } from '../rng';
import type { ClusterState } from '../state';
import { makeTimer } from '../timers';
import { controllerEvent } from './events';
import { sameValue } from '../hash';

const COMPONENT = 'node-controller';

/** The last sign of life: Lease renewal, Ready heartbeat or, for a new node, its creation. */
export function lastHeartbeat(state: ClusterState, node: Node): SimTime {
  const times = [
    state.nodeLease(node.metadata.name)?.spec.renewTime,
    getCondition(node.status?.conditions, 'Ready')?.lastHeartbeatTime,
    node.metadata.creationTimestamp,
  ].filter((t): t is string => t !== undefined);
  return times.reduce((max, t) => Math.max(max, fromRFC3339(t)), 0);
}

const STATUS_UNKNOWN = { status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' } as const;

function taintsFor(ready: NodeCondition['status'] | undefined): string | undefined {
  if (ready === 'Unknown') return TAINT_NODE_UNREACHABLE;
  if (ready === 'False') return TAINT_NODE_NOT_READY;
  return undefined;
}

/** Keeps the not-ready / unreachable taints in line with the Ready condition (TaintNodesByCondition + NoExecute). */
function desiredTaints(node: Node, now: SimTime, ready: NodeCondition['status'] | undefined): Taint[] {
  const keep = (node.spec.taints ?? []).filter((t) => t.key !== TAINT_NODE_NOT_READY && t.key !== TAINT_NODE_UNREACHABLE);
  const key = taintsFor(ready);
  if (!key) return keep;
  const existing = (effect: Taint['effect']): Taint =>
    (node.spec.taints ?? []).find((t) => t.key === key && t.effect === effect) ?? { key, effect, timeAdded: toRFC3339(now) };
  return [...keep, existing('NoSchedule'), existing('NoExecute')];
}

/** RecordNodeStatusChange: the Node's event when its Ready condition leaves True. */
export function nodeNotReadyEvent(node: Node, now: SimTime, rng: Rng): Step {
  const message = `Node ${node.metadata.name} status is now: NodeNotReady`;
  return create(controllerEvent(node, COMPONENT, 'Normal', 'NodeNotReady', message, now, rng), `event: ${message}`);
}

/** Heartbeat deadline passed and Ready not yet Unknown: the controller's Ready=Unknown write, its event, pods not ready. */
export function markUnknownSteps(state: ClusterState, node: Node, now: SimTime, rng: Rng): Step[] {
  const name = node.metadata.name;
  const ready = getCondition(node.status?.conditions, 'Ready')?.status;
  let conditions = node.status?.conditions ?? [];
  for (const c of conditions) conditions = setCondition(conditions, { ...c, ...STATUS_UNKNOWN }, now);
  const steps: Step[] = [updateStatus(node, { ...node, status: { ...node.status, conditions } }, `${name}: no heartbeat for ${NODE_MONITOR_GRACE_SECONDS}s, Ready=Unknown`)];
  if (ready === 'True') steps.push(nodeNotReadyEvent(node, now, rng));
  return [...steps, ...markPodsNotReady(state, name, now, rng)];
}

/** When the node misses its heartbeat deadline. */
export function heartbeatDeadline(state: ClusterState, node: Node): SimTime {
  return lastHeartbeat(state, node) + NODE_MONITOR_GRACE_SECONDS * 1000;
}

/** The not-ready/unreachable taints the node should gain and lose for its Ready condition now. */
export function taintChanges(node: Node, now: SimTime): { add: Taint[]; remove: Taint[] } {
  const ready = getCondition(node.status?.conditions, 'Ready')?.status;
  const desired = desiredTaints(node, now, ready);
  const current = node.spec.taints ?? [];
  const same = (a: Taint, b: Taint): boolean => a.key === b.key && a.effect === b.effect;
  return { add: desired.filter((t) => !current.some((c) => same(c, t))), remove: current.filter((t) => !desired.some((d) => same(d, t))) };
}

function monitorNode(state: ClusterState, node: Node, now: SimTime, rng: Rng): Step[] {
  const name = node.metadata.name;
  const steps: Step[] = [];
  const ready = getCondition(node.status?.conditions, 'Ready')?.status;
  const deadline = lastHeartbeat(state, node) + NODE_MONITOR_GRACE_SECONDS * 1000;
  if (ready !== 'Unknown' && now >= deadline) {
    let conditions = node.status?.conditions ?? [];
    for (const c of conditions) conditions = setCondition(conditions, { ...c, ...STATUS_UNKNOWN }, now);
    steps.push(updateStatus(node, { ...node, status: { ...node.status, conditions } }, `${name}: no heartbeat for ${NODE_MONITOR_GRACE_SECONDS}s, Ready=Unknown`));
    if (ready === 'True') steps.push(nodeNotReadyEvent(node, now, rng));
    // The taints follow on the next pass, from the updated node (one write per object per pass).
    return [...steps, ...markPodsNotReady(state, name, now, rng)];
  } else if (ready !== 'Unknown') {
    steps.push(timer(makeTimer('nodeMonitor', deadline, { node: name }), `${name} misses its heartbeat deadline unless it renews`));
  }
  const taints = desiredTaints(node, now, ready);
  if (!sameValue(taints, node.spec.taints ?? [])) {
    const why = taintsFor(ready) ? `taint ${taintsFor(ready)} (NoSchedule, NoExecute)` : 'Ready again: remove not-ready/unreachable taints';
    steps.push(update(node, { ...node, spec: { ...node.spec, taints } }, `${name}: ${why}`));
  }
  return steps;
}

function markPodsNotReady(state: ClusterState, node: string, now: SimTime, rng: Rng): Step[] {
  return state.podsOn(node).flatMap((pod) => {
    if (getCondition(pod.status?.conditions, 'Ready')?.status !== 'True') return [];
    const conditions = setCondition(pod.status?.conditions, { type: 'Ready', status: 'False' }, now);
    return [
      updateStatus(pod, { ...pod, status: { ...pod.status, conditions } }, `${pod.metadata.name} not ready: node ${node} is unreachable`),
      create(controllerEvent(pod, COMPONENT, 'Warning', 'NodeNotReady', 'Node is not ready', now, rng), `event: ${pod.metadata.name} NodeNotReady`),
    ];
  });
}

/**
 * When the taint manager evicts `pod` from a node with these NoExecute taints: now, later, or never
 * (undefined). As processPodOnNode: each taint takes the first toleration that tolerates it
 * (GetMatchingTolerations); an untolerated taint evicts now; the shortest tolerationSeconds among
 * those wins, one without seconds tolerates forever, zero or less evicts now. The clock starts when
 * the taint was added (the controller sees the taint then).
 */
export function evictionTime(pod: Pod, taints: readonly Taint[], now: SimTime): SimTime | undefined {
  let due: SimTime | undefined;
  for (const taint of taints.filter((t) => t.effect === 'NoExecute')) {
    const used = (pod.spec.tolerations ?? []).find((t) => tolerates(t, taint));
    if (used === undefined) return now;
    if (used.tolerationSeconds === undefined) continue;
    if (used.tolerationSeconds <= 0) return now;
    const at = (taint.timeAdded ? fromRFC3339(taint.timeAdded) : now) + used.tolerationSeconds * 1000;
    due = due === undefined ? at : Math.min(due, at);
  }
  return due;
}

/** The taint eviction controller's event on the pod it deletes. */
export function taintEvictionEvent(pod: Pod, now: SimTime, rng: Rng): Step {
  const message = `Marking for deletion Pod ${pod.metadata.namespace ?? 'default'}/${pod.metadata.name}`;
  return create(controllerEvent(pod, 'taint-eviction-controller', 'Normal', 'TaintManagerEviction', message, now, rng), `event: evict ${pod.metadata.name}`);
}

function evictPods(state: ClusterState, node: Node, now: SimTime, rng: Rng): Step[] {
  const taints = (node.spec.taints ?? []).filter((t) => t.effect === 'NoExecute');
  if (taints.length === 0) return [];
  const steps: Step[] = [];
  for (const pod of state.podsOn(node.metadata.name)) {
    if (pod.metadata.deletionTimestamp !== undefined) continue;
    const at = evictionTime(pod, taints, now);
    if (at === undefined) continue;
    const ns = pod.metadata.namespace ?? 'default';
    if (at > now) {
      steps.push(timer(makeTimer('tolerationExpired', at, { node: node.metadata.name, namespace: ns, pod: pod.metadata.name }), `${pod.metadata.name} tolerates the taint until then`));
      continue;
    }
    steps.push(...evictionSteps(pod, now, `${pod.metadata.name} evicted: ${node.metadata.name} has a NoExecute taint it no longer tolerates`));
    steps.push(taintEvictionEvent(pod, now, rng));
  }
  return steps;
}

const DISRUPTION_BY_TAINT: PodCondition = {
  type: 'DisruptionTarget',
  status: 'True',
  reason: 'DeletionByTaintManager',
  message: 'Taint manager: deleting due to NoExecute taint',
};

/** addConditionAndDeletePod: mark the pod DisruptionTarget (status subresource), then delete it. */
export function evictionSteps(pod: Pod, now: SimTime, reason: string): Step[] {
  const steps: Step[] = [];
  const conditions = setCondition(pod.status?.conditions, DISRUPTION_BY_TAINT, now);
  if (!sameValue(conditions, pod.status?.conditions ?? [])) {
    steps.push(updateStatus(pod, { ...pod, status: { ...pod.status, conditions } }, `${pod.metadata.name}: DisruptionTarget (DeletionByTaintManager)`));
  }
  // No resourceVersion precondition: the status write above has just changed it, and the controller's Delete sets none.
  steps.push({
    verb: 'delete',
    kind: 'Pod',
    namespace: pod.metadata.namespace ?? 'default',
    name: pod.metadata.name,
    reason,
  });
  return steps;
}

export function reconcileNodeLifecycle(state: ClusterState, now: SimTime, rng: Rng, only?: Iterable<string>): Step[] {
  const nodes = only ? [...only].map((n) => state.node(n)).filter((n): n is Node => n !== undefined) : [...state.list('Node')];
  return nodes.flatMap((node) => [...monitorNode(state, node, now, rng), ...evictPods(state, node, now, rng)]);
}
