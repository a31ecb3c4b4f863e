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

/** The resources NodeResourcesFit counts besides cpu and memory: ephemeral-storage, hugepages-*, extended resources. */
function isScalar(name: string): boolean {
  return name !== 'cpu' && name !== 'memory' && name !== 'pods';
}

function scalarAmounts(list: ResourceList | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, q] of Object.entries(list ?? {})) if (isScalar(name)) out[name] = quantityValue(q);
  return out;
}

/** A pod's requests of the other resources, summed over its containers (a limit stands for a missing request). */
export function podScalarRequests(pod: Pod): Record<string, number> {
  const total: Record<string, number> = {};
  for (const c of pod.spec.containers) {
    for (const [name, n] of Object.entries(scalarAmounts({ ...c.resources?.limits, ...c.resources?.requests }))) total[name] = (total[name] ?? 0) + n;
  }
  return total;
}

/** The node's allocatable amounts of the other resources (falling back to capacity). */
export function nodeScalarAllocatable(node: Node): Record<string, number> {
  return scalarAmounts(node.status?.allocatable ?? node.status?.capacity);
}

/**
 * What a container asks for as the scheduler's scores count it (GetNonzeroRequestForResource): a
 * resource that is not set counts `defaults`; one set to zero stays zero.
 */
export function containerNonZeroRequests(c: Pod['spec']['containers'][number], defaults: ResourceAmounts): ResourceAmounts {
  const merged: ResourceList = { ...c.resources?.limits, ...c.resources?.requests };
  return {
    cpuMillis: merged['cpu'] === undefined ? defaults.cpuMillis : cpuMillis(merged['cpu']),
    memoryBytes: merged['memory'] === undefined ? defaults.memoryBytes : memoryBytes(merged['memory']),
  };
}
