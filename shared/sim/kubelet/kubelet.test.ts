import { describe, expect, test } from 'vitest';
import { fromRFC3339, makePod, toMicroTime, type ContainerStatus, type Event, type Pod } from '@shared/model';
import { SimCluster } from '../cluster';
import { BACKOFF_MAX_SECONDS } from '../defaults';
import { KUBELET_STOPPED } from '../faults';
import { isApiRequest, update } from '../requests';
import { imageSizeBytes } from '../runtime/images';
import { advanceRuntime, owedWorldTimers } from '../runtime/runtime';
import { crashLoopMessage, goDuration, inBackOffSince, nextBackOff } from './backoff';
import { reconcileKubelet } from './kubelet';

function cluster(...nodes: string[]): SimCluster {
  const c = new SimCluster({ seed: 1 });
  for (const n of nodes) c.addNode(n);
  return c;
}

const pod = (c: SimCluster, name: string): Pod | undefined => c.state.pod(`default/${name}`);
const container = (c: SimCluster, name: string): ContainerStatus | undefined => pod(c, name)?.status?.containerStatuses?.[0];
const waitingReason = (c: SimCluster, name: string): string | undefined => {
  const s = container(c, name)?.state;
  return s && 'waiting' in s ? s.waiting.reason : undefined;
};
const waitingMessage = (c: SimCluster, name: string): string | undefined => {
  const s = container(c, name)?.state;
  return s && 'waiting' in s ? s.waiting.message : undefined;
};

/** Records every distinct value of `probe` while the cluster runs for `seconds`. */
function watch<T>(c: SimCluster, seconds: number, probe: () => T): T[] {
  const seen: T[] = [];
  const end = c.now + seconds * 1000;
  const note = (): void => {
    const v = probe();
    if (v !== undefined && JSON.stringify(v) !== JSON.stringify(seen[seen.length - 1])) seen.push(v);
  };
  note();
  while (c.now < end) {
    c.runUntil(Math.min(end, c.now + 1000));
    note();
  }
  return seen;
}

describe('kubelet and container runtime', () => {
  test('[Kubelet] a bound pod goes ContainerCreating -> Running -> Ready after its image pull (nginx: 3 s)', () => {
    const c = cluster('node-1');
    const start = c.now;
    c.createObject(makePod('web-1', { image: 'nginx:1.27' }));
    const phases = watch(c, 10, () => (container(c, 'web-1') ? [pod(c, 'web-1')?.status?.phase, waitingReason(c, 'web-1') ?? (container(c, 'web-1')?.ready ? 'Ready' : 'NotReady')] : undefined));
    expect(phases).toEqual([
      ['Pending', 'ContainerCreating'],
      ['Running', 'Ready'],
    ]);
    const started = container(c, 'web-1')?.state;
    // pull 3 s + create 0.5 s + start 0.5 s
    expect(started && 'running' in started && fromRFC3339(started.running.startedAt ?? '') - start).toBe(4000);
  });

  test('[IfNotPresent] a second pod with the same image on the node does not pull again', () => {
    const c = cluster('node-1');
    c.createObject(makePod('web-1', { image: 'redis:7' }));
    c.runUntil(c.now + 10_000);
    const t = c.now;
    c.createObject(makePod('web-2', { image: 'redis:7' }));
    c.runUntil(c.now + 10_000);
    const started = container(c, 'web-2')?.state;
    expect(started && 'running' in started && fromRFC3339(started.running.startedAt ?? '') - t).toBe(1000);
    expect(c.state.runtime('node-1')?.status.images.map((i) => i.name)).toEqual(['docker.io/library/redis:7']);
  });

  test('[ImagePullBackOff] a missing image: ErrImagePull, then back-off 10 s, 20 s, 40 s with Kubernetes\' message', () => {
    const c = cluster('node-1');
    c.createObject(makePod('bad', { image: 'nginx:broken' }));
    const start = c.now;
    const seen: [number, string | undefined, string | undefined][] = [];
    while (c.now < start + 60_000) {
      c.runUntil(c.now + 1000);
      const last = seen[seen.length - 1];
      if (last?.[1] !== waitingReason(c, 'bad')) seen.push([(c.now - start) / 1000, waitingReason(c, 'bad'), waitingMessage(c, 'bad')]);
    }
    // The status carries the CRI error itself; the `Failed to pull image` text is the Failed event's.
    const failed =
      'rpc error: code = NotFound desc = failed to pull and unpack image "docker.io/library/nginx:broken": ' +
      'failed to resolve reference "docker.io/library/nginx:broken": docker.io/library/nginx:broken: not found';
    const backOff = 'Back-off pulling image "nginx:broken"';
    // pulls fail 2 s after they start; they restart 10 s, then 20 s after each failure
    expect(seen).toEqual([
      [1, 'ContainerCreating', undefined],
      [2, 'ErrImagePull', failed],
      [4, 'ImagePullBackOff', backOff],
      [12, 'ContainerCreating', undefined],
      [14, 'ErrImagePull', failed],
      [16, 'ImagePullBackOff', backOff],
      [34, 'ContainerCreating', undefined],
      [36, 'ErrImagePull', failed],
      [38, 'ImagePullBackOff', backOff],
    ]);
    const events = [...c.state.list('Event')].filter((e) => e.involvedObject.name === 'bad' && e.reason === 'Failed');
    expect(events.map((e) => [e.type, e.source?.component, e.message])).toEqual(
      [2, 14, 36].map(() => ['Warning', 'kubelet', `Failed to pull image "nginx:broken": ${failed}`]),
    );
  });

  test('[CrashLoopBackOff] a command that exits 1 restarts with back-off 10s, 20s, 40s, 1m20s ... and the exact message', () => {
    const c = cluster('node-1');
    const p = makePod('crash', { image: 'busybox:1.36' });
    p.spec.containers[0] = { ...p.spec.containers[0], name: 'app', image: 'busybox:1.36', command: ['sh', '-c', 'sleep 5; exit 1'] };
    c.createObject(p);
    const messages = watch(c, 200, () => (waitingReason(c, 'crash') === 'CrashLoopBackOff' ? waitingMessage(c, 'crash') : undefined));
    const uid = pod(c, 'crash')?.metadata.uid ?? '';
    expect(messages.slice(0, 4)).toEqual(['10s', '20s', '40s', '1m20s'].map((d) => `back-off ${d} restarting failed container=app pod=crash_default(${uid})`));
    expect(container(c, 'crash')?.restartCount).toBeGreaterThanOrEqual(4);
    const last = container(c, 'crash')?.lastState;
    expect(last && 'terminated' in last && [last.terminated.exitCode, last.terminated.reason]).toEqual([1, 'Error']);
  });

  test('[CrashLoopBackOff] back-off doubles up to 300 s and resets after 600 s without a new back-off', () => {
    let entry = nextBackOff('k', undefined, 0, 0);
    const seen = [entry.seconds];
    for (let i = 1; i < 7; i++) {
      entry = nextBackOff('k', entry, i * 1000, i * 1000);
      seen.push(entry.seconds);
    }
    expect(seen).toEqual([10, 20, 40, 80, 160, BACKOFF_MAX_SECONDS, BACKOFF_MAX_SECONDS]);
    expect(nextBackOff('k', entry, 6000 + 600_001, 6000 + 600_001).seconds).toBe(10);
    expect(inBackOffSince(entry, 10_000, 10_000 + 299_000)).toBe(true);
    expect(inBackOffSince(entry, 10_000, 10_000 + 300_000)).toBe(false);
  });

  test.each([
    // [container finished at, restart decided at, next finish; back-off after it]: the 600 s reset counts from the decision
    ['600 s after the decision (1000 s after the finish) keeps doubling', 0, 400_000, 1_000_000, 20],
    ['more than 600 s after the decision starts over', 0, 400_000, 1_000_001, 10],
  ])('[Backoff.Next] lastUpdate is the clock at the restart decision, not the finish time: %s', (_name, finished, decided, nextFinish, expected) => {
    const entry = nextBackOff('k', undefined, finished, decided);
    expect(entry.lastUpdate).toBe(toMicroTime(decided));
    expect(nextBackOff('k', entry, nextFinish, nextFinish + 1000).seconds).toBe(expected);
  });

  test.each([
    [10, '10s'],
    [40, '40s'],
    [60, '1m0s'],
    [80, '1m20s'],
    [160, '2m40s'],
    [300, '5m0s'],
    [3600, '1h0m0s'],
    [3725, '1h2m5s'],
    [0, '0s'],
  ])('[time.Duration String] %i s prints as %s', (seconds, text) => {
    expect(goDuration(seconds)).toBe(text);
  });

  test('[CrashLoopBackOff] the message prints the back-off as a Go duration: back-off 2m40s', () => {
    expect(crashLoopMessage(160, 'app', 'crash', 'default', 'u1')).toBe('back-off 2m40s restarting failed container=app pod=crash_default(u1)');
  });

  test('[Readiness probe] Ready only after initialDelaySeconds', () => {
    const c = cluster('node-1');
    const p = makePod('slow', { image: 'busybox:1.36' });
    p.spec.containers[0] = { name: 'app', image: 'busybox:1.36', readinessProbe: { httpGet: { port: 80 }, initialDelaySeconds: 5, periodSeconds: 10 } };
    c.createObject(p);
    c.runUntil(c.now + 6500); // started at 2 s (pull 1 + create 0.5 + start 0.5), ready at 7 s
    expect([pod(c, 'slow')?.status?.phase, container(c, 'slow')?.ready]).toEqual(['Running', false]);
    c.runUntil(c.now + 4000);
    expect(container(c, 'slow')?.ready).toBe(true);
    expect(pod(c, 'slow')?.status?.conditions?.find((x) => x.type === 'Ready')?.lastTransitionTime).toBe('2026-11-25T10:00:07Z');
    expect(pod(c, 'slow')?.status?.conditions?.find((x) => x.type === 'Ready')?.status).toBe('True');
  });

  test('[Termination] a deleted pod is Terminating until the kubelet has stopped its container, then it is removed', () => {
    const c = cluster('node-1');
    c.createObject(makePod('web-1', { image: 'nginx:1.27' }));
    c.runUntil(c.now + 10_000);
    const p = pod(c, 'web-1');
    if (!p) throw new Error('no pod');
    c.submit({ verb: 'delete', kind: 'Pod', namespace: 'default', name: 'web-1', reason: 'test' });
    expect(pod(c, 'web-1')?.metadata.deletionGracePeriodSeconds).toBe(30);
    c.runUntil(c.now + 500);
    expect(c.state.runtime('node-1')?.status.calls.map((x) => x.call)).toEqual(['StopContainer']);
    c.runUntil(c.now + 2000);
    expect(pod(c, 'web-1')).toBeUndefined();
    expect(c.state.runtime('node-1')?.status.containers).toEqual([]);
  });

  test('[Admission] a pod bound to a node it does not fit is rejected: Failed, OutOfcpu', () => {
    const c = cluster('node-1');
    c.createObject(makePod('big-1', { nodeName: 'node-1', requests: { cpu: '1500m' } }));
    c.createObject(makePod('big-2', { nodeName: 'node-1', requests: { cpu: '1' } }));
    c.runUntil(c.now + 5000);
    expect(pod(c, 'big-2')?.status).toMatchObject({
      phase: 'Failed',
      reason: 'OutOfcpu',
      message: "Pod was rejected: Node didn't have enough resource: cpu, requested: 1000, used: 1500, capacity: 2000",
    });
    expect(pod(c, 'big-1')?.status?.phase).toBe('Running');
  });

  test('[Heartbeat] the kubelet renews its node Lease every 10 s', () => {
    const c = cluster('node-1');
    const renewals = watch(c, 35, () => c.state.nodeLease('node-1')?.spec.renewTime);
    expect(renewals.map((r) => (fromRFC3339(r ?? '') - fromRFC3339(renewals[0] ?? '')) / 1000)).toEqual([0, 10, 20, 30]);
  });

  test('[world timers] the timers a runtime waits on are read back from its stored status alone, with the ids it booked them under', () => {
    // The owner derives its world timers from this list (server/cluster/owner-timers.ts), per machine a change touched.
    const c = cluster('node-1', 'node-2');
    c.createObject(makePod('web-1', { nodeName: 'node-1', image: 'nginx:1.27' }));
    c.createObject({ ...crashing(), spec: { ...crashing().spec, nodeName: 'node-2' } });
    const kinds = new Set<string>();
    for (const end = c.now + 30_000; c.now < end; ) {
      c.runUntil(c.now + 250);
      const booked = ['node-1', 'node-2'].flatMap((node) => advanceRuntime(c.state, node, c.now).flatMap((s) => (isApiRequest(s) ? [] : [s.timer])));
      // Between timers nothing is overdue: what the runtime books when it looks now is all it owes.
      expect(owedWorldTimers(c.state)).toEqual(expect.arrayContaining(booked));
      expect(owedWorldTimers(c.state)).toHaveLength(booked.length);
      for (const node of ['node-1', 'node-2']) expect(owedWorldTimers(c.state, new Set([node]))).toEqual(owedWorldTimers(c.state).filter((t) => t.node === node));
      for (const t of booked) kinds.add(t.kind);
    }
    expect([...kinds].sort()).toEqual(['containerExit', 'criCallDue']);
    // A machine that is down owes nothing: its runtime's pending steps died with it.
    const node = c.state.node('node-2');
    if (!node) throw new Error('no node-2');
    c.submit(update(node, { ...node, metadata: { ...node.metadata, annotations: { [KUBELET_STOPPED]: 'true' } } }, 'test'));
    expect(owedWorldTimers(c.state).filter((t) => t.node === 'node-2')).toEqual([]);
  });
});

/** A one-node cluster that keeps every Event object created, in order. */
function recordingCluster(): { c: SimCluster; events: Event[] } {
  const events: Event[] = [];
  const c = new SimCluster({ seed: 1, onCommit: (e) => void (e.type === 'ADDED' && e.object.kind === 'Event' && events.push(e.object)) });
  c.addNode('node-1');
  return { c, events };
}

const crashing = (): Pod => {
  const p = makePod('crash', { image: 'busybox:1.36' });
  p.spec.containers[0] = { ...p.spec.containers[0], name: 'app', image: 'busybox:1.36', command: ['sh', '-c', 'sleep 5; exit 1'] };
  return p;
};

const nginxSize = imageSizeBytes('nginx:1.27');

describe("the kubelet's events (kubectl get events), once per occurrence", () => {
  const cases: { rule: string; run: (c: SimCluster) => void; pod: string; expected: [string, string, string][] }[] = [
    {
      rule: '[Pulling/Pulled/Created/Started] a new image: pulled (nginx 3 s, no wait), then the container created and started',
      pod: 'web-1',
      run: (c) => {
        c.createObject(makePod('web-1', { image: 'nginx:1.27' }));
        c.runUntil(c.now + 10_000);
      },
      expected: [
        ['Normal', 'Scheduled', 'Successfully assigned default/web-1 to node-1'],
        ['Normal', 'Pulling', 'Pulling image "nginx:1.27"'],
        ['Normal', 'Pulled', `Successfully pulled image "nginx:1.27" in 3s (3s including waiting). Image size: ${nginxSize} bytes.`],
        ['Normal', 'Created', 'Created container: app'],
        ['Normal', 'Started', 'Started container app'],
      ],
    },
    {
      rule: '[IfNotPresent] a cached image is not pulled: "already present on machine"',
      pod: 'web-2',
      run: (c) => {
        c.createObject(makePod('web-1', { image: 'nginx:1.27' }));
        c.runUntil(c.now + 10_000);
        c.createObject(makePod('web-2', { image: 'nginx:1.27' }));
        c.runUntil(c.now + 10_000);
      },
      expected: [
        ['Normal', 'Scheduled', 'Successfully assigned default/web-2 to node-1'],
        ['Normal', 'Pulled', 'Container image "nginx:1.27" already present on machine'],
        ['Normal', 'Created', 'Created container: app'],
        ['Normal', 'Started', 'Started container app'],
      ],
    },
    {
      rule: '[Killing] a graceful deletion stops the running container: "Stopping container"',
      pod: 'web-1',
      run: (c) => {
        c.createObject(makePod('web-1', { image: 'nginx:1.27' }));
        c.runUntil(c.now + 10_000);
        c.submit({ verb: 'delete', kind: 'Pod', namespace: 'default', name: 'web-1', reason: 'test' });
        c.runUntil(c.now + 5_000);
      },
      expected: [
        ['Normal', 'Scheduled', 'Successfully assigned default/web-1 to node-1'],
        ['Normal', 'Pulling', 'Pulling image "nginx:1.27"'],
        ['Normal', 'Pulled', `Successfully pulled image "nginx:1.27" in 3s (3s including waiting). Image size: ${nginxSize} bytes.`],
        ['Normal', 'Created', 'Created container: app'],
        ['Normal', 'Started', 'Started container app'],
        ['Normal', 'Killing', 'Stopping container app'],
      ],
    },
    {
      rule: '[ImagePullBackOff] a missing image: Failed (Warning), then BackOff "Back-off pulling image" once per back-off',
      pod: 'bad',
      run: (c) => {
        c.createObject(makePod('bad', { image: 'nginx:broken' }));
        c.runUntil(c.now + 15_000);
      },
      expected: [
        ['Normal', 'Scheduled', 'Successfully assigned default/bad to node-1'],
        ['Normal', 'Pulling', 'Pulling image "nginx:broken"'],
        [
          'Warning',
          'Failed',
          'Failed to pull image "nginx:broken": rpc error: code = NotFound desc = failed to pull and unpack image "docker.io/library/nginx:broken": failed to resolve reference "docker.io/library/nginx:broken": docker.io/library/nginx:broken: not found',
        ],
        ['Normal', 'BackOff', 'Back-off pulling image "nginx:broken"'],
        ['Normal', 'Pulling', 'Pulling image "nginx:broken"'],
        [
          'Warning',
          'Failed',
          'Failed to pull image "nginx:broken": rpc error: code = NotFound desc = failed to pull and unpack image "docker.io/library/nginx:broken": failed to resolve reference "docker.io/library/nginx:broken": docker.io/library/nginx:broken: not found',
        ],
      ],
    },
  ];

  test.each(cases)('$rule', ({ run, pod: name, expected }) => {
    const { c, events } = recordingCluster();
    run(c);
    const mine = events.filter((e) => e.involvedObject.name === name);
    expect(mine.map((e) => [e.type, e.reason, e.message])).toEqual(expected);
    for (const e of mine.filter((x) => x.reason !== 'Scheduled')) {
      expect([e.source, e.reportingComponent, e.reportingInstance, e.involvedObject.kind]).toEqual([{ component: 'kubelet', host: 'node-1' }, 'kubelet', 'node-1', 'Pod']);
      expect(e.metadata.name).toMatch(new RegExp(`^${name}\\.[0-9a-f]+$`));
    }
    // Reconcile is idempotent: the same pass on the resulting state records nothing again.
    expect(reconcileKubelet(c.state, 'node-1', c.now).filter((s) => isApiRequest(s) && s.verb === 'create')).toEqual([]);
  });

  test('[CrashLoopBackOff] each back-off records one Warning BackOff with Kubernetes\' message; every restart: already present, Created, Started', () => {
    const { c, events } = recordingCluster();
    const t0 = c.now;
    c.createObject(crashing());
    c.runUntil(c.now + 60_000);
    const uid = pod(c, 'crash')?.metadata.uid ?? '';
    const backOff = `Back-off restarting failed container app in pod crash_default(${uid})`;
    const restart = (at: number): [number, string, string][] => [
      [at, 'Pulled', 'Container image "busybox:1.36" already present on machine'],
      [at, 'Created', 'Created container: app'],
      [at + 1, 'Started', 'Started container app'],
    ];
    // Runs 5 s each; the first restart is immediate, then 10 s and 20 s of back-off.
    expect(events.filter((e) => e.involvedObject.name === 'crash').map((e) => [(fromRFC3339(e.firstTimestamp ?? '') - t0) / 1000, e.reason, e.message])).toEqual([
      [0, 'Scheduled', 'Successfully assigned default/crash to node-1'],
      [0, 'Pulling', 'Pulling image "busybox:1.36"'],
      [1, 'Pulled', `Successfully pulled image "busybox:1.36" in 1s (1s including waiting). Image size: ${imageSizeBytes('busybox:1.36')} bytes.`],
      [1, 'Created', 'Created container: app'],
      [2, 'Started', 'Started container app'],
      ...restart(7),
      [13, 'BackOff', backOff],
      ...restart(23),
      [29, 'BackOff', backOff],
      ...restart(49),
      [55, 'BackOff', backOff],
    ]);
    expect(events.find((e) => e.reason === 'BackOff')).toMatchObject({ type: 'Warning', source: { component: 'kubelet', host: 'node-1' } });
    expect(new Set(events.map((e) => e.metadata.name)).size).toBe(events.length);
  });

  test('[Pulled] the message gives the pull and the wait as Go durations (time.Duration.String to the ms)', () => {
    expect([goDuration(0.5), goDuration(3), goDuration(3.012), goDuration(15.98), goDuration(80), goDuration(3600)]).toEqual(['500ms', '3s', '3.012s', '15.98s', '1m20s', '1h0m0s']);
  });
});
