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
/** The node's kubelet cannot reach the API server (a network partition); its containers keep running. */
export const NODE_PARTITIONED = 'clusterplay.dev/partitioned';
/** Every image pull on the node takes this many more seconds (a slow registry or link). */
export const SLOW_IMAGE_PULLS = 'clusterplay.dev/slow-image-pulls';
/**
 * The node's kube-proxy process is stopped: it programs nothing, but the rules it programmed stay in
 * the node's kernel, so traffic from the node keeps following them (stale) until it syncs again.
 */
export const KUBE_PROXY_STOPPED = 'clusterplay.dev/kube-proxy-stopped';

export function kubeletStopped(state: ClusterState, node: string): boolean {
  return state.node(node)?.metadata.annotations?.[KUBELET_STOPPED] === 'true';
}

/** No kube-proxy runs on the node: its own process is stopped, or the whole machine is. */
export function kubeProxyStopped(state: ClusterState, node: string): boolean {
  return kubeletStopped(state, node) || state.node(node)?.metadata.annotations?.[KUBE_PROXY_STOPPED] === 'true';
}

export const kubeProxyStoppedMessage = (node: string): string =>
  `kube-proxy on ${node} is stopped: the rules it last programmed stay in place (stale) and it syncs nothing until the instructor starts it again`;

export function manualHeartbeat(state: ClusterState, node: string): boolean {
  return state.node(node)?.metadata.annotations?.[HEARTBEAT_MODE] === 'manual';
}

export const stoppedMessage = (node: string): string =>
  `the kubelet on ${node} is stopped (the machine is down): it sends no heartbeat and runs nothing until the instructor starts it again`;

export function partitioned(state: ClusterState, node: string): boolean {
  return state.node(node)?.metadata.annotations?.[NODE_PARTITIONED] === 'true';
}

export function slowPullSeconds(state: ClusterState, node: string): number {
  const extra = Number(state.node(node)?.metadata.annotations?.[SLOW_IMAGE_PULLS] ?? 0);
  return Number.isFinite(extra) && extra > 0 ? extra : 0;
}

/** What the kubelet's client gets when the network between its node and the API server is cut. */
export const partitionedMessage = (node: string): string =>
  `Get "https://kube-apiserver:6443/api/v1/nodes/${node}": dial tcp 10.96.0.1:443: i/o timeout (${node} is cut off from the API server)`;
