/**
 * What a container's process uses in memory, as data: the pod annotation
 * `memory.clusterplay.dev/<container>` lists the usage from its start, `64Mi` or
 * `64Mi, 300Mi after 8s` (64 Mi at once, 300 Mi from 8 s on). The kubelet hands the usage and the
 * container's memory limit to the runtime with CreateContainer (the cgroup's memory.max); the
 * kernel's OOM killer ends the process the moment its use goes over the limit: exit code 137
 * (SIGKILL), reason OOMKilled. Nothing here is random.
 */
import { isQuantity, memoryBytes, type Container, type Pod } from '@shared/model';

export const MEMORY_USAGE_ANNOTATION_PREFIX = 'memory.clusterplay.dev/';
/** 128 + SIGKILL (9): what a process killed by the OOM killer exits with. */
export const OOM_EXIT_CODE = 137;
export const OOM_REASON = 'OOMKilled';

export interface MemoryStep {
  afterSeconds: number;
  bytes: number;
}

/** The usage steps of an annotation value, or why it cannot be read. */
export function parseMemoryUsage(value: string): MemoryStep[] | string {
  const steps: MemoryStep[] = [];
  for (const part of value.split(',').map((p) => p.trim()).filter((p) => p.length > 0)) {
    const m = /^(\S+)(?:\s+after\s+(\d+)s)?$/.exec(part);
    const quantity = m?.[1];
    if (!m || quantity === undefined || !isQuantity(quantity)) return `"${part}" is not a memory use: write a quantity, optionally "after <n>s" (e.g. "64Mi, 300Mi after 8s")`;
    steps.push({ afterSeconds: Number(m[2] ?? 0), bytes: memoryBytes(quantity) });
  }
  return steps.sort((a, b) => a.afterSeconds - b.afterSeconds);
}

/** What the kubelet passes to CreateContainer about memory: the limit and the usage, when there are any. */
export function memoryOf(pod: Pod, container: Container): { memoryLimitBytes?: number; memoryUsage?: MemoryStep[] } {
  const limit = container.resources?.limits?.['memory'];
  const value = pod.metadata.annotations?.[`${MEMORY_USAGE_ANNOTATION_PREFIX}${container.name}`];
  const usage = value === undefined ? undefined : parseMemoryUsage(value);
  return {
    ...(limit !== undefined ? { memoryLimitBytes: memoryBytes(limit) } : {}),
    ...(Array.isArray(usage) && usage.length ? { memoryUsage: usage } : {}),
  };
}

/** Seconds after its start at which the process goes over its limit, if it ever does. */
export function oomAfterSeconds(c: { memoryLimitBytes?: number | undefined; memoryUsage?: readonly MemoryStep[] | undefined }): number | undefined {
  if (c.memoryLimitBytes === undefined) return undefined;
  const limit = c.memoryLimitBytes;
  return c.memoryUsage?.find((s) => s.bytes > limit)?.afterSeconds;
}
