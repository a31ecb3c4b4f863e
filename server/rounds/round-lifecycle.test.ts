/**
 * A round's life over REST and sockets, on a real Redis: the scenario catalogue, an uploaded
 * scenario refused with its field named (nothing created) or played to the end, the exact shape of
 * the current round, and pause freezing the round clock, simulated time and every pending timer.
 */
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import type { Deployment } from '@shared/model';
import { simNow } from '@shared/protocol';
import type { RunningServer } from '../app';
import { createClassroom, joinClassroom } from '../gateway/test-clients';
import { startTestServer } from '../testing/test-server';
import { waitFor } from '../testing/wait';
import { botClassroom, roundIs, type RoundClient } from './testing';

let server: RunningServer;
const clients: RoundClient[] = [];

beforeAll(async () => {
  server = await startTestServer({ REDIS_KEY_PREFIX: `${inject('redisKeyPrefix')}-round-life`, SOCKET_RATE_PER_SECOND: '1000', SOCKET_RATE_BURST: '1000' });
});

afterAll(async () => {
  for (const c of clients) c.close();
  await server?.close();
});

async function call(method: string, path: string, token: string | null, body?: string, type = 'application/json'): Promise<{ status: number; body: unknown }> {
  const headers: Record<string, string> = {};
  if (token) headers['authorization'] = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = type;
  const res = await fetch(`${server.url}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
  return { status: res.status, body: await res.json() };
}

const SCENARIO = `
id: one-pod
title: One pod
objective: A single pod from nothing to Ready.
briefing: One node, one Deployment with one replica.
timeLimitSeconds: 120
nodes:
  - { name: node-1 }
workloads:
  - apiVersion: apps/v1
    kind: Deployment
    metadata: { name: solo, namespace: default }
    spec:
      replicas: 1
      selector: { matchLabels: { app: solo } }
      template:
        metadata: { labels: { app: solo } }
        spec:
          containers: [{ name: solo, image: busybox:1.36, command: [sleep, "3600"] }]
goals:
  - id: ready
    check: deployment/solo readyReplicas == 1
debrief:
  - The kubelet started the one container.
`;

test('GET /api/scenarios lists the built-ins: id, title, objective, time limit', async () => {
  const { status, body } = await call('GET', '/api/scenarios', null);
  expect(status).toBe(200);
  const list = body as Record<string, unknown>[];
  expect(list.map((s) => s['id'])).toEqual(['first-deployment', 'out-of-room', 'node-dies', 'crashloop', 'rolling-update', 'placement', 'etcd-read-only']);
  for (const s of list) expect(Object.keys(s).sort()).toEqual(['id', 'objective', 'timeLimitSeconds', 'title']);
});

test('an uploaded scenario with a mistake is refused with the field named and nothing created; a valid one plays to its debrief', { timeout: 90_000 }, async () => {
  const classroom = await createClassroom(server.url, {});
  const student = await joinClassroom(server.url, classroom.code, 'Ada');
  const path = `/api/classrooms/${classroom.id}`;

  const broken = await call('POST', `${path}/scenarios`, classroom.instructorToken, SCENARIO.replace('readyReplicas == 1', 'readyReplica == 1'), 'application/yaml');
  expect(broken).toEqual({ status: 422, body: { code: 'Invalid', message: 'goals[0].check: deployment has no field "readyReplica" to check: use replicas, readyReplicas, availableReplicas, updatedReplicas, unavailableReplicas, image' } });
  const badManifest = await call('POST', `${path}/scenarios`, classroom.instructorToken, SCENARIO.replace('replicas: 1', 'replicas: -2'), 'application/yaml');
  expect(badManifest).toMatchObject({ status: 422, body: { code: 'Invalid', message: expect.stringMatching(/^workloads\[0\]\.spec\.replicas: Invalid value: -2/) } });
  expect(await server.cluster.rounds.catalogue.uploadedIds(classroom.id)).toEqual([]);
  expect(await call('POST', `${path}/rounds`, classroom.instructorToken, JSON.stringify({ scenario: 'one-pod' }))).toMatchObject({ status: 404, body: { code: 'NotFound' } });
  expect(await call('GET', `${path}/rounds/current`, student.token)).toMatchObject({ status: 404, body: { code: 'NotFound' } });

  expect(await call('POST', `${path}/scenarios`, null, SCENARIO, 'application/yaml')).toMatchObject({ status: 401, body: { code: 'Unauthorized' } });
  expect(await call('POST', `${path}/scenarios`, student.token, SCENARIO, 'application/yaml')).toMatchObject({ status: 403, body: { code: 'Forbidden' } });
  expect(await call('POST', `${path}/scenarios`, classroom.instructorToken, SCENARIO)).toMatchObject({ status: 415, body: { code: 'UnsupportedMediaType' } });
  expect(await call('POST', `${path}/scenarios`, classroom.instructorToken, SCENARIO, 'application/yaml')).toEqual({ status: 201, body: { id: 'one-pod' } });

  const created = await call('POST', `${path}/rounds`, classroom.instructorToken, JSON.stringify({ scenario: 'one-pod', seed: 3, timeScale: 10, start: true }));
  expect(created).toMatchObject({ status: 201, body: { round: { scenario: 'one-pod', seed: 3, phase: 'running', timeLimitSeconds: 120 } } });
  expect(await call('POST', `${path}/rounds`, student.token, JSON.stringify({ scenario: 'one-pod' }))).toMatchObject({ status: 403 });
  expect(await call('POST', `${path}/rounds`, classroom.instructorToken, JSON.stringify({ scenario: 'one-pod', timeScale: 50 }))).toMatchObject({ status: 400, body: { code: 'BadRequest' } });

  let last: unknown = null;
  const won = await waitFor(
    async () => {
      const current = await call('GET', `${path}/rounds/current`, student.token);
      last = current.body;
      return (current.body as { phase?: string }).phase === 'won' ? current : undefined;
    },
    { what: 'the uploaded round to be won', timeoutMs: 60_000, intervalMs: 200 },
  ).catch(async (error: unknown) => {
    const pods = (await server.cluster.store.snapshot(classroom.id)).objects.filter((o) => o.kind === 'Pod' || o.kind === 'Deployment');
    throw new Error(`${String(error)}; last round ${JSON.stringify(last)}; pods ${JSON.stringify(pods.map((p) => [p.metadata.name, p.status]))}; timers ${JSON.stringify(await server.cluster.runtime.timers.pending(classroom.id))}`);
  });
  const body = won.body as Record<string, unknown>;
  expect(won.status).toBe(200);
  expect(Object.keys(body).sort()).toEqual(['elapsedSeconds', 'endedAt', 'goals', 'phase', 'scenario', 'scores', 'startedAt', 'timeLimitSeconds']);
  expect(body).toMatchObject({ scenario: 'one-pod', phase: 'won', goals: [{ id: 'ready', text: 'deployment/solo readyReplicas == 1', met: true }], timeLimitSeconds: 120 });
  expect(typeof body['startedAt']).toBe('string');
  expect(body['elapsedSeconds']).toBeGreaterThan(0);
  for (const goal of body['goals'] as Record<string, unknown>[]) expect(Object.keys(goal).sort()).toEqual(['id', 'met', 'text']);
  for (const score of body['scores'] as Record<string, unknown>[]) {
    expect(Object.keys(score).sort()).toEqual(['memberId', 'name', 'score']);
    expect(score).toEqual({ memberId: expect.any(String), name: expect.any(String), score: expect.any(Number) });
  }
  // A round that ended keeps its clock where it ended.
  await new Promise((resolve) => setTimeout(resolve, 500));
  expect(await call('GET', `${path}/rounds/current`, student.token)).toEqual(won);
  expect((body['scores'] as { memberId: string }[]).map((s) => s.memberId)).toContain('bot:scheduler');
});

test('pause freezes the round clock, simulated time and every pending timer; resume continues where it stopped; restart rebuilds the first cluster', { timeout: 90_000 }, async () => {
  const { id, instructor, instructorToken } = await botClassroom(server.url);
  clients.push(instructor);
  const current = async () => (await call('GET', `/api/classrooms/${id}/rounds/current`, instructorToken)).body as Record<string, unknown>;
  // "A crashing container": its one step (shop:1.1 released) is timed, 45 s after the start.
  for (const action of [{ kind: 'setTimeScale', timeScale: 10 }, { kind: 'setBotPace', secondsPerAction: 1 }, { kind: 'runScenario', scenario: 'crashloop', seed: 7 }] as const) {
    expect(await instructor.instructor(action)).toMatchObject({ ok: true });
  }
  // The briefing: the clock has not started.
  expect(await current()).toMatchObject({ scenario: 'crashloop', phase: 'briefing', startedAt: null, elapsedSeconds: 0, scores: [] });
  expect(await instructor.instructor({ kind: 'startRound' })).toMatchObject({ ok: true });
  await waitFor(() => (instructor.round?.elapsedSeconds ?? 0) >= 5 && instructor.round, { what: 'five simulated seconds of the round', timeoutMs: 30_000 });
  expect(await instructor.instructor({ kind: 'setTimeScale', timeScale: 50 })).toMatchObject({ ok: false, code: 'BadRequest' });
  expect(await instructor.instructor({ kind: 'pause' })).toMatchObject({ ok: true });
  const paused = await roundIs(instructor, ['paused'], 'the round to show paused');
  const timers = server.cluster.runtime.timers;
  // Timers already due when the pause came still fire (their moment had come), and bots stop
  // booking ticks: wait until that settles, then nothing may move.
  let last = '';
  await waitFor(
    async () => {
      const now = JSON.stringify([await timers.pending(id), (await server.cluster.store.snapshot(id)).resourceVersion]);
      const stable = now === last;
      last = now;
      return stable;
    },
    { what: 'the paused classroom to settle', timeoutMs: 10_000, intervalMs: 500 },
  );
  const pendingAtPause = await timers.pending(id);
  const clockAtPause = (await server.classrooms.read(id))?.run.clock;
  if (!clockAtPause) throw new Error('no clock');
  const simAtPause = simNow(clockAtPause, Date.now());
  const rvAtPause = (await server.cluster.store.snapshot(id)).resourceVersion;
  expect(pendingAtPause.map((t) => t.key)).toEqual(expect.arrayContaining(['roundStep:0', 'roundTick']));
  // The step is due on the round clock: 45 s after the start, whatever the pauses.
  expect(pendingAtPause.find((t) => t.key === 'roundStep:0')?.dueAt).toBe((paused.startedAtSim ?? 0) + 45_000);

  // Four wall seconds at 10x would be 40 simulated seconds, past the step at 45 s: nothing moves.
  await new Promise((resolve) => setTimeout(resolve, 4000));
  expect(simNow((await server.classrooms.read(id))?.run.clock ?? clockAtPause, Date.now())).toBe(simAtPause);
  expect(await timers.pending(id)).toEqual(pendingAtPause);
  expect((await server.cluster.store.snapshot(id)).resourceVersion).toBe(rvAtPause);
  expect(await server.cluster.rounds.view(id)).toMatchObject({ phase: 'paused', elapsedSeconds: paused.elapsedSeconds });
  // Over REST too: the simulated time since the start stands still while paused.
  expect(await current()).toMatchObject({ phase: 'paused', elapsedSeconds: paused.elapsedSeconds });

  expect(await instructor.instructor({ kind: 'resume' })).toMatchObject({ ok: true });
  await roundIs(instructor, ['running'], 'the round to run again');
  // The step (shop:1.1 released at 45 s) fires once the round clock reaches 45 s (a loaded timer
  // worker may take a moment more), never during the pause.
  const step = await waitFor(() => instructor.round?.timeline.find((m) => m.kind === 'step'), { what: 'the scenario step to fire', timeoutMs: 30_000 });
  expect(step.atSeconds).toBeGreaterThanOrEqual(45);
  // The scenario's step, not the instructor's doing.
  expect(step).toEqual({ atSeconds: expect.any(Number), kind: 'step', text: 'deployment.apps/shop image updated', by: 'scenario' });

  expect(await instructor.instructor({ kind: 'restartRound' })).toMatchObject({ ok: true });
  const restarted = await waitFor(() => (instructor.round?.phase === 'running' && !instructor.round.timeline.some((m) => m.kind === 'step') ? instructor.round : undefined), {
    what: `a fresh round (last: ${JSON.stringify(instructor.round?.timeline)})`,
    timeoutMs: 20_000,
  });
  expect(restarted.elapsedSeconds).toBeLessThan(10);
  const shop = (await server.cluster.store.snapshot(id)).objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'shop') as Deployment | undefined;
  expect(shop?.spec.template.spec.containers[0]?.image).toBe('shop:1.0-crashloop');
});
