import { isPodActive, nodeAllocatable, podRequests, type Node, type NodeResources, type Pod } from '@shared/model';

export interface NodeUsage {
  allocatable: NodeResources;
  /** What the pods bound to the node request: what NodeResourcesFit subtracts from allocatable. */
  requested: NodeResources;
}

/** Allocatable vs requested on a node, counting the active pods bound to it (as the scheduler's cache does). */
export function nodeUsage(node: Node, pods: readonly Pod[]): NodeUsage {
  const requested: NodeResources = { cpuMillis: 0, memoryBytes: 0, pods: 0 };
  for (const pod of pods) {
    if (pod.spec.nodeName !== node.metadata.name || !isPodActive(pod)) continue;
    const r = podRequests(pod);
    requested.cpuMillis += r.cpuMillis;
    requested.memoryBytes += r.memoryBytes;
    requested.pods += 1;
  }
  return { allocatable: nodeAllocatable(node), requested };
}

/** Labels worth showing on a node card (the well-known hostname/os/arch ones are noise here). */
export function interestingLabels(node: Node): [string, string][] {
  const hidden = new Set(['kubernetes.io/hostname', 'kubernetes.io/os', 'kubernetes.io/arch', 'beta.kubernetes.io/os', 'beta.kubernetes.io/arch']);
  return Object.entries(node.metadata.labels ?? {}).filter(([k]) => !hidden.has(k));
}

export function taintText(taint: { key: string; value?: string | undefined; effect: string }): string {
  return `${taint.key}${taint.value ? `=${taint.value}` : ''}:${taint.effect}`;
}
