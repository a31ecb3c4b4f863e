import { parseRole, type Role } from '@shared/protocol';

/** A role in words, and what its player does (shown in the lobby and on the role view). */
export function roleTitle(role: Role | string): string {
  const parsed = parseRole(role);
  if (!parsed) return role;
  switch (parsed.component) {
    case 'scheduler':
      return 'Scheduler';
    case 'controller-manager':
      return 'Controller manager';
    case 'kube-proxy':
      return `kube-proxy of ${parsed.node}`;
    case 'kubelet':
      return `Kubelet of ${parsed.node}`;
    case 'container-runtime':
      return `Container runtime of ${parsed.node}`;
  }
}

export function roleDuty(role: Role | string): string {
  switch (parseRole(role)?.component) {
    case 'scheduler':
      return 'Pick a node for every new pod: it must have room for what the pod requests and accept it (taints, selectors).';
    case 'controller-manager':
      return 'Compare what was asked for with what exists, and fix the difference: replicas, node health, service endpoints.';
    case 'kube-proxy':
      return 'Keep your node’s routing rules in step with the service endpoints, so each request that starts on your node reaches a ready pod.';
    case 'kubelet':
      return 'Run the pods bound to your node: have the image pulled, start containers, report when they are ready. Its heartbeat (the node Lease) beats by itself while you are here.';
    case 'container-runtime':
      return 'Do what your kubelet asks over CRI: pull images, create, start and stop containers, and answer with the result.';
    default:
      return '';
  }
}
