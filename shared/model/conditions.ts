/** Status conditions and the readiness/availability predicates controllers use. */
import type { ConditionStatus } from './schemas-common';
import type { Node } from './node';
import type { Pod } from './pod';
import { fromRFC3339, toRFC3339, type SimTime } from './time';

export interface ConditionLike {
  type: string;
  status: ConditionStatus;
  lastTransitionTime?: string | undefined;
}

export function getCondition<C extends ConditionLike>(conditions: readonly C[] | undefined, type: C['type']): C | undefined {
  return conditions?.find((c) => c.type === type);
}

/**
 * Returns a new array with `condition` set (replacing one of the same type in place, else appended).
 * lastTransitionTime becomes `now` only when the status changes (or the condition is new);
 * otherwise the previous one is kept, whatever `condition` carries.
 */
export function setCondition<C extends ConditionLike>(conditions: readonly C[] | undefined, condition: C, now: SimTime): C[] {
  const list = conditions ?? [];
  const index = list.findIndex((c) => c.type === condition.type);
  const previous = index < 0 ? undefined : list[index];
  const lastTransitionTime =
    previous !== undefined && previous.status === condition.status
      ? (previous.lastTransitionTime ?? toRFC3339(now))
      : toRFC3339(now);
  const next: C = { ...condition, lastTransitionTime };
  return index < 0 ? [...list, next] : list.map((c, i) => (i === index ? next : c));
}

/** Pod condition Ready is True. */
export function isPodReady(pod: Pod): boolean {
  return getCondition(pod.status?.conditions, 'Ready')?.status === 'True';
}

/** Node condition Ready is True (Unknown after missed heartbeats counts as not ready). */
export function isNodeReady(node: Node): boolean {
  return getCondition(node.status?.conditions, 'Ready')?.status === 'True';
}

/** controller.IsPodActive: not Succeeded/Failed and not being deleted (what a ReplicaSet counts). */
export function isPodActive(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed' && pod.metadata.deletionTimestamp === undefined;
}

/** podutil.IsPodAvailable: ready for at least minReadySeconds at `now`. */
export function isPodAvailable(pod: Pod, minReadySeconds: number, now: SimTime): boolean {
  const ready = getCondition(pod.status?.conditions, 'Ready');
  if (ready?.status !== 'True') return false;
  if (minReadySeconds <= 0) return true;
  if (ready.lastTransitionTime === undefined) return false;
  return fromRFC3339(ready.lastTransitionTime) + minReadySeconds * 1000 <= now;
}
