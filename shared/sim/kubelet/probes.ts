/**
 * Probes at the kubelet, as data: the pod annotation `health.clusterplay.dev/<container>` says how the
 * container answers its probes from its start, `healthy` or `healthy, unhealthy after 20s, healthy
 * after 60s`. The kubelet's prober worker (pkg/kubelet/prober/worker.go) probes every `periodSeconds`
 * from `initialDelaySeconds` on and flips its result only after `failureThreshold` failures or
 * `successThreshold` successes in a row. Liveness starts as Success (a flip kills and restarts the
 * container), readiness as Failure (a flip sets the container's ready). Nothing here is random.
 */
import type { Container, Pod, Probe, SimTime } from '@shared/model';

export const HEALTH_ANNOTATION_PREFIX = 'health.clusterplay.dev/';

export interface HealthStep {
  afterSeconds: number;
  healthy: boolean;
}

/** The health steps of an annotation value, or why it cannot be read. */
export function parseHealth(value: string): HealthStep[] | string {
  const steps: HealthStep[] = [];
  for (const part of value.split(',').map((p) => p.trim()).filter((p) => p.length > 0)) {
    const m = /^(healthy|unhealthy)(?:\s+after\s+(\d+)s)?$/.exec(part);
    if (!m) return `"${part}" is not a probe answer: write healthy or unhealthy, optionally "after <n>s" (e.g. "healthy, unhealthy after 20s")`;
    steps.push({ afterSeconds: Number(m[2] ?? 0), healthy: m[1] === 'healthy' });
  }
  return steps.sort((a, b) => a.afterSeconds - b.afterSeconds);
}

/** The container's health over time from its annotation; undefined when it has none (always healthy). */
export function healthOf(pod: Pod, container: Container): HealthStep[] | undefined {
  const value = pod.metadata.annotations?.[`${HEALTH_ANNOTATION_PREFIX}${container.name}`];
  const steps = value === undefined ? undefined : parseHealth(value);
  return Array.isArray(steps) && steps.length ? steps : undefined;
}

/** Healthy `seconds` after the start: the last step at or before it (healthy before the first). */
export function healthyAt(steps: readonly HealthStep[], seconds: number): boolean {
  let healthy = true;
  for (const s of steps) if (s.afterSeconds <= seconds) healthy = s.healthy;
  return healthy;
}

export type ProbeKind = 'Liveness' | 'Readiness';

export interface ProbeOutcome {
  /** The worker's result now: Success (true) or Failure (false). */
  ok: boolean;
  /** When the result last flipped (the start if it never did). */
  since: SimTime;
  /** The run of failed probes behind a Failure: the first one and how many (for the Unhealthy event's count). */
  failures?: { first: SimTime; count: number };
  /** The probe at which the result flips next, if it ever does. */
  next?: SimTime;
}

/**
 * Replays the worker's probes from the container's start up to now, and on until the next flip (or
 * until the health data has no more changes to make one).
 */
export function probeOutcome(probe: Probe, kind: ProbeKind, steps: readonly HealthStep[], startedAt: SimTime, now: SimTime): ProbeOutcome {
  const period = (probe.periodSeconds ?? 10) * 1000;
  const failureThreshold = probe.failureThreshold ?? 3;
  // Liveness and startup probes must have successThreshold 1 (API validation).
  const successThreshold = kind === 'Liveness' ? 1 : (probe.successThreshold ?? 1);
  const lastChange = steps.reduce((max, s) => Math.max(max, s.afterSeconds), 0) * 1000;
  const first = startedAt + (probe.initialDelaySeconds ?? 0) * 1000;
  const horizon = Math.max(now, startedAt + lastChange) + (Math.max(failureThreshold, successThreshold) + 1) * period;
  let ok = kind === 'Liveness';
  let since = startedAt;
  let last: boolean | undefined;
  let run = 0;
  for (let t = first; t <= horizon; t += period) {
    const result = healthyAt(steps, (t - startedAt) / 1000);
    if (result === last) run += 1;
    else [run, last] = [1, result];
    const flips = result !== ok && run >= (result ? successThreshold : failureThreshold);
    if (!flips) continue;
    if (t > now) return { ...outcome(ok, since, period, failureThreshold), next: t };
    ok = result;
    since = t;
  }
  return outcome(ok, since, period, failureThreshold);
}

function outcome(ok: boolean, since: SimTime, period: number, failureThreshold: number): ProbeOutcome {
  return ok ? { ok, since } : { ok, since, failures: { first: since - (failureThreshold - 1) * period, count: failureThreshold } };
}

/** The prober's output for a failed probe, by handler (prober.go / probe/http, tcp). */
export function probeFailureOutput(probe: Probe, podIP: string | undefined): string {
  if (probe.httpGet) return 'HTTP probe failed with statuscode: 500';
  if (probe.tcpSocket) return `dial tcp ${podIP ?? ''}:${String(probe.tcpSocket.port)}: connect: connection refused`;
  // An exec probe's output is what the command printed: the data has none.
  return '';
}
