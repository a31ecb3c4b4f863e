/**
 * Probes at the kubelet: a liveness probe that fails `failureThreshold` times in a row gets the
 * container killed and restarted (with back-off when it keeps failing); a readiness probe that fails
 * later takes the pod out of its Service's endpoints, and back in when it passes again. How the
 * container answers is data (the pod annotation `health.clusterplay.dev/<container>`).
 * Threshold cases: Kubernetes' pkg/kubelet/prober/worker_test.go (TestFailureThreshold,
 * TestSuccessThreshold; v1.32), replayed as probe-by-probe results. Event texts: the kubelet's
 * prober.go and kuberuntime_container.go (v1.32).
 */
import { describe, expect, test } from 'vitest';
import { fromRFC3339, makePod, makeService, type ContainerStatus, type Pod, type Probe } from '@shared/model';
import { SimCluster } from '../cluster';
import { planAction } from '../moves';
import { isApiRequest, type Step } from '../requests';
import { HEALTH_ANNOTATION_PREFIX, parseHealth, probeOutcome, type ProbeKind } from './probes';

const ACTIVE = 1_000_000;

/** The worker's result right after each of the first `n` probes (period 10 s, from the start). */
function results(probe: Probe, kind: ProbeKind, health: string, n: number): boolean[] {
  const steps = parseHealth(health);
  if (typeof steps === 'string') throw new Error(steps);
  return Array.from({ length: n }, (_, k) => probeOutcome(probe, kind, steps, ACTIVE, ACTIVE + k * 10_000).ok);
}

describe('[probes] the prober worker flips its result after the thresholds (worker_test.go)', () => {
  test.each([
    // TestFailureThreshold: successThreshold 1, failureThreshold 3; two rounds of successes then three failures.
    ['TestFailureThreshold', { successThreshold: 1, failureThreshold: 3 }, 'healthy, unhealthy after 20s, healthy after 50s, unhealthy after 70s', [true, true, true, true, false, true, true, true, true, false]],
    // TestSuccessThreshold: successThreshold 3, failureThreshold 1; starts as Failure, three successes to flip, one failure back.
    ['TestSuccessThreshold', { successThreshold: 3, failureThreshold: 1 }, 'healthy, unhealthy after 30s, healthy after 40s, unhealthy after 70s', [false, false, true, false, false, false, true, false]],
  ] as const)('%s (readiness)', (_name, thresholds, health, expected) => {
    expect(results({ periodSeconds: 10, ...thresholds }, 'Readiness', health, expected.length)).toEqual(expected);
  });

  test('liveness starts as Success and ignores successThreshold (must be 1); initialDelaySeconds delays the first probe', () => {
    expect(results({ periodSeconds: 10, failureThreshold: 3 }, 'Liveness', 'unhealthy', 4)).toEqual([true, true, false, false]);
    expect(results({ periodSeconds: 10, failureThreshold: 1, initialDelaySeconds: 15 }, 'Liveness', 'unhealthy', 4)).toEqual([true, true, false, false]);
  });

  test.each([
    ['healthy, unhealthy after 20s', [{ afterSeconds: 0, healthy: true }, { afterSeconds: 20, healthy: false }]],
    ['unhealthy after 5s', [{ afterSeconds: 5, healthy: false }]],
    ['sick after 5s', '"sick after 5s" is not a probe answer: write healthy or unhealthy, optionally "after <n>s" (e.g. "healthy, unhealthy after 20s")'],
  ])('the health annotation %j reads as data', (value, expected) => {
    expect(parseHealth(value)).toEqual(expected);
  });
});

function podWith(name: string, probes: { livenessProbe?: Probe; readinessProbe?: Probe }, health: string): Pod {
  const p = makePod(name, { labels: { app: name } });
  const [first] = p.spec.containers;
  if (!first) throw new Error('makePod makes one container');
  p.spec.containers[0] = { ...first, ...probes };
  p.metadata.annotations = { [`${HEALTH_ANNOTATION_PREFIX}app`]: health };
  return p;
}

const httpGet = { httpGet: { path: '/healthz', port: 80 }, periodSeconds: 10, failureThreshold: 3 };

function run(c: SimCluster, name: string, seconds: number, each?: () => void): ContainerStatus[] {
  const statuses: ContainerStatus[] = [];
  const end = c.now + seconds * 1000;
  while (c.now < end) {
    c.runUntil(Math.min(end, c.now + 1000));
    const s = c.state.pod(`default/${name}`)?.status?.containerStatuses?.[0];
    if (s && JSON.stringify(s) !== JSON.stringify(statuses.at(-1))) statuses.push(s);
    each?.();
  }
  return statuses;
}

const eventsOf = (c: SimCluster, name: string): string[] =>
  [...c.state.list('Event')].filter((e) => e.involvedObject.name === name).map((e) => `${e.type ?? ''} ${e.reason ?? ''} ${e.message ?? ''}`);

describe('[probes] liveness and readiness at the kubelet', () => {
  test('a container failing its liveness probe 3 times, 10 s apart, is killed and restarted, with Kubernetes\' events; it keeps failing: back-off', () => {
    const c = new SimCluster({ seed: 5 });
    c.addNode('node-1');
    c.createObject(podWith('live', { livenessProbe: httpGet }, 'healthy, unhealthy after 20s'));
    const statuses = run(c, 'live', 200);
    const firstRestart = statuses.find((s) => s.restartCount === 1);
    const last = firstRestart?.lastState;
    const terminated = last && 'terminated' in last ? last.terminated : undefined;
    // Probes at 0, 10, 20 (fails), 30, 40 s: the third failure at 40 s kills it (StopContainer takes 1 s).
    expect([terminated?.exitCode, terminated?.reason]).toEqual([0, 'Completed']);
    expect(fromRFC3339(terminated?.finishedAt ?? '') - fromRFC3339(terminated?.startedAt ?? '')).toBe(41_000);
    const events = eventsOf(c, 'live');
    expect(events).toContain('Warning Unhealthy Liveness probe failed: HTTP probe failed with statuscode: 500');
    expect(events).toContain('Normal Killing Container app failed liveness probe, will be restarted');
    const unhealthy = [...c.state.list('Event')].find((e) => e.involvedObject.name === 'live' && e.reason === 'Unhealthy');
    expect(unhealthy?.count).toBe(3);
    expect(fromRFC3339(unhealthy?.lastTimestamp ?? '') - fromRFC3339(unhealthy?.firstTimestamp ?? '')).toBe(20_000);
    const uid = c.state.pod('default/live')?.metadata.uid ?? '';
    expect(events).toContain(`Warning BackOff Back-off restarting failed container app in pod live_default(${uid})`);
    expect(statuses.at(-1)?.restartCount).toBeGreaterThanOrEqual(3);
  });

  test.each([
    ['OnFailure', 1],
    ['Never', 0],
  ] as const)('under restartPolicy %s a liveness kill (exit 0) leaves restartCount %i', (policy, restarts) => {
    const c = new SimCluster({ seed: 5 });
    c.addNode('node-1');
    const p = podWith('live', { livenessProbe: httpGet }, 'unhealthy');
    p.spec.restartPolicy = policy;
    c.createObject(p);
    const statuses = run(c, 'live', 35);
    expect(statuses.at(-1)?.restartCount).toBe(restarts);
    expect(eventsOf(c, 'live')).toContain('Normal Killing Container app failed liveness probe, will be restarted');
  });

  test('a liveness probe that keeps passing, or a container without the annotation, never restarts', () => {
    const c = new SimCluster({ seed: 5 });
    c.addNode('node-1');
    c.createObject(podWith('fine', { livenessProbe: httpGet }, 'healthy'));
    const plain = makePod('plain');
    plain.spec.containers[0] = { ...plain.spec.containers[0]!, livenessProbe: httpGet };
    c.createObject(plain);
    run(c, 'fine', 120);
    for (const name of ['fine', 'plain']) {
      expect(c.state.pod(`default/${name}`)?.status?.containerStatuses?.[0]?.restartCount).toBe(0);
      expect(eventsOf(c, name).filter((e) => e.includes('Unhealthy') || e.includes('Killing'))).toEqual([]);
    }
  });

  test('a readiness probe failing later takes the pod out of the Service\'s endpoints, and back in when it passes again', () => {
    const c = new SimCluster({ seed: 5 });
    c.addNode('node-1');
    c.createObject(makeService('web', { app: 'web' }, 80));
    c.createObject(podWith('web', { readinessProbe: httpGet }, 'healthy, unhealthy after 60s, healthy after 110s'));
    const seen: string[] = [];
    const started = (): number => {
      const state = c.state.pod('default/web')?.status?.containerStatuses?.[0]?.state;
      return state && 'running' in state ? fromRFC3339(state.running.startedAt ?? '') : c.now;
    };
    run(c, 'web', 160, () => {
      const subset = c.state.get('Endpoints', 'default/web')?.subsets?.[0];
      const where = subset?.addresses?.length ? 'ready' : subset?.notReadyAddresses?.length ? 'notReady' : 'none';
      if (where !== seen.at(-1)?.split('@')[0]) seen.push(`${where}@${Math.round((c.now - started()) / 1000)}`);
    });
    // Not ready until the first probe passes; unhealthy from 60 s: failures at 60, 70, 80 s, out at 80 s;
    // healthy again at 110 s, back in at once (successThreshold 1).
    expect(seen.map((s) => s.split('@')[0])).toEqual(['notReady', 'ready', 'notReady', 'ready']);
    expect(seen.slice(2).map((s) => Number(s.split('@')[1]))).toEqual([80, 110]);
    const pod = c.state.pod('default/web');
    expect(pod?.status?.conditions?.find((x) => x.type === 'Ready')?.status).toBe('True');
    expect(pod?.status?.containerStatuses?.[0]?.restartCount).toBe(0);
    expect(eventsOf(c, 'web')).toContain('Warning Unhealthy Readiness probe failed: HTTP probe failed with statuscode: 500');
  });

  test("a student playing the kubelet makes the same moves: the liveness kill is the 'Restart container' move (StopContainer with the Killing event), the readiness failure goes with the status report", () => {
    const c = new SimCluster({ seed: 5 });
    c.addNode('node-1');
    c.createObject(podWith('live', { livenessProbe: httpGet }, 'unhealthy after 5s'));
    c.createObject(podWith('web', { readinessProbe: httpGet }, 'healthy, unhealthy after 5s'));
    c.runUntil(c.now + 15_000);
    c.stopNode('node-1');
    const later = c.now + 30_000;
    const what = (steps: readonly Step[]): string[] =>
      steps.filter(isApiRequest).map((x) => (x.verb === 'create' && x.object.kind === 'Event' ? `Event ${x.object.reason ?? ''}: ${x.object.message ?? ''}` : `${x.verb} ${x.kind}`));
    const kill = planAction(c.state, { kind: 'restartContainer', node: 'node-1', pod: 'live', container: 'app' }, later, c.rng);
    expect(kill.ok && what(kill.steps)).toEqual(['update ContainerRuntime', 'Event Unhealthy: Liveness probe failed: HTTP probe failed with statuscode: 500', 'Event Killing: Container app failed liveness probe, will be restarted']);
    const calls = kill.ok ? kill.steps.filter(isApiRequest).flatMap((x) => (x.verb === 'update' && x.object.kind === 'ContainerRuntime' ? x.object.status.calls : [])) : [];
    expect(calls.map((x) => [x.call, x.container, x.timeoutSeconds])).toContainEqual(['StopContainer', 'app', 30]);
    const report = planAction(c.state, { kind: 'syncPodStatus', node: 'node-1', pod: 'web' }, later, c.rng);
    expect(report.ok && what(report.steps)).toEqual(['updateStatus Pod', 'Event Unhealthy: Readiness probe failed: HTTP probe failed with statuscode: 500']);
  });
});
