import type { KubeObject, Pod } from '@shared/model';
import { ClusterState, checkBinding, type BindingCheck } from '@shared/sim';

/**
 * What kube-scheduler's filters say about each node for `pod`, computed with the same code the
 * API server checks a bind with: a hint on the scheduler's screen before the student decides.
 * The API server's answer still decides (the state may change in between).
 */
export function bindingHints(objects: Iterable<KubeObject>, pod: Pod, nodes: readonly string[]): Map<string, BindingCheck> {
  const state = ClusterState.from(objects);
  return new Map(nodes.map((node) => [node, checkBinding(state, pod, node)]));
}
