/**
 * `kubectl get` prints ages the server computes on the classroom's simulated clock; `kubectl
 * describe` computes its own from the times in the objects, against the real clock of the machine
 * it runs on. The two must agree however far the simulated clock is from real time (served-time.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromRFC3339, isPodReady, type Event } from '@shared/model';
import { simNow } from '@shared/protocol';
import type { RunningServer } from '../app';
import type { Classroom, ClusterClient } from '../cluster/testing/cluster-client';
import { waitFor } from '../testing/wait';
import { ageSince } from './age';
import type { Kubectl } from './testing/kubectl';
import { kubectlClassroom, type KubectlClassroom } from './testing/kubectl-classroom';

let setup: KubectlClassroom;
let server: RunningServer;
let classroom: Classroom;
let instructor: ClusterClient;
let kubectl: Kubectl;

/** How far ahead of real time the simulated clock is when the class is paused. */
const AHEAD_MS = 60_000;

beforeAll(async () => {
  setup = await kubectlClassroom('kubectl-ages', { body: { nodes: 1 }, then: 'play' });
  ({ server, classroom, instructor, kubectl } = setup);
  const store = server.cluster.runtime.store;
  await waitFor(async () => (await store.list(classroom.id, 'Pod')).items.filter(isPodReady).length === 3, { what: 'the bots to bring web up', timeoutMs: 45_000, intervalMs: 200 });
  // 100× until the simulated clock is well ahead of real time, then paused: ages stand still on it.
  expect(await instructor.instructor({ kind: 'setTimeScale', timeScale: 100 })).toMatchObject({ ok: true });
  await waitFor(() => instructor.simNow() - Date.now() > AHEAD_MS, { what: 'the simulated clock to run ahead', timeoutMs: 10_000, intervalMs: 50 });
  expect(await instructor.instructor({ kind: 'pause' })).toMatchObject({ ok: true });
  // The clock the API server serves kubectl on (its own copy of the run state) has heard the pause too.
  await waitFor(async () => (await server.cluster.runtime.run(classroom.id))?.clock.paused === true, { what: 'the API server to see the pause', timeoutMs: 10_000, intervalMs: 50 });
}, 90_000);

afterAll(() => setup?.close());

/** kubectl's printed durations (`52s`, `6m5s`, `3h10m`) in seconds. */
function seconds(age: string): number {
  const parts = [...age.matchAll(/(\d+)([dhms])/g)];
  if (!parts.length || parts.map((p) => p[0]).join('') !== age) throw new Error(`not a kubectl age: ${age}`);
  return parts.reduce((sum, [, n, unit]) => sum + Number(n) * { d: 86_400, h: 3600, m: 60, s: 1 }[unit as 'd' | 'h' | 'm' | 's'], 0);
}

const simulatedNow = async (): Promise<number> => {
  const view = await server.classrooms.view(classroom.id);
  if (!view?.clock.paused) throw new Error('the class should be paused');
  return Math.floor(simNow(view.clock, Date.now()));
};

describe('describe and get agree on ages while the simulated clock runs ahead of real time', () => {
  it("describe pod's Events are as old as `get events` says, never <invalid>", async () => {
    const now = await simulatedNow();
    expect(now - Date.now()).toBeGreaterThan(AHEAD_MS / 2); // the case the trial met: a clock ahead, at 5× or 10×
    const [pod] = (await server.cluster.runtime.store.list(classroom.id, 'Pod')).items;
    const name = pod?.metadata.name ?? '';
    const events = (await server.cluster.runtime.store.list(classroom.id, 'Event')).items.filter((e) => e.involvedObject.name === name);
    const lastSeen = (reason: string): string => {
      const event = events.find((e) => e.reason === reason) as Event;
      return ageSince(event.lastTimestamp ?? event.eventTime, now);
    };

    // get: the server's ages on the paused simulated clock, exactly.
    const got = (await kubectl.run('get', 'events', '--field-selector', `involvedObject.name=${name}`)).stdout;
    for (const reason of ['Scheduled', 'Started']) expect(got).toMatch(new RegExp(`\\n${lastSeen(reason)} +Normal +${reason} +pod/${name} `));

    // describe: kubectl's own, on the real clock, a moment later (a second rounded off, at most one more elapsed).
    const described = (await kubectl.run('describe', 'pod', name)).stdout;
    expect(described).not.toContain('<invalid>');
    for (const [reason, source] of [['Scheduled', 'default-scheduler'], ['Started', 'kubelet']]) {
      const age = new RegExp(`\\n +Normal +${reason} +(\\S+) +${source} `).exec(described)?.[1] ?? '';
      expect(seconds(age) - seconds(lastSeen(reason ?? '')), `${reason}: describe ${age}, get ${lastSeen(reason ?? '')}`).toBeGreaterThanOrEqual(0);
      expect(seconds(age) - seconds(lastSeen(reason ?? '')), `${reason}: describe ${age}, get ${lastSeen(reason ?? '')}`).toBeLessThanOrEqual(2);
    }
  });

  it("no time kubectl is served is later than real now, and a pod's creationTimestamp is as old on the real clock as get's AGE", async () => {
    const { stdout } = await kubectl.run('get', 'pods', '-o', 'json');
    const after = Date.now();
    const times = [...stdout.matchAll(/"(creationTimestamp|startTime|startedAt|lastTransitionTime)": "([^"]+)"/g)].map(([, field, time]) => ({ field, time, ms: fromRFC3339(time ?? '') }));
    expect(times.length).toBeGreaterThan(10);
    expect(times.filter((t) => t.ms > after)).toEqual([]);

    const pods = (JSON.parse(stdout) as { items: { metadata: { name: string; creationTimestamp: string } }[] }).items;
    const table = (await kubectl.run('get', 'pods')).stdout;
    for (const p of pods) {
      const age = new RegExp(`\\n${p.metadata.name} +\\S+ +\\S+ +\\S+ +(\\S+)\\n`).exec(table)?.[1] ?? '';
      const real = Math.floor((Date.now() - fromRFC3339(p.metadata.creationTimestamp)) / 1000);
      expect(real - seconds(age), `${p.metadata.name}: AGE ${age}, ${real}s by the real clock`).toBeGreaterThanOrEqual(0);
      expect(real - seconds(age), `${p.metadata.name}: AGE ${age}, ${real}s by the real clock`).toBeLessThanOrEqual(3);
    }
  });
});
