/**
 * When a goal was reached, and by whom, as the debrief and the replay say it: the last time it
 * became true before the round ended; reached by whoever made the change that made it true (the
 * replay's mark names them) and by every player whose component did the work it depended on; a goal
 * true before anything happened was reached by no one. Bots play every seat, seed 7, at 10x.
 */
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import type { Pod, Deployment } from '@shared/model';
import type { RoundView } from '@shared/protocol';
import type { RunningServer } from '../app';
import { SCENARIO_STEP_ACTOR } from '../cluster/instructor-actions';
import { startTestServer } from '../testing/test-server';
import { botClassroom, roundIs, type RoundClient } from './testing';

let server: RunningServer;
const clients: RoundClient[] = [];

beforeAll(async () => {
  server = await startTestServer({ REDIS_KEY_PREFIX: `${inject('redisKeyPrefix')}-goal-times`, SOCKET_RATE_PER_SECOND: '1000', SOCKET_RATE_BURST: '1000' });
});

afterAll(async () => {
  for (const c of clients) c.close();
  await server?.close();
});

/** A scenario played by bots to its end; the instructor's socket kept every watch batch. */
async function played(scenario: string): Promise<{ id: string; end: RoundView; instructor: RoundClient; markers: { label: string; simTime: number }[] }> {
  const { id, instructor, instructorToken } = await botClassroom(server.url);
  clients.push(instructor);
  for (const action of [{ kind: 'setTimeScale', timeScale: 10 }, { kind: 'setBotPace', secondsPerAction: 2 }, { kind: 'runScenario', scenario, seed: 7 }, { kind: 'startRound' }] as const) {
    expect(await instructor.instructor(action)).toMatchObject({ ok: true });
  }
  const end = await roundIs(instructor, ['won', 'lost'], `the end of ${scenario}`, 100_000);
  expect(end.phase).toBe('won');
  const exported = await fetch(`${server.url}/api/classrooms/${id}/log`, { headers: { authorization: `Bearer ${instructorToken}` } });
  const markers = (await exported.text())
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { t: string; simTime: number; marker?: { kind: string; label: string } })
    .flatMap((entry) => (entry.t === 'marker' && entry.marker?.kind === 'goal' ? [{ label: entry.marker.label, simTime: entry.simTime }] : []));
  return { id, end, instructor, markers };
}

const bot = (component: string, role: string) => ({ component, memberId: null, name: `bot (${role})` });
/** The bots of node-dies' pod components (its three nodes and node-4, the spare the replacement went to), controller manager aside, in the debrief's order. */
const NODE_DIES = ['node-1', 'node-2', 'node-3', 'node-4'];
const PODS_WORK = [bot('kube-scheduler', 'scheduler'), ...NODE_DIES.map((n) => bot('kubelet', `kubelet:${n}`)), ...NODE_DIES.map((n) => bot('container-runtime', `container-runtime:${n}`))];
/** The bots of crashloop's pod components (its two nodes), controller manager first. */
const SHOP_WORK = [bot('kube-controller-manager', 'controller-manager'), bot('kube-scheduler', 'scheduler'), ...['node-1', 'node-2'].map((n) => bot('kubelet', `kubelet:${n}`)), ...['node-1', 'node-2'].map((n) => bot('container-runtime', `container-runtime:${n}`))];

const secondsIn = (end: RoundView, simTime: number): number => Math.round((simTime - (end.startedAtSim ?? 0)) / 100) / 10;
const secondsToSim = (end: RoundView, seconds: number): number => (end.startedAtSim ?? 0) + seconds * 1000;

/** node-dies' drain goal in its words (the scenario's about line). */
const DRAINED = "no pod on node-2 but Terminating ones: its pod is evicted after its tolerationSeconds (only node-2's kubelet could confirm the deletion)";
/** The drain goal's short name, as the goal that waits for it names it. */
const EVICTED = "node-2's pod evicted";

test('"A worker node dies": node-2 is drained when its pod is evicted, by the controller manager that evicted it, not at 0:00 when it had no pod yet', { timeout: 150_000 }, async () => {
  const { end, instructor, markers } = await played('node-dies');
  const events = instructor.batches.flat();
  // node-2's pod gets its deletionTimestamp: the eviction (the taint manager's, in the controller manager).
  const eviction = events.find((e) => e.object.kind === 'Pod' && (e.object as Pod).spec.nodeName === 'node-2' && e.object.metadata.deletionTimestamp !== undefined);
  if (!eviction) throw new Error('node-2 had no pod evicted');
  expect(eviction.actor).toBe('bot:controller-manager');
  const goal = (id: string) => end.goals.find((g) => g.id === id);
  // The eviction's author first, then the bots whose components drain a node (the scheduler placed its pods elsewhere).
  expect(goal('node-drained')).toEqual({ id: 'node-drained', text: 'node/node-2 pods == 0', about: DRAINED, met: true, metAtSeconds: secondsIn(end, eviction.simTime), achievedBy: [bot('kube-controller-manager', 'controller-manager'), bot('kube-scheduler', 'scheduler')] });
  // Its stop came 10 s after the three pods were Ready; the eviction after the grace period (from the
  // last Lease renewal, up to 10 s before the stop) and 30 s of toleration.
  const stop = end.timeline.find((m) => m.text === 'the kubelet on node-2 is stopped');
  const firstReady = events.find((e) => e.object.kind === 'Deployment' && (e.object as Deployment).status?.readyReplicas === 3);
  expect(stop?.atSeconds).toBeGreaterThanOrEqual(secondsIn(end, firstReady?.simTime ?? Infinity) + 10);
  expect(secondsIn(end, eviction.simTime)).toBeGreaterThan((stop?.atSeconds ?? Infinity) + 30);
  // Three pods Ready again: reached after the eviction, by the controller manager's status write.
  const ready = events.findLast((e) => e.object.kind === 'Deployment' && (e.object as Deployment).status?.readyReplicas === 3 && e.simTime <= (end.endedAtSim ?? 0));
  expect(goal('replicas-ready')).toMatchObject({ met: true, metAtSeconds: secondsIn(end, ready?.simTime ?? 0), achievedBy: [bot('kube-controller-manager', 'controller-manager'), ...PODS_WORK] });
  expect(goal('replicas-ready')?.metAtSeconds).toBeGreaterThan(goal('node-drained')?.metAtSeconds ?? Infinity);
  // The replay marks the drain where it happened, once.
  expect(markers.filter((m) => m.label === `goal reached: ${DRAINED}`)).toEqual([{ label: `goal reached: ${DRAINED}`, simTime: eviction.simTime }]);
  // Three pods Ready again is reached once, after the drain: the three pods Ready before the fault
  // were not its answer (the trial's host screen showed it ✓ before node-2 had died).
  expect(markers.filter((m) => m.label.endsWith('three pods Ready again, on the nodes that are alive'))).toEqual([{ label: 'goal reached: three pods Ready again, on the nodes that are alive', simTime: ready?.simTime }]);
  // Every screen showed the goals waiting, not met, until what they wait for: the three until node-2
  // went down (its three pods were Ready meanwhile), three pods Ready again until the drain.
  const views = instructor.rounds.filter((v) => v.phase === 'running' || v.phase === 'paused');
  const beforeStop = views.filter((v) => !v.timeline.some((m) => m.text === 'the kubelet on node-2 is stopped'));
  expect(beforeStop.some((v) => v.timeline.some((m) => m.text.startsWith('goal reached')))).toBe(false);
  const waiting = (v: RoundView) => v.goals.map((g) => ({ id: g.id, met: g.met, waitsFor: g.waitsFor }));
  const DOWN = "node-2's machine goes down";
  expect(new Set(beforeStop.map((v) => JSON.stringify(waiting(v))))).toEqual(new Set([JSON.stringify([{ id: 'node-not-ready', met: false, waitsFor: DOWN }, { id: 'node-drained', met: false, waitsFor: DOWN }, { id: 'replicas-ready', met: false, waitsFor: EVICTED }])]));
  const podsReadyBeforeStop = events.some((e) => e.object.kind === 'Deployment' && (e.object as Deployment).status?.readyReplicas === 3 && e.simTime < secondsToSim(end, stop?.atSeconds ?? 0));
  expect(podsReadyBeforeStop).toBe(true);
  const beforeDrain = views.filter((v) => !v.goals.some((g) => g.id === 'node-drained' && g.met));
  expect(beforeDrain.every((v) => v.goals.find((g) => g.id === 'replicas-ready')?.waitsFor === EVICTED && !v.goals.find((g) => g.id === 'replicas-ready')?.met)).toBe(true);
  // Nothing held before the fault, so the debrief does not say the goals were met "again".
  expect(end.debrief?.recoveries).toEqual([{ fault: 'the kubelet on node-2 is stopped', seconds: expect.any(Number), again: false }]);
  // The debrief's timeline keeps the drain's mark at its time, with who did it.
  expect(end.timeline.filter((m) => m.text === `goal reached: ${DRAINED}`)).toEqual([{ atSeconds: secondsIn(end, eviction.simTime), kind: 'goal', text: `goal reached: ${DRAINED}`, by: 'cluster', actor: 'bot (controller-manager)' }]);
  // Every goal here was met by a write of the controller manager (the node lifecycle controller,
  // the taint manager, the Deployment's status): it is named first for each; node-2 not Ready is its
  // verdict alone, the drain also the scheduler's, three pods Ready every pod component's.
  expect(goal('node-not-ready')?.achievedBy).toEqual([bot('kube-controller-manager', 'controller-manager')]);
  expect(end.goals.map((g) => g.id).sort()).toEqual(['node-drained', 'node-not-ready', 'replicas-ready']);
  // 20 points per goal to each bot credited: the controller manager's three, the scheduler's two.
  const score = (memberId: string) => end.scores.find((s) => s.memberId === memberId);
  const cm = score('bot:controller-manager');
  expect(cm?.score).toBe(10 * (cm?.accepted ?? 0) - 5 * (cm?.refusals ?? 0) + 20 * 3);
  const scheduler = score('bot:scheduler');
  expect(scheduler?.score).toBe(10 * (scheduler?.accepted ?? 0) - 5 * (scheduler?.refusals ?? 0) + 20 * 2 + Math.max(0, 30 - Math.round(scheduler?.pendingToBoundSeconds ?? 30)));
});

test('"A crashing container": the rollout is reached only once shop:1.1 runs in both pods, after the scenario released it at 0:45', { timeout: 150_000 }, async () => {
  const { end, instructor } = await played('crashloop');
  const events = instructor.batches.flat();
  const release = events.find((e) => e.object.kind === 'Deployment' && e.actor === SCENARIO_STEP_ACTOR && (e.object as Deployment).spec.template.spec.containers[0]?.image === 'shop:1.1');
  if (!release) throw new Error('shop:1.1 was never released');
  const goal = (id: string) => end.goals.find((g) => g.id === id);
  // The scenario's step released it, at its time: the instructor did nothing and is not named, and
  // no player reached it (the trial's debrief credited it to four students, 20 points each).
  expect(goal('fixed-image')).toMatchObject({ met: true, metAtSeconds: secondsIn(end, release.simTime), achievedBy: [], metBy: 'scenario' });
  expect(end.timeline.filter((m) => m.text === 'goal reached: the Deployment asks for the fixed image').map((m) => [m.by, m.actor])).toEqual([['scenario', undefined]]);
  expect(secondsIn(end, release.simTime)).toBeGreaterThanOrEqual(45);
  // The status write that counted both shop:1.1 pods available and no other pod: the controller manager's.
  const complete = events.find((e) => {
    if (e.object.kind !== 'Deployment' || e.simTime < release.simTime) return false;
    const d = e.object as Deployment;
    return d.spec.template.spec.containers[0]?.image === 'shop:1.1' && (d.status?.observedGeneration ?? 0) >= (d.metadata.generation ?? 0) && d.status?.updatedReplicas === 2 && d.status.replicas === 2 && d.status.availableReplicas === 2;
  });
  expect(goal('rolled-out')).toMatchObject({ met: true, metAtSeconds: secondsIn(end, complete?.simTime ?? 0), achievedBy: SHOP_WORK });
  expect(end.timeline.filter((m) => m.kind === 'goal' && m.text.startsWith('goal reached: both pods belong to the shop:1.1 ReplicaSet')).map((m) => m.actor)).toEqual(['bot (controller-manager)']);
  expect(goal('rolled-out')?.metAtSeconds).toBeGreaterThan(goal('fixed-image')?.metAtSeconds ?? Infinity);
  // 20 points for the rollout alone, to each bot whose component rolled it out: none for the release.
  for (const player of SHOP_WORK) {
    const score = end.scores.find((s) => s.name === player.name);
    const speed = (seconds: number | undefined) => (seconds === undefined ? 0 : Math.max(0, 30 - Math.round(seconds)));
    expect(score?.score, player.name).toBe(Math.max(0, 10 * (score?.accepted ?? 0) - 5 * (score?.refusals ?? 0) + 20 + speed(score?.pendingToBoundSeconds) + speed(score?.boundToRunningSeconds)));
  }
});
