/**
 * Pod requests and node allocatable, parsed once per object: quantities are exact BigInt fractions,
 * too slow to re-parse on every filter. Objects in the state are never mutated, so a WeakMap is safe.
 */
import { containerNonZeroRequests, nodeAllocatable, podRequests, podScalarRequests, type Node, type NodeResources, type Pod, type ResourceAmounts } from '@shared/model';
import { DEFAULT_MEMORY_REQUEST, DEFAULT_MILLI_CPU_REQUEST } from './defaults';

const requests = new WeakMap<Pod['spec'], ResourceAmounts>();
const nonZero = new WeakMap<Pod['spec'], ResourceAmounts>();
const scalar = new WeakMap<Pod['spec'], Readonly<Record<string, number>>>();
const allocatable = new WeakMap<NonNullable<Node['status']> | Node, NodeResources>();

export function requestsOf(pod: Pod): ResourceAmounts {
  let r = requests.get(pod.spec);
  if (!r) requests.set(pod.spec, (r = podRequests(pod)));
  return r;
}

/** Requests with the scheduler's defaults for what a container leaves unset (NonZeroRequested, used for scores). */
export function nonZeroRequests(pod: Pod): ResourceAmounts {
  let r = nonZero.get(pod.spec);
  if (!r) {
    let cpu = 0;
    let memory = 0;
    for (const c of pod.spec.containers) {
      const one = containerNonZeroRequests(c, { cpuMillis: DEFAULT_MILLI_CPU_REQUEST, memoryBytes: DEFAULT_MEMORY_REQUEST });
      cpu += one.cpuMillis;
      memory += one.memoryBytes;
    }
    nonZero.set(pod.spec, (r = { cpuMillis: cpu, memoryBytes: memory }));
  }
  return r;
}

/** The other resources (extended, hugepages…) the pod asks for, only those it asks a positive amount of. */
export function scalarRequestsOf(pod: Pod): Readonly<Record<string, number>> {
  let r = scalar.get(pod.spec);
  if (!r) {
    const all = podScalarRequests(pod);
    r = Object.fromEntries(Object.entries(all).filter(([, n]) => n > 0));
    scalar.set(pod.spec, r);
  }
  return r;
}

export function allocatableOf(node: Node): NodeResources {
  const key = node.status ?? node;
  let r = allocatable.get(key);
  if (!r) allocatable.set(key, (r = nodeAllocatable(node)));
  return r;
}
