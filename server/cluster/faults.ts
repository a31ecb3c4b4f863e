/**
 * A stopped kubelet (the instructor's fault: the machine is gone) is marked on its Node, so every
 * process and every watcher sees it: `clusterplay.dev/kubelet-stopped: "true"`. While it is set the
 * node's kubelet and container runtime do nothing — no bot moves, no student moves, no timers of
 * theirs — and, with no heartbeat, the node lifecycle controller marks the node Unknown.
 */
import type { ClusterState } from '@shared/sim';

export const KUBELET_STOPPED = 'clusterplay.dev/kubelet-stopped';

export function kubeletStopped(state: ClusterState, node: string): boolean {
  return state.node(node)?.metadata.annotations?.[KUBELET_STOPPED] === 'true';
}

export const stoppedMessage = (node: string): string =>
  `the kubelet on ${node} is stopped (the machine is down): it sends no heartbeat and runs nothing until the instructor starts it again`;
