/**
 * Kubelet admission: a pod bound to the node must fit in what is left after the pods already
 * admitted there; otherwise it is rejected (phase Failed, reason `OutOfcpu`, ...) as the kubelet does.
 */
import type { Node, Pod } from '@shared/model';
import { allocatableOf as nodeAllocatable, requestsOf as podRequests } from '../resources';

export interface Used {
  cpuMillis: number;
  memoryBytes: number;
  pods: number;
}

export type Admission = { admit: true } | { admit: false; reason: string; message: string };

export function admit(pod: Pod, node: Node, used: Used): Admission {
  const alloc = nodeAllocatable(node);
  const want = podRequests(pod);
  const reject = (resource: string, requested: number, inUse: number, capacity: number): Admission => ({
    admit: false,
    reason: `OutOf${resource}`,
    message: `Pod was rejected: Node didn't have enough resource: ${resource}, requested: ${requested}, used: ${inUse}, capacity: ${capacity}`,
  });
  if (used.pods + 1 > alloc.pods) return reject('pods', 1, used.pods, alloc.pods);
  if (want.cpuMillis > 0 && used.cpuMillis + want.cpuMillis > alloc.cpuMillis) return reject('cpu', want.cpuMillis, used.cpuMillis, alloc.cpuMillis);
  if (want.memoryBytes > 0 && used.memoryBytes + want.memoryBytes > alloc.memoryBytes) {
    return reject('memory', want.memoryBytes, used.memoryBytes, alloc.memoryBytes);
  }
  return { admit: true };
}

export function addUsage(used: Used, pod: Pod): Used {
  const r = podRequests(pod);
  return { cpuMillis: used.cpuMillis + r.cpuMillis, memoryBytes: used.memoryBytes + r.memoryBytes, pods: used.pods + 1 };
}
