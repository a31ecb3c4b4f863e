import type { Pod } from '@shared/model';
import { checkBinding, type BindingCheck, type ClusterState } from '@shared/sim';

/**
 * What kube-scheduler's filters say about each node for `pod`, computed with the same code the
 * rulebook checks a bind with: a hint on the scheduler's node cards beside its moves.
 */
export function bindingHints(state: ClusterState, pod: Pod, nodes: readonly string[]): Map<string, BindingCheck> {
  return new Map(nodes.map((node) => [node, checkBinding(state, pod, node)]));
}
