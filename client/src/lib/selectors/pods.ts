import { POD_TEMPLATE_HASH_LABEL, controllerRef, isPodActive, isPodReady, type ContainerStatus, type Pod } from '@shared/model';

/** What a pod chip shows and how it is coloured: kubectl's STATUS column, and a tone for it. */
export type PodTone = 'pending' | 'creating' | 'running' | 'ready' | 'failed' | 'terminating' | 'done';

/** kubectl's STATUS column: Terminating, a container's waiting/terminated reason, else the phase. */
export function podStatusText(pod: Pod): string {
  if (pod.metadata.deletionTimestamp) return 'Terminating';
  for (const status of pod.status?.containerStatuses ?? []) {
    const waiting = status.state && 'waiting' in status.state ? status.state.waiting : undefined;
    if (waiting?.reason && waiting.reason !== 'ContainerCreating') return waiting.reason;
    const terminated = status.state && 'terminated' in status.state ? status.state.terminated : undefined;
    if (terminated) return terminated.reason ?? (terminated.exitCode === 0 ? 'Completed' : 'Error');
  }
  const phase = pod.status?.phase ?? 'Pending';
  if (phase === 'Pending' && pod.spec.nodeName) return 'ContainerCreating';
  return phase;
}

export function podTone(pod: Pod): PodTone {
  const text = podStatusText(pod);
  if (text === 'Terminating') return 'terminating';
  if (text === 'Completed' || text === 'Succeeded') return 'done';
  if (/BackOff|Err|Error|Failed|Unknown|OOMKilled/.test(text)) return 'failed';
  if (text === 'ContainerCreating') return 'creating';
  if (text === 'Running') return isPodReady(pod) ? 'ready' : 'running';
  return 'pending';
}

/** `1/2`: ready containers over containers, as `kubectl get pods` shows READY. */
export function readyText(pod: Pod): string {
  const statuses = pod.status?.containerStatuses ?? [];
  return `${statuses.filter((s) => s.ready).length}/${pod.spec.containers.length}`;
}

export function restartCount(pod: Pod): number {
  return (pod.status?.containerStatuses ?? []).reduce((sum, s) => sum + s.restartCount, 0);
}

/** Waiting for the scheduler: no node yet, not being deleted. */
export function pendingPods(pods: readonly Pod[]): Pod[] {
  return pods.filter((p) => !p.spec.nodeName && !p.metadata.deletionTimestamp && isPodActive(p));
}

export function podsOnNode(pods: readonly Pod[], node: string): Pod[] {
  return pods.filter((p) => p.spec.nodeName === node);
}

/** The state of one container in words: `Running`, `Waiting: ImagePullBackOff`, `Terminated: Error (exit 1)`. */
export function containerStateText(status: ContainerStatus | undefined): string {
  const state = status?.state;
  if (!state) return 'Waiting: not created';
  if ('running' in state) return status.ready ? 'Running, ready' : 'Running';
  if ('waiting' in state) return `Waiting: ${state.waiting.reason ?? 'unknown'}`;
  const t = state.terminated;
  return `Terminated: ${t.reason ?? 'Error'} (exit ${t.exitCode})`;
}

/**
 * What a pod belongs to, as the room knows it: a Deployment's pod (its ReplicaSet's hash in its
 * name) is its Deployment's, any other controlled pod its controller's, a bare pod its own name.
 */
export function podWorkload(pod: Pod): string {
  const name = pod.metadata.name;
  const hash = pod.metadata.labels?.[POD_TEMPLATE_HASH_LABEL];
  const at = hash ? name.lastIndexOf(`-${hash}-`) : -1;
  if (at > 0) return name.slice(0, at);
  return controllerRef(pod)?.name ?? name;
}

/** Pods of one workload in one status on one node: a line of the projector's map, `web ×3 Running`. */
export interface PodGroup {
  workload: string;
  status: string;
  tone: PodTone;
  count: number;
}

/** The pods counted by workload and status, by workload's name, then status. */
export function podGroups(pods: readonly Pod[]): PodGroup[] {
  const groups = new Map<string, PodGroup>();
  for (const pod of pods) {
    const workload = podWorkload(pod);
    const tone = podTone(pod);
    // A running pod that is not Ready yet gets no traffic: the room sees it apart from the ready ones.
    const status = tone === 'running' ? 'Running, not ready' : podStatusText(pod);
    const key = `${workload}\u0000${status}`;
    const group = groups.get(key);
    if (group) group.count++;
    else groups.set(key, { workload, status, tone, count: 1 });
  }
  return [...groups.values()].sort((a, b) => a.workload.localeCompare(b.workload) || a.status.localeCompare(b.status));
}

export function stableKey(pod: Pod): string {
  return pod.metadata.uid ?? `${pod.metadata.namespace ?? 'default'}/${pod.metadata.name}`;
}
