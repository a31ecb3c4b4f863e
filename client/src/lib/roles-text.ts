import { listInWords, parseRole, type Role } from '@shared/protocol';

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

/** What a kube-proxy's player reads when the cluster has no Service (`replay`: told of the player). */
export function noServiceText(replay = false): string {
  return replay
    ? 'No Service in this cluster, so nothing for its player to do: kube-proxy programs rules only for Services.'
    : 'No Service in this cluster, so nothing for you to do: kube-proxy programs rules only for Services, and requests are sent only to Services. You will have work once a Service is created.';
}

/**
 * The students who play a kube-proxy with nothing to do: kube-proxy programs rules only for
 * Services (with a cluster IP), so in a cluster without one its player waits the whole round. One
 * sentence for the instructor, or null when every kube-proxy player has a Service to route.
 */
export function idleProxiesText(students: readonly { name: string; role: Role | null }[], proxiedServices: number): string | null {
  if (proxiedServices > 0) return null;
  const idle = students.filter((s) => s.role !== null && parseRole(s.role)?.component === 'kube-proxy');
  if (!idle.length) return null;
  const names = idle.map((s) => `${s.name} (${roleTitle(s.role ?? '')})`);
  const who = listInWords(names);
  return `No Service in this cluster: ${who} ${idle.length > 1 ? 'have' : 'has'} nothing to do, as kube-proxy programs rules only for Services. Give ${idle.length > 1 ? 'them other roles' : 'them another role'}, or apply a Service.`;
}

/**
 * The container runtime's CRI call table when it lists no call. The kubelet removes a finished call
 * once it has read the answer, so an empty table after `sent` calls is not "no call yet".
 */
export function noCriCallText(sent: number): string {
  if (sent === 0) return 'No CRI call yet: they arrive when the kubelet asks for something.';
  return `No CRI call open: the kubelet has read the answer${sent === 1 ? ' to the one call' : `s to all ${sent} calls`} it sent. The next arrives when it asks for something.`;
}
