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

/** The next back-off: the initial one for a new or expired entry, else doubled up to the cap. */
export function nextBackOff(key: string, entry: BackOffEntry | undefined, eventTime: SimTime): BackOffEntry {
  const seconds = !entry || hasExpired(eventTime, entry) ? BACKOFF_INITIAL_SECONDS : Math.min(entry.seconds * 2, BACKOFF_MAX_SECONDS);
  return { key, seconds, lastUpdate: toMicroTime(eventTime) };
}

export const restartKey = (podUid: string, container: string): string => `${podUid}/${container}`;
export const pullKey = (podUid: string, container: string): string => `${podUid}/${container}/pull`;

/** Kubernetes' CrashLoopBackOff message. */
export function crashLoopMessage(seconds: number, container: string, pod: string, namespace: string, uid: string): string {
  return `back-off ${seconds}s restarting failed container=${container} pod=${pod}_${namespace}(${uid})`;
}
