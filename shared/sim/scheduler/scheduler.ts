/**
 * kube-scheduler: for each pod waiting in the queue (highest priority, then oldest first), run the
 * filters on the nodes, score the feasible ones and bind to the best (ties broken by the seeded RNG),
 * or report FailedScheduling with Kubernetes' message. Pods placed earlier in the same pass count
 * on their node (the scheduler cache's "assumed" pods), so one pass never overfills a node.
 */
import {
  setCondition,
  toRFC3339,
  type Event,
  type Node,
  type Pod,
  type SimTime,
} from '@shared/model';
import { create, updateStatus, type ApiRequest, type Step } from '../requests';
import type { ClusterState, NodeUsage } from '../state';
import { nonZeroRequests, requestsOf as podRequests } from '../resources';
import { randomInt, randomString, type Rng } from '../rng';
import { affinityCounts, filterNode, requiredAntiAffinityTerms, type Assumed, type FilterFailure } from './filters';
import { failedSchedulingMessage } from './message';
import { preempt, preemptionSteps, type Preemption } from './preemption';
import { scoreNodes, type NodeScore } from './scores';

export const SCHEDULER_NAME = 'default-scheduler';

export type BindingCheck =
  | { ok: true; explanation: string }
  | { ok: false; reasons: string[]; message: string; explanation: string };

/** Is `nodeName` a valid choice for `pod` right now? What a student's `bind` is checked against. */
export function checkBinding(state: ClusterState, pod: Pod, nodeName: string): BindingCheck {
  const name = pod.metadata.name;
  if (pod.spec.nodeName !== undefined) {
    const message = `pod ${name} is already assigned to node ${JSON.stringify(pod.spec.nodeName)}`;
    return { ok: false, reasons: [message], message, explanation: message };
  }
  const node = state.node(nodeName);
  if (!node) {
    const message = `nodes ${JSON.stringify(nodeName)} not found`;
    return { ok: false, reasons: [message], message, explanation: message };
  }
  const failure = filterNode(state, pod, node);
  if (!failure) return { ok: true, explanation: `${nodeName} passes every filter for ${name}` };
  return { ok: false, reasons: failure.reasons, message: failedSchedulingMessage([failure]), explanation: `${nodeName} skipped: ${failure.detail}` };
}

/** percentageOfNodesToScore (adaptive): stop filtering once this many feasible nodes are found. */
export function numFeasibleNodesToFind(nodes: number): number {
  if (nodes < 100) return nodes;
  const percentage = Math.max(5, 50 - Math.floor(nodes / 125));
  return Math.max(100, Math.floor((nodes * percentage) / 100));
}

export interface ScheduleResult {
  node?: Node;
  /** Every node that failed a filter, with why. */
  failures: { node: string; failure: FilterFailure }[];
  scores: NodeScore[];
  /** FailedScheduling message when no node fits. */
  message?: string;
  /** DefaultPreemption's outcome when no node fits: a node and the pods to evict there, or why not. */
  preemption?: Preemption;
  explanation: string;
}

function withPod(usage: NodeUsage, pod: Pod): NodeUsage {
  const r = podRequests(pod);
  const nz = nonZeroRequests(pod);
  return {
    cpuMillis: usage.cpuMillis + r.cpuMillis,
    memoryBytes: usage.memoryBytes + r.memoryBytes,
    pods: usage.pods + 1,
    nonZeroCpuMillis: usage.nonZeroCpuMillis + nz.cpuMillis,
    nonZeroMemoryBytes: usage.nonZeroMemoryBytes + nz.memoryBytes,
  };
}

/** One scheduling cycle for one pod. `nodes` in a stable order; `assumed` holds this pass's earlier placements. */
export function schedulePod(
  state: ClusterState,
  pod: Pod,
  nodes: readonly Node[],
  rng: Rng,
  assumed: ReadonlyMap<string, Assumed> = new Map(),
): ScheduleResult {
  const failures: { node: string; failure: FilterFailure }[] = [];
  const feasible: { node: Node; used: NodeUsage }[] = [];
  const wanted = numFeasibleNodesToFind(nodes.length);
  const start = nodes.length === 0 ? 0 : randomInt(rng, nodes.length);
  const counts = affinityCounts(state, pod, assumed.values());
  for (let i = 0; i < nodes.length && feasible.length < wanted; i++) {
    const node = nodes[(start + i) % nodes.length] as Node;
    const extra = assumed.get(node.metadata.name);
    const failure = filterNode(state, pod, node, extra, counts);
    if (failure) failures.push({ node: node.metadata.name, failure });
    else feasible.push({ node, used: extra ? extra.usage : state.usageOf(node.metadata.name) });
  }
  const name = pod.metadata.name;
  if (feasible.length === 0) {
    const preemption = nodes.length === 0 ? undefined : preempt(state, pod, failures);
    const message = preemption ? failedSchedulingMessage(failures.map((f) => f.failure), preemption.kind === 'none' ? preemption.message : '') : failedSchedulingMessage([]);
    const skipped = failures.map((f) => `${f.node} skipped: ${f.failure.detail}`).join('; ');
    const victims = preemption?.kind === 'candidate' ? `; preempt ${preemption.candidate.victims.map((v) => `${v.metadata.name} (priority ${v.spec.priority ?? 0})`).join(', ')} on ${preemption.candidate.node}` : '';
    return { failures, scores: [], message, explanation: `${name} fits nowhere${skipped ? ` (${skipped})` : ''}${victims}`, ...(preemption ? { preemption } : {}) };
  }
  const scores = scoreNodes(pod, feasible);
  // selectHost: reservoir sampling among the best scores, so ties go to a seeded random node.
  let best = scores[0] as NodeScore;
  let ties = 1;
  for (const s of scores.slice(1)) {
    if (s.total > best.total) {
      best = s;
      ties = 1;
    } else if (s.total === best.total && randomInt(rng, ++ties) === 0) best = s;
  }
  const why = `score ${best.total} (least allocated ${best.parts.LeastAllocated}, balanced ${best.parts.BalancedAllocation})`;
  const skipped = failures.length ? `; ${failures.length} node(s) skipped, e.g. ${failures[0]?.node}: ${failures[0]?.failure.detail}` : '';
  return { node: best.node, failures, scores, explanation: `bind ${name} to ${best.node.metadata.name}: ${why}${skipped}` };
}

export function sortedNodes(state: ClusterState): Node[] {
  return [...state.list('Node')].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
}

/** The queue order of PrioritySort: priority, then creation time, then name (the state keeps it sorted). */
export function schedulingQueue(state: ClusterState): readonly Pod[] {
  return state.schedulingQueue();
}

export function bindRequest(pod: Pod, node: string, reason: string): ApiRequest {
  const req: ApiRequest = { verb: 'bind', kind: 'Pod', namespace: pod.metadata.namespace ?? 'default', name: pod.metadata.name, node, reason };
  if (pod.metadata.resourceVersion !== undefined) req.resourceVersion = pod.metadata.resourceVersion;
  return req;
}

export function schedulerEvent(pod: Pod, type: 'Normal' | 'Warning', reason: string, message: string, now: SimTime, rng: Rng): Event {
  const ns = pod.metadata.namespace ?? 'default';
  const at = toRFC3339(now);
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `${pod.metadata.name}.${randomString(rng, '0123456789abcdef', 16)}`, namespace: ns },
    involvedObject: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata.name, namespace: ns, ...(pod.metadata.uid ? { uid: pod.metadata.uid } : {}) },
    reason,
    message,
    type,
    source: { component: SCHEDULER_NAME },
    firstTimestamp: at,
    lastTimestamp: at,
    count: 1,
    reportingComponent: SCHEDULER_NAME,
  };
}

/** A successful scheduling cycle (the bot's or a student's): the Binding and the Scheduled event. */
export function bindSteps(pod: Pod, node: string, reason: string, now: SimTime, rng: Rng): Step[] {
  const message = `Successfully assigned ${pod.metadata.namespace ?? 'default'}/${pod.metadata.name} to ${node}`;
  return [bindRequest(pod, node, reason), create(schedulerEvent(pod, 'Normal', 'Scheduled', message, now, rng), `event: ${pod.metadata.name} scheduled`)];
}

/** Steps for one pod's decision: bind + Scheduled event, or (when the message changed) status + FailedScheduling. */
export function decisionSteps(pod: Pod, result: ScheduleResult, now: SimTime, rng: Rng): Step[] {
  if (result.node) return bindSteps(pod, result.node.metadata.name, result.explanation, now, rng);
  const message = result.message ?? '';
  if (result.preemption?.kind === 'candidate') {
    const { candidate } = result.preemption;
    const event = (p: Pod, type: 'Normal' | 'Warning', reason: string, text: string): Step => create(schedulerEvent(p, type, reason, text, now, rng), `event: ${p.metadata.name} ${reason}: ${text}`);
    const conditions = setCondition(pod.status?.conditions, { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message }, now);
    return [
      ...preemptionSteps(pod, candidate, now, event),
      updateStatus(pod, { ...pod, status: { ...pod.status, phase: 'Pending', conditions, nominatedNodeName: candidate.node } }, `${pod.metadata.name} nominated to ${candidate.node}`),
      event(pod, 'Warning', 'FailedScheduling', message),
    ];
  }
  const current = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
  // Report once per distinct reason, as the condition already tells everyone watching.
  if (current?.status === 'False' && current.message === message) return [];
  const conditions = setCondition(pod.status?.conditions, { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message }, now);
  return [
    updateStatus(pod, { ...pod, status: { ...pod.status, phase: 'Pending', conditions } }, result.explanation),
    create(schedulerEvent(pod, 'Warning', 'FailedScheduling', message, now, rng), `event: ${message}`),
  ];
}

/** One pass over the scheduling queue. */
export function reconcileScheduler(state: ClusterState, now: SimTime, rng: Rng): Step[] {
  const queue = schedulingQueue(state);
  if (queue.length === 0) return [];
  const nodes = sortedNodes(state);
  const assumed = new Map<string, Assumed>();
  const steps: Step[] = [];
  for (const pod of queue) {
    const result = schedulePod(state, pod, nodes, rng, assumed);
    if (result.node) {
      const name = result.node.metadata.name;
      const prior = assumed.get(name) ?? { usage: state.usageOf(name), pods: [], antiAffinityPods: [] };
      const placed = { ...pod, spec: { ...pod.spec, nodeName: name } };
      prior.pods.push(placed);
      if (requiredAntiAffinityTerms(pod).length > 0) prior.antiAffinityPods.push(placed);
      assumed.set(name, { ...prior, usage: withPod(prior.usage, pod) });
    }
    steps.push(...decisionSteps(pod, result, now, rng));
  }
  return steps;
}
