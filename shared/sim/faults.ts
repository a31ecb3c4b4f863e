/**
 * Instructor faults and drills, marked on the Node so every process and every watcher sees them.
 * A stopped kubelet (the machine is gone): `clusterplay.dev/kubelet-stopped: "true"`; while it is
 * set the node's kubelet and container runtime do nothing and, with no heartbeat, the node
 * lifecycle controller marks the node Unknown. Manual heartbeats (a drill):
 * `clusterplay.dev/heartbeat: manual`; the kubelet's student renews the Lease by hand.
 */
import type { ClusterState } from './state';

export const KUBELET_STOPPED = 'clusterplay.dev/kubelet-stopped';
export const HEARTBEAT_MODE = 'clusterplay.dev/heartbeat';

export function kubeletStopped(state: ClusterState, node: string): boolean {
  return state.node(node)?.metadata.annotations?.[KUBELET_STOPPED] === 'true';
}

export function manualHeartbeat(state: ClusterState, node: string): boolean {
  return state.node(node)?.metadata.annotations?.[HEARTBEAT_MODE] === 'manual';
}

export const stoppedMessage = (node: string): string =>
  `the kubelet on ${node} is stopped (the machine is down): it sends no heartbeat and runs nothing until the instructor starts it again`;
