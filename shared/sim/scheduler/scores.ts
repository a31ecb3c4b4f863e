/**
 * Score plugins of the default profile, each 0..100 per node, summed with the profile's weights:
 * TaintToleration 3, NodeAffinity 2, NodeResourcesFit (LeastAllocated) 1, BalancedAllocation 1.
 * (InterPodAffinity and PodTopologySpread scoring need preferred terms / spread constraints the game
 * does not offer; ImageLocality is left out.)
 */
import { matchesNodeSelectorTerm, toleratesTaint, type Node, type Pod } from '@shared/model';
import type { NodeUsage } from '../state';
import { allocatableOf as nodeAllocatable, nonZeroRequests, requestsOf as podRequests } from '../resources';

export const MAX_NODE_SCORE = 100;
export const SCORE_WEIGHTS = { TaintToleration: 3, NodeAffinity: 2, LeastAllocated: 1, BalancedAllocation: 1 } as const;

export interface NodeScore {
  node: Node;
  total: number;
  parts: Record<keyof typeof SCORE_WEIGHTS, number>;
}

// Resources whose allocatable is 0 are skipped, not scored (the scorers' `if allocatable == 0 { continue }`).
// Written without intermediate arrays: these run for every feasible node of every pod.

/** One resource's LeastAllocated score: (allocatable - requested) * 100 / allocatable, 0 when over. */
const leastOf = (requested: number, capacity: number): number => (requested > capacity ? 0 : Math.floor(((capacity - requested) * MAX_NODE_SCORE) / capacity));

/** (allocatable - requested) * 100 / allocatable per resource, averaged over cpu and memory; NonZero requests. */
export function leastAllocated(pod: Pod, node: Node, used: NodeUsage): number {
  const alloc = nodeAllocatable(node);
  const want = nonZeroRequests(pod);
  let sum = 0;
  let resources = 0;
  if (alloc.cpuMillis !== 0) {
    sum += leastOf(used.nonZeroCpuMillis + want.cpuMillis, alloc.cpuMillis);
    resources++;
  }
  if (alloc.memoryBytes !== 0) {
    sum += leastOf(used.nonZeroMemoryBytes + want.memoryBytes, alloc.memoryBytes);
    resources++;
  }
  return resources === 0 ? 0 : Math.floor(sum / resources);
}

/** (1 - standard deviation of the cpu and memory fractions) * 100: favours even use of both; real requests (useRequested). */
export function balancedAllocation(pod: Pod, node: Node, used: NodeUsage): number {
  const alloc = nodeAllocatable(node);
  // With one resource left the deviation is 0, as in Kubernetes.
  if (alloc.cpuMillis === 0 || alloc.memoryBytes === 0) return MAX_NODE_SCORE;
  const want = podRequests(pod);
  const cpu = Math.min(1, (used.cpuMillis + want.cpuMillis) / alloc.cpuMillis);
  const memory = Math.min(1, (used.memoryBytes + want.memoryBytes) / alloc.memoryBytes);
  return Math.floor((1 - Math.abs(cpu - memory) / 2) * MAX_NODE_SCORE);
}

/** Raw counts before normalisation: untolerated PreferNoSchedule taints, matched preferred-affinity weight. */
function intolerablePreferNoSchedule(pod: Pod, node: Node): number {
  return (node.spec.taints ?? []).filter((t) => t.effect === 'PreferNoSchedule' && !toleratesTaint(pod.spec.tolerations, t)).length;
}

function preferredAffinityWeight(pod: Pod, node: Node): number {
  const preferred = pod.spec.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
  return preferred.reduce((sum, p) => sum + (matchesNodeSelectorTerm(p.preference, node) ? p.weight : 0), 0);
}

/** DefaultNormalizeScore: scale to 0..100 by the highest raw score; `reverse` for "fewer is better". */
function normalize(raw: number[], reverse: boolean): number[] {
  const max = Math.max(0, ...raw);
  return raw.map((r) => {
    if (max === 0) return reverse ? MAX_NODE_SCORE : 0;
    const scaled = Math.floor((MAX_NODE_SCORE * r) / max);
    return reverse ? MAX_NODE_SCORE - scaled : scaled;
  });
}

export function scoreNodes(pod: Pod, feasible: readonly { node: Node; used: NodeUsage }[]): NodeScore[] {
  const taints = normalize(feasible.map((f) => intolerablePreferNoSchedule(pod, f.node)), true);
  const affinity = normalize(feasible.map((f) => preferredAffinityWeight(pod, f.node)), false);
  return feasible.map((f, i) => {
    const parts = {
      TaintToleration: taints[i] ?? 0,
      NodeAffinity: affinity[i] ?? 0,
      LeastAllocated: leastAllocated(pod, f.node, f.used),
      BalancedAllocation: balancedAllocation(pod, f.node, f.used),
    };
    const total =
      parts.TaintToleration * SCORE_WEIGHTS.TaintToleration +
      parts.NodeAffinity * SCORE_WEIGHTS.NodeAffinity +
      parts.LeastAllocated * SCORE_WEIGHTS.LeastAllocated +
      parts.BalancedAllocation * SCORE_WEIGHTS.BalancedAllocation;
    return { node: f.node, total, parts };
  });
}
