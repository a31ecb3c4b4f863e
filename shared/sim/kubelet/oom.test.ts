/**
 * Memory limits at the kubelet: a container whose process goes over its memory limit is killed by
 * the OOM killer (exit code 137, reason OOMKilled) and restarted with the kubelet's back-off, with
 * Kubernetes' events. The use over time is data (the pod annotation `memory.clusterplay.dev/<container>`).
 * Case source: the Kubernetes docs' "Assign Memory Resources to Containers and Pods" task
 * (memory-request-limit-2: a 100Mi limit, the process allocates 250M: OOMKilled, then CrashLoopBackOff).
 */
import { describe, expect, test } from 'vitest';
import { fromRFC3339, makePod, type ContainerStatus, type Pod } from '@shared/model';
import { SimCluster } from '../cluster';
import { MEMORY_USAGE_ANNOTATION_PREFIX, parseMemoryUsage } from '../runtime/memory';

function podWith(name: string, limit: string | undefined, usage: string | undefined, command?: string[]): Pod {
  const p = makePod(name, { image: 'polinux/stress:1.0.4' });
  const [first] = p.spec.containers;
  if (!first) throw new Error('makePod makes one container');
  p.spec.containers[0] = {
    ...first,
    name: 'memory-demo-2-ctr',
    ...(command ? { command } : {}),
    resources: { requests: { memory: '50Mi' }, ...(limit ? { limits: { memory: limit } } : {}) },
  };
  if (usage !== undefined) p.metadata.annotations = { [`${MEMORY_USAGE_ANNOTATION_PREFIX}memory-demo-2-ctr`]: usage };
  return p;
}

function run(p: Pod, seconds: number): { c: SimCluster; statuses: ContainerStatus[] } {
  const c = new SimCluster({ seed: 3 });
  c.addNode('node-1');
  c.createObject(p);
  const statuses: ContainerStatus[] = [];
  const end = c.now + seconds * 1000;
  while (c.now < end) {
    c.runUntil(Math.min(end, c.now + 1000));
    const s = c.state.pod(`default/${p.metadata.name}`)?.status?.containerStatuses?.[0];
    if (s && JSON.stringify(s) !== JSON.stringify(statuses.at(-1))) statuses.push(s);
  }
  return { c, statuses };
}

const waitingMessages = (statuses: ContainerStatus[]): string[] => [...new Set(statuses.flatMap((s) => (s.state && 'waiting' in s.state && s.state.waiting.reason === 'CrashLoopBackOff' ? [s.state.waiting.message ?? ''] : [])))];

describe('[OOMKilled] memory limits at the kubelet', () => {
  test('a container over its memory limit is OOMKilled (137), restarts with back-off 10s, 20s, 40s, and the pod shows Kubernetes\' events', () => {
    const { c, statuses } = run(podWith('memory-demo-2', '100Mi', '250M after 1s'), 150);
    const pod = c.state.pod('default/memory-demo-2');
    const uid = pod?.metadata.uid ?? '';
    const last = statuses.at(-1)?.lastState;
    const terminated = last && 'terminated' in last ? last.terminated : undefined;
    expect([terminated?.exitCode, terminated?.reason]).toEqual([137, 'OOMKilled']);
    // Killed the moment its use went over the limit: 1 s after it started.
    expect(fromRFC3339(terminated?.finishedAt ?? '') - fromRFC3339(terminated?.startedAt ?? '')).toBe(1000);
    expect(waitingMessages(statuses).slice(0, 3)).toEqual(['10s', '20s', '40s'].map((d) => `back-off ${d} restarting failed container=memory-demo-2-ctr pod=memory-demo-2_default(${uid})`));
    expect(statuses.at(-1)?.restartCount).toBeGreaterThanOrEqual(3);
    const events = [...c.state.list('Event')].filter((e) => e.involvedObject.name === 'memory-demo-2').map((e) => `${e.type ?? ''} ${e.reason ?? ''} ${e.message ?? ''}`);
    expect(events).toContain(`Warning BackOff Back-off restarting failed container memory-demo-2-ctr in pod memory-demo-2_default(${uid})`);
    expect(events).toContain('Normal Started Started container memory-demo-2-ctr');
    expect(events).toContain('Normal Pulled Container image "polinux/stress:1.0.4" already present on machine');
  });

  test('a container within its limit keeps running; one with no limit is never OOMKilled', () => {
    for (const [limit, usage] of [['100Mi', '50Mi, 99Mi after 5s'], [undefined, '4Gi after 2s']] as const) {
      const { statuses } = run(podWith('steady', limit, usage), 60);
      const last = statuses.at(-1);
      expect(last?.restartCount).toBe(0);
      expect(last?.state && 'running' in last.state).toBe(true);
    }
  });

  test('whichever comes first ends the process: the OOM killer before a command\'s exit, or the exit before the memory grows', () => {
    const oomFirst = run(podWith('oom-first', '100Mi', '200Mi after 2s', ['sh', '-c', 'sleep 5; exit 1']), 15).statuses.at(-1)?.lastState;
    expect(oomFirst && 'terminated' in oomFirst && [oomFirst.terminated.exitCode, oomFirst.terminated.reason]).toEqual([137, 'OOMKilled']);
    const exitFirst = run(podWith('exit-first', '100Mi', '200Mi after 9s', ['sh', '-c', 'sleep 5; exit 1']), 15).statuses.at(-1)?.lastState;
    expect(exitFirst && 'terminated' in exitFirst && [exitFirst.terminated.exitCode, exitFirst.terminated.reason]).toEqual([1, 'Error']);
  });

  test.each([
    ['64Mi', [{ afterSeconds: 0, bytes: 64 * 2 ** 20 }]],
    ['300Mi after 8s, 64Mi', [{ afterSeconds: 0, bytes: 64 * 2 ** 20 }, { afterSeconds: 8, bytes: 300 * 2 ** 20 }]],
    ['64 megs', '"64 megs" is not a memory use: write a quantity, optionally "after <n>s" (e.g. "64Mi, 300Mi after 8s")'],
  ])('the usage annotation %j reads as data', (value, expected) => {
    expect(parseMemoryUsage(value)).toEqual(expected);
  });
});
