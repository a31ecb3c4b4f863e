/**
 * DefaultPreemption (kube-scheduler's PostFilter): when a pod fits nowhere, find the nodes where
 * evicting lower-priority pods would let it fit, the fewest and least important victims on each
 * (SelectVictimsOnNode: remove every lower-priority pod, then reprieve them most important first
 * while the pod still fits), pick one node (pickOneNodeForPreemption) and evict its victims; the
 * pod is nominated to that node and bound once they are gone. PodDisruptionBudgets are not modelled.
 * Only resources are re-checked with the victims removed (the other filters see the node as it is).
 */
import { fromRFC3339, setCondition, type Node, type Pod, type PodCondition, type SimTime } from '@shared/model';
import { updateStatus, type ApiRequest, type Step } from '../requests';
import { nonZeroRequests, requestsOf } from '../resources';
import { holdsResources, type ClusterState, type NodeUsage } from '../state';
import { filterNode, type FilterFailure } from './filters';

export const NOT_ELIGIBLE_POLICY_NEVER = 'not eligible due to preemptionPolicy=Never.';
export const NOT_ELIGIBLE_TERMINATING = 'not eligible due to a terminating pod on the nominated node.';
export const NO_VICTIMS = 'No preemption victims found for incoming pod';
export const NOT_HELPFUL = 'Preemption is not helpful for scheduling';

export interface Candidate {
  node: string;
  /** Most important first. */
  victims: Pod[];
}

export type Preemption =
  | { kind: 'candidate'; candidate: Candidate }
  /** The PostFilter's message, appended to the FitError's (`preemption: 0/3 nodes are available: ...` or not eligible). */
  | { kind: 'none'; message: string };

export const podPriority = (p: Pod): number => p.spec.priority ?? 0;
const startTime = (p: Pod): number => fromRFC3339(p.status?.startTime ?? p.metadata.creationTimestamp ?? '1970-01-01T00:00:00Z');

/** MoreImportantPod: higher priority first, then the one that started earlier. */
export function moreImportant(a: Pod, b: Pod): number {
  return podPriority(b) - podPriority(a) || startTime(a) - startTime(b);
}

function change(usage: NodeUsage, pod: Pod, sign: 1 | -1): NodeUsage {
  const r = requestsOf(pod);
  const nz = nonZeroRequests(pod);
  return {
    cpuMillis: usage.cpuMillis + sign * r.cpuMillis,
    memoryBytes: usage.memoryBytes + sign * r.memoryBytes,
    pods: usage.pods + sign,
    nonZeroCpuMillis: usage.nonZeroCpuMillis + sign * nz.cpuMillis,
    nonZeroMemoryBytes: usage.nonZeroMemoryBytes + sign * nz.memoryBytes,
  };
}

/** The victims on `node` (most important first), or the reason the node is no candidate. */
export function selectVictimsOnNode(state: ClusterState, preemptor: Pod, node: Node): { victims: Pod[] } | { reasons: string[] } {
  const potential = state
    .podsOn(node.metadata.name)
    .filter((p) => holdsResources(p) && podPriority(p) < podPriority(preemptor))
    .sort(moreImportant);
  if (potential.length === 0) return { reasons: [NO_VICTIMS] };
  let usage = potential.reduce((u, p) => change(u, p, -1), state.usageOf(node.metadata.name));
  const fits = (u: NodeUsage): FilterFailure | undefined => filterNode(state, preemptor, node, { usage: u, pods: [], antiAffinityPods: [] });
  const failure = fits(usage);
  if (failure) return { reasons: failure.reasons };
  const victims: Pod[] = [];
  for (const p of potential) {
    const back = change(usage, p, 1);
    if (fits(back)) victims.push(p);
    else usage = back;
  }
  return { victims };
}

/**
 * pickOneNodeForPreemption: the fewest PDB violations (none here), then the lowest highest victim
 * priority, the lowest sum of priorities, the fewest victims, the latest start among the highest
 * priority victims, then the first candidate.
 */
export function pickOneNodeForPreemption(candidates: readonly Candidate[]): Candidate | undefined {
  const highest = (c: Candidate): number => podPriority(c.victims[0] as Pod);
  // Each priority shifted by MaxInt32 + 1 so negative priorities still add up to a positive sum.
  const sum = (c: Candidate): number => c.victims.reduce((s, p) => s + podPriority(p) + 2 ** 31, 0);
  const earliestOfHighest = (c: Candidate): number => Math.min(...c.victims.filter((p) => podPriority(p) === highest(c)).map(startTime));
  const steps: ((c: Candidate) => number)[] = [highest, sum, (c) => c.victims.length, (c) => -earliestOfHighest(c)];
  let pool = [...candidates];
  for (const score of steps) {
    if (pool.length <= 1) break;
    const best = Math.min(...pool.map(score));
    pool = pool.filter((c) => score(c) === best);
  }
  return pool[0];
}

function histogram(reasons: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const r of reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
  return [...counts].map(([reason, n]) => `${n} ${reason}`).sort().join(', ');
}

/** PodEligibleToPreemptOthers: why the pod may not preempt now, if it may not. */
function notEligible(state: ClusterState, pod: Pod): string | undefined {
  if (pod.spec.preemptionPolicy === 'Never') return NOT_ELIGIBLE_POLICY_NEVER;
  const nominated = pod.status?.nominatedNodeName;
  if (nominated !== undefined && state.podsOn(nominated).some((p) => p.metadata.deletionTimestamp !== undefined && podPriority(p) < podPriority(pod))) return NOT_ELIGIBLE_TERMINATING;
  return undefined;
}

/** The PostFilter for a pod that failed every node's filters (`failures`, one per node). */
export function preempt(state: ClusterState, pod: Pod, failures: readonly { node: string; failure: FilterFailure }[]): Preemption {
  const reason = notEligible(state, pod);
  if (reason) return { kind: 'none', message: reason };
  const candidates: Candidate[] = [];
  const outcomes: string[] = [];
  for (const { node, failure } of failures) {
    const n = state.node(node);
    if (!n || failure.unresolvable) {
      outcomes.push(NOT_HELPFUL);
      continue;
    }
    const picked = selectVictimsOnNode(state, pod, n);
    if ('victims' in picked && picked.victims.length > 0) candidates.push({ node, victims: picked.victims });
    else outcomes.push(...('reasons' in picked ? picked.reasons : [NO_VICTIMS]));
  }
  const chosen = pickOneNodeForPreemption(candidates);
  if (chosen) return { kind: 'candidate', candidate: chosen };
  return { kind: 'none', message: `preemption: 0/${failures.length} nodes are available: ${histogram(outcomes)}.` };
}

/** The condition the scheduler puts on a victim before deleting it. */
export function preemptionCondition(pod: Pod): Omit<PodCondition, 'lastTransitionTime'> {
  return { type: 'DisruptionTarget', status: 'True', reason: 'PreemptionByScheduler', message: `${pod.spec.schedulerName ?? 'default-scheduler'}: preempting to accommodate a higher priority pod` };
}

export type EventFor = (pod: Pod, type: 'Normal' | 'Warning', reason: string, message: string) => Step;

/**
 * prepareCandidate: each victim gets DisruptionTarget, is deleted (gracefully) and gets the
 * Preempted event; then the preemptor is nominated to the node.
 */
export function preemptionSteps(preemptor: Pod, candidate: Candidate, now: SimTime, event: EventFor): Step[] {
  const steps: Step[] = [];
  const uid = preemptor.metadata.uid ?? '';
  for (const victim of candidate.victims) {
    const name = victim.metadata.name;
    const conditions = setCondition(victim.status?.conditions, preemptionCondition(preemptor), now);
    steps.push(updateStatus(victim, { ...victim, status: { ...victim.status, conditions } }, `${name}: DisruptionTarget (PreemptionByScheduler)`));
    const del: ApiRequest = { verb: 'delete', kind: 'Pod', namespace: victim.metadata.namespace ?? 'default', name, reason: `preempt ${name} (priority ${podPriority(victim)}) for ${preemptor.metadata.name} (priority ${podPriority(preemptor)}) on ${candidate.node}` };
    steps.push(del, event(victim, 'Normal', 'Preempted', `Preempted by pod ${uid} on node ${candidate.node}`));
  }
  return steps;
}
