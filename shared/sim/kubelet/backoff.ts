/**
 * The kubelet's back-off (client-go flowcontrol.Backoff) for container restarts and image pulls:
 * 10 s, doubling, capped at 300 s; an entry older than twice the cap (600 s) starts over.
 * Kept in the node's ContainerRuntime object so it survives and shows on screen.
 */
import { fromRFC3339, toMicroTime, type BackOffEntry, type SimTime } from '@shared/model';
import { BACKOFF_INITIAL_SECONDS, BACKOFF_MAX_SECONDS } from '../defaults';

const hasExpired = (eventTime: SimTime, entry: BackOffEntry): boolean =>
  eventTime - fromRFC3339(entry.lastUpdate) > 2 * BACKOFF_MAX_SECONDS * 1000;

/** CrashLoopBackOff: still waiting if less than the back-off has passed since the container finished. */
export function inBackOffSince(entry: BackOffEntry | undefined, eventTime: SimTime, now: SimTime): boolean {
  if (!entry || hasExpired(eventTime, entry)) return false;
  return now - eventTime < entry.seconds * 1000;
}

/** ImagePullBackOff: still waiting if less than the back-off has passed since the last failure. */
export function inBackOffSinceUpdate(entry: BackOffEntry | undefined, now: SimTime): boolean {
  if (!entry || hasExpired(now, entry)) return false;
  return now - fromRFC3339(entry.lastUpdate) < entry.seconds * 1000;
}

/**
 * Backoff.Next: the initial back-off for a new entry or one expired at `eventTime`, else doubled up
 * to the cap; lastUpdate is the clock's now (the decision), which the 600 s reset is measured from.
 */
export function nextBackOff(key: string, entry: BackOffEntry | undefined, eventTime: SimTime, now: SimTime): BackOffEntry {
  const seconds = !entry || hasExpired(eventTime, entry) ? BACKOFF_INITIAL_SECONDS : Math.min(entry.seconds * 2, BACKOFF_MAX_SECONDS);
  return { key, seconds, lastUpdate: toMicroTime(now) };
}

export const restartKey = (podUid: string, container: string): string => `${podUid}/${container}`;
export const pullKey = (podUid: string, container: string): string => `${podUid}/${container}/pull`;

/** Go's time.Duration String() for whole seconds: `10s`, `1m20s`, `5m0s`, `1h0m0s`. */
export function goDuration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (h > 0) return `${h}h${m}m${s}s`;
  if (m > 0) return `${m}m${s}s`;
  return `${s}s`;
}

/** Kubernetes' CrashLoopBackOff message (`back-off %s restarting failed container=%s pod=%s`). */
export function crashLoopMessage(seconds: number, container: string, pod: string, namespace: string, uid: string): string {
  return `back-off ${goDuration(seconds)} restarting failed container=${container} pod=${pod}_${namespace}(${uid})`;
}
