import { fromRFC3339, type ContainerRuntime, type Pod } from '@shared/model';
import { runtimeOf } from './node-local';

export interface RunningTimer {
  label: string;
  /** Simulated ms still to wait. */
  remainingMs: number;
  /** The whole duration, when known (for a progress bar). */
  totalMs: number | null;
}

/**
 * What a container waits for, on the runtime's clock: a CRI call in progress (an image pull, a
 * stop) until its due time, or the kubelet's back-off (restart or pull) until it ends.
 */
export function containerTimer(pod: Pod, container: string, runtimes: readonly ContainerRuntime[], simNow: number): RunningTimer | null {
  const runtime = runtimeOf(runtimes, pod.spec.nodeName ?? '');
  if (!runtime) return null;
  const call = [...runtime.status.calls]
    .reverse()
    .find((c) => c.status === 'running' && c.pod === pod.metadata.name && (c.container === undefined || c.container === container) && c.dueAt);
  if (call?.dueAt) {
    const sent = fromRFC3339(call.sentAt);
    const due = fromRFC3339(call.dueAt);
    return { label: call.call === 'PullImage' ? `pulling ${call.image ?? 'image'}` : call.call, remainingMs: Math.max(0, due - simNow), totalMs: due - sent };
  }
  const uid = pod.metadata.uid ?? '';
  for (const [key, label] of [
    [`${uid}/${container}`, 'restart back-off'],
    [`${uid}/${container}/pull`, 'image pull back-off'],
  ] as const) {
    const entry = runtime.status.backOffs.find((b) => b.key === key);
    if (!entry) continue;
    const ends = fromRFC3339(entry.lastUpdate) + entry.seconds * 1000;
    if (ends > simNow) return { label: `${label} ${entry.seconds}s`, remainingMs: ends - simNow, totalMs: entry.seconds * 1000 };
  }
  return null;
}
