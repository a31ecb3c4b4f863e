/**
 * What a pod status report says that the stored status does not, in a few words each: the reason
 * on the kubelet's "Report" button. Two reports can share a phase ("Pending" when the pod is first
 * seen, and again once its container is created), so the button says what each one brings.
 */
import type { ContainerStatus, PodCondition, PodStatus } from '@shared/model';

function stateOf(s: ContainerStatus): string {
  const st = s.state;
  if (!st) return 'Waiting';
  if ('waiting' in st) return st.waiting.reason || 'Waiting';
  if ('running' in st) return 'Running';
  return `Terminated (exit code ${st.terminated.exitCode})`;
}

function containerNews(before: ContainerStatus | undefined, after: ContainerStatus): string[] {
  const name = after.name;
  const news: string[] = [];
  const state = stateOf(after);
  if (!before || stateOf(before) !== state) news.push(`${name} ${state}`);
  // A new container in the same state: the runtime created it (or created it again after a crash).
  else if ((after.containerID ?? '') !== (before.containerID ?? '')) news.push(before.containerID ? `${name} container replaced` : `${name} container created`);
  else if ((after.imageID ?? '') !== (before.imageID ?? '')) news.push(`${name} image pulled`);
  if (after.ready !== (before?.ready ?? false)) news.push(after.ready ? `${name} ready` : `${name} not ready`);
  if (after.restartCount > (before?.restartCount ?? 0)) news.push(`${name} restarts ${after.restartCount}`);
  return news;
}

function conditionNews(before: readonly PodCondition[], after: readonly PodCondition[]): string[] {
  return after.filter((c) => before.find((b) => b.type === c.type)?.status !== c.status).map((c) => `${c.type}=${c.status}`);
}

/** What `after` tells beyond `before`; empty when nothing a reader would notice changed. */
export function statusNews(before: PodStatus, after: PodStatus): string[] {
  const news: string[] = [];
  if ((after.phase ?? 'Pending') !== (before.phase ?? 'Pending')) news.push(`phase ${after.phase ?? 'Pending'}`);
  for (const c of after.containerStatuses ?? []) news.push(...containerNews(before.containerStatuses?.find((b) => b.name === c.name), c));
  if (after.podIP && after.podIP !== before.podIP) news.push(`pod IP ${after.podIP}`);
  news.push(...conditionNews(before.conditions ?? [], after.conditions ?? []));
  return news;
}
