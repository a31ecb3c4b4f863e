/**
 * Every built-in scenario is winnable by bots alone with a fixed seed, within its time limit, on a
 * real Redis, and its debrief names who made the changes that reached the goals and whose components did the work.
 */
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import type { ApiRequestEntry } from '@shared/protocol';
import type { RunningServer } from '../app';
import { READ_ONLY_MESSAGE } from './round-service';
import { startTestServer } from '../testing/test-server';
import { botClassroom, roundIs, type RoundClient } from './testing';

let server: RunningServer;
const clients: RoundClient[] = [];

beforeAll(async () => {
  server = await startTestServer({ REDIS_KEY_PREFIX: `${inject('redisKeyPrefix')}-rounds`, SOCKET_RATE_PER_SECOND: '1000', SOCKET_RATE_BURST: '1000' });
});

afterAll(async () => {
  for (const c of clients) c.close();
  await server?.close();
});

/**
 * The components each scenario's debrief names: whose write met each goal and the components whose
 * work each goal depends on (every pod component for a Deployment's counts, kube-proxy for a
 * Service's availability). A new image the scenario's step releases is no one's: never the instructor's.
 */
const PODS = ['container-runtime', 'kube-controller-manager', 'kube-scheduler', 'kubelet'];
const EXPECTED: Record<string, string[]> = {
  'first-deployment': ['container-runtime', 'kube-controller-manager', 'kube-proxy', 'kube-scheduler', 'kubelet'],
  'out-of-room': PODS,
  'node-dies': PODS,
  crashloop: PODS,
  'rolling-update': ['container-runtime', 'kube-controller-manager', 'kube-proxy', 'kube-scheduler', 'kubelet'],
  placement: PODS,
  'etcd-read-only': PODS,
};

/** A request in the log that shows the scenario's idea happened (not just its goals). */
const SAW: Record<string, (e: ApiRequestEntry) => boolean> = {
  'first-deployment': (e) => e.verb === 'routeRequest' && e.message.startsWith('served by '),
  'out-of-room': (e) => e.verb === 'markUnschedulable' && e.outcome === 'accepted' && e.message.includes('Insufficient cpu'),
  'node-dies': (e) => e.verb === 'evictPod' && e.outcome === 'accepted',
  crashloop: (e) => /CrashLoopBackOff|back-off/i.test(e.message),
  'rolling-update': (e) => e.actor === 'instructor' && e.message === 'deployment.apps/web image updated',
  placement: (e) => e.verb === 'bind' && e.outcome === 'accepted',
  'etcd-read-only': (e) => e.outcome === 'refused' && e.code === 'ServiceUnavailable' && e.message === READ_ONLY_MESSAGE,
};

/**
 * What the round's own timeline tells beyond its steps and goals: what a fault brought about, as
 * the replay's markers tell it (a node going Unknown, its pod evicted, a container backing off).
 */
const MOMENTS: Record<string, RegExp[]> = {
  'node-dies': [/^node-2 Ready: Unknown$/, /^web-\S+ evicted from node-2: Terminating$/],
  crashloop: [/^shop-\S+: CrashLoopBackOff \(back-off restarting failed container shop, it exited with code 1\)$/],
};

/** Goals the scenario's own step meets (a new image it releases): no player reached them. */
const BY_SCENARIO: Record<string, string[]> = {
  crashloop: ['fixed-image (scenario)'],
  'rolling-update': ['new-image (scenario)'],
};

const only = process.env['ROUND_SCENARIO'];

for (const [scenario, components] of Object.entries(EXPECTED)) {
  test.skipIf(only !== undefined && only !== scenario)(`bots alone win "${scenario}" with seed 7, and the debrief names ${components.join(', ')}`, { timeout: 120_000 }, async () => {
    const { id, instructor, instructorToken } = await botClassroom(server.url);
    clients.push(instructor);
    for (const action of [{ kind: 'setTimeScale', timeScale: 10 }, { kind: 'setBotPace', secondsPerAction: 2 }, { kind: 'runScenario', scenario, seed: 7 }] as const) {
      expect(await instructor.instructor(action)).toMatchObject({ ok: true });
    }
    const briefing = await roundIs(instructor, ['briefing'], 'the briefing');
    expect(briefing.scenario).toBe(scenario);
    expect(await instructor.instructor({ kind: 'startRound' })).toMatchObject({ ok: true });
    const end = await roundIs(instructor, ['won', 'lost'], `the end of ${scenario}`, 100_000);
    if (end.phase !== 'won') {
      // What a stuck round looked like: who held which seat, which timers were pending, the pods.
      const view = await server.classrooms.view(id);
      const objects = (await server.cluster.store.snapshot(id)).objects.filter((o) => o.kind === 'Pod' || o.kind === 'Deployment' || o.kind === 'Lease');
      console.error(JSON.stringify({ seats: view?.seats, phase: view?.phase, timers: (await server.cluster.runtime.timers.pending(id)).map((t) => t.key), objects: objects.map((o) => [o.kind, o.metadata.name, 'status' in o ? o.status : o.spec]) }));
    }
    expect({ phase: end.phase, unmet: end.goals.filter((g) => !g.met).map((g) => g.text) }).toEqual({ phase: 'won', unmet: [] });
    expect(end.elapsedSeconds).toBeLessThanOrEqual(end.timeLimitSeconds);
    const named = new Set(end.goals.flatMap((g) => (g.achievedBy ?? []).map((a) => a.component)));
    expect([...named].sort()).toEqual(components);
    // No goal of a built-in scenario holds at the start and to the end: each was reached during the
    // round, by the class, but for a new image the scenario's own step releases (no player's).
    expect(end.goals.filter((g) => g.heldFromStart || (!g.achievedBy?.length && g.metBy !== 'scenario')).map((g) => g.text)).toEqual([]);
    expect(end.goals.filter((g) => g.metBy !== undefined).map((g) => `${g.id} (${g.metBy ?? ''})`)).toEqual(BY_SCENARIO[scenario] ?? []);
    expect(end.goals.filter((g) => g.metBy === 'scenario' && (g.achievedBy?.length ?? 0) > 0).map((g) => g.id)).toEqual([]);
    expect(end.debrief?.points.length).toBeGreaterThan(0);
    expect(end.timeline.some((m) => m.kind === 'goal')).toBe(true);
    // The instructor only started the round: every step is the scenario's, no other mark names the instructor.
    expect(end.timeline.filter((m) => m.kind === 'step' && m.by !== 'scenario').map((m) => `${m.text} (${m.by})`)).toEqual([]);
    expect(end.timeline.filter((m) => m.kind !== 'phase' && (m.by === 'instructor' || /Instructor/.test(m.actor ?? ''))).map((m) => `${m.text} (${m.by} ${m.actor ?? ''})`)).toEqual([]);
    const faults = end.timeline.filter((m) => m.kind === 'fault');
    for (const moment of MOMENTS[scenario] ?? []) expect(faults.map((m) => m.text)).toContainEqual(expect.stringMatching(moment));
    // A pod is evicted only where a node dies: a rolling update's old pods are scaled down (SuccessfulDelete), no fault.
    if (scenario !== 'node-dies') expect(faults.filter((m) => m.text.includes(' evicted from ')).map((m) => m.text)).toEqual([]);
    // Every goal reached is on the timeline, as on the replay's; recoveries are measured from the faults made, not from what they brought about.
    expect(end.goals.filter((g) => !end.timeline.some((m) => m.kind === 'goal' && m.text === `goal reached: ${g.about}`)).map((g) => g.text)).toEqual([]);
    expect(end.debrief?.recoveries.map((r) => r.fault)).toEqual(faults.filter((m) => m.by === 'scenario').map((m) => m.text));
    // No built-in goal is met before its scenario's faults (etcd's outage comes before any pod runs;
    // node-dies' goals wait for node-2 to go down): the debrief says "met", not "met again".
    expect(end.debrief?.recoveries.map((r) => r.again)).toEqual(faults.filter((m) => m.by === 'scenario').map(() => false));
    const log = await server.cluster.store.readRequestLog(id, 2000);
    expect(log.some(SAW[scenario] ?? (() => false))).toBe(true);
    // The round's traffic goes only through nodes whose kube-proxy has programmed the Service:
    // no bot's request is refused for being sent too early.
    expect(log.filter((e) => e.verb === 'routeRequest' && e.outcome === 'refused').map((e) => `${e.actor}: ${e.message}`)).toEqual([]);
    // The session record (what a replay's timeline shows) holds the round's start, each goal reached (and any undone since), and the end.
    const exported = await fetch(`${server.url}/api/classrooms/${id}/log`, { headers: { authorization: `Bearer ${instructorToken}` } });
    expect(exported.status).toBe(200);
    const markers = (await exported.text())
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { t: string; marker?: { kind: string; label: string } })
      .flatMap((entry) => (entry.t === 'marker' && entry.marker ? [entry.marker] : []));
    expect(markers[0]).toEqual({ kind: 'roundStart', label: `round started: ${end.title}` });
    expect([...new Set(markers.filter((m) => m.kind === 'goal' && m.label.startsWith('goal reached: ')).map((m) => m.label))].sort()).toEqual(end.goals.map((g) => `goal reached: ${g.about}`).sort());
    expect(markers.at(-1)).toEqual({ kind: 'roundEnd', label: 'round won: every goal met' });
  });
}
