/** Resource arithmetic on objects: what a pod requests, what a node offers. */
import type { Node } from './node';
import type { Pod } from './pod';
import type { ResourceList } from './schemas-common';
import { cpuMillis, memoryBytes, quantityValue } from './quantity';

export interface ResourceAmounts {
  cpuMillis: number;
  memoryBytes: number;
}

export interface NodeResources extends ResourceAmounts {
  pods: number;
}

function amounts(list: ResourceList | undefined): ResourceAmounts {
  return {
    cpuMillis: list?.['cpu'] === undefined ? 0 : cpuMillis(list['cpu']),
    memoryBytes: list?.['memory'] === undefined ? 0 : memoryBytes(list['memory']),
  };
}

/**
 * The sum of the containers' requests (what NodeResourcesFit counts). A container with a limit
 * but no request counts its limit, as Kubernetes defaulting would have copied it.
 */
export function podRequests(pod: Pod): ResourceAmounts {
  let total: ResourceAmounts = { cpuMillis: 0, memoryBytes: 0 };
  for (const c of pod.spec.containers) {
    const merged: ResourceList = { ...c.resources?.limits, ...c.resources?.requests };
    total = addResources(total, amounts(merged));
  }
  return total;
}

/** status.allocatable (falling back to capacity): cpu, memory and the pod count. */
export function nodeAllocatable(node: Node): NodeResources {
  const list = node.status?.allocatable ?? node.status?.capacity;
  return { ...amounts(list), pods: list?.['pods'] === undefined ? 0 : quantityValue(list['pods']) };
}

export function addResources(a: ResourceAmounts, b: ResourceAmounts): ResourceAmounts {
  return { cpuMillis: a.cpuMillis + b.cpuMillis, memoryBytes: a.memoryBytes + b.memoryBytes };
}

export function subtractResources(a: ResourceAmounts, b: ResourceAmounts): ResourceAmounts {
  return { cpuMillis: a.cpuMillis - b.cpuMillis, memoryBytes: a.memoryBytes - b.memoryBytes };
}
