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

/** Go's time.Duration String() to the millisecond: `500ms`, `3s`, `3.012s`, `1m20s`, `5m0s`, `1h0m0s`. */
export function goDuration(seconds: number): string {
  const ms = Math.round(seconds * 1000);
  if (ms === 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  const whole = Math.floor(ms / 1000);
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const fraction = ms % 1000 === 0 ? '' : `.${String(ms % 1000).padStart(3, '0').replace(/0+$/, '')}`;
  const s = `${whole % 60}${fraction}s`;
  if (h > 0) return `${h}h${m}m${s}`;
  if (m > 0) return `${m}m${s}`;
  return s;
}

/** Kubernetes' CrashLoopBackOff message (`back-off %s restarting failed container=%s pod=%s`). */
export function crashLoopMessage(seconds: number, container: string, pod: string, namespace: string, uid: string): string {
  return `back-off ${goDuration(seconds)} restarting failed container=${container} pod=${pod}_${namespace}(${uid})`;
}
