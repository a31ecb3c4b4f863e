/**
 * The FailedScheduling message exactly as Kubernetes writes it (framework.FitError.Error plus the
 * DefaultPreemption post-filter): counts per reason, sorted as strings.
 */
import type { FilterFailure } from './filters';

export const PREEMPTION_NOT_HELPFUL = 'Preemption is not helpful for scheduling';
export const NO_PREEMPTION_VICTIMS = 'No preemption victims found for incoming pod';
export const NO_NODES_AVAILABLE = 'no nodes available to schedule pods';

function histogram(reasons: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const r of reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
  return [...counts].map(([reason, n]) => `${n} ${reason}`).sort().join(', ');
}

/**
 * `0/3 nodes are available: 1 node(s) had untolerated taint {...}, 2 Insufficient cpu. preemption: 0/3 nodes
 * are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.`
 * Without `postFilter` (a student's bind checked against one node) the preemption part is the one
 * of pods that have no lower-priority pod to evict; the scheduling cycle passes DefaultPreemption's.
 */
export function failedSchedulingMessage(failures: readonly FilterFailure[], postFilter?: string): string {
  const n = failures.length;
  if (n === 0) return NO_NODES_AVAILABLE;
  const fit = `0/${n} nodes are available: ${histogram(failures.flatMap((f) => f.reasons))}.`;
  // The PostFilter's own message when it ran: empty when it nominated a node.
  if (postFilter !== undefined) return postFilter ? `${fit} ${postFilter}` : fit;
  const preemption = histogram(failures.map((f) => (f.unresolvable ? PREEMPTION_NOT_HELPFUL : NO_PREEMPTION_VICTIMS)));
  return `${fit} preemption: 0/${n} nodes are available: ${preemption}.`;
}
