/**
 * [kube-proxy] A round won on a new endpoint ends there, but its class stands still only once
 * every kube-proxy has programmed it (minSyncPeriod, 1 s after the Endpoints changed): frozen at
 * once, the debrief's map said "rules to sync: 1" on every node beside a goal met, for good.
 */
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { simNow } from '@shared/protocol';
import { ClusterState, staleRules } from '@shared/sim';
import type { RunningServer } from '../app';
import { startTestServer } from '../testing/test-server';
import { waitFor } from '../testing/wait';
import { botClassroom, roundIs, type RoundClient } from './testing';

let server: RunningServer;
const clients: RoundClient[] = [];

beforeAll(async () => {
  server = await startTestServer({ REDIS_KEY_PREFIX: `${inject('redisKeyPrefix')}-won-settle`, SOCKET_RATE_PER_SECOND: '1000', SOCKET_RATE_BURST: '1000' });
});

afterAll(async () => {
  for (const c of clients) c.close();
  await server?.close();
});

/** Won on the Endpoints write that lists the one pod: kube-proxy's sync of it is 1 s away then. */
const SCENARIO = `
id: one-endpoint
title: One endpoint
objective: A Service gets its one endpoint.
briefing: Two nodes, a Deployment with one replica, a Service in front of it.
timeLimitSeconds: 120
nodes:
  - { name: node-1 }
  - { name: node-2 }
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
          containers: [{ name: solo, image: nginx:1.27, ports: [{ containerPort: 80, protocol: TCP }] }]
  - apiVersion: v1
    kind: Service
    metadata: { name: solo, namespace: default }
    spec:
      selector: { app: solo }
      ports: [{ protocol: TCP, port: 80, targetPort: 80 }]
goals:
  - id: endpoint
    check: service/solo endpoints == 1
debrief:
  - The endpoints controller listed the ready pod.
`;

test('a round won on a new endpoint stands still once every kube-proxy programmed it, its clock stopped at the win', { timeout: 90_000 }, async () => {
  const { id, instructor, instructorToken } = await botClassroom(server.url);
  clients.push(instructor);
  const uploaded = await fetch(`${server.url}/api/classrooms/${id}/scenarios`, { method: 'POST', headers: { authorization: `Bearer ${instructorToken}`, 'content-type': 'application/yaml' }, body: SCENARIO });
  expect(uploaded.status).toBe(201);
  // At time scale 1 the sync's second is a second of wall time: the round's look comes well before it.
  for (const action of [{ kind: 'setTimeScale', timeScale: 1 }, { kind: 'setBotPace', secondsPerAction: 0.5 }, { kind: 'runScenario', scenario: 'one-endpoint', seed: 7 }, { kind: 'startRound' }] as const) {
    expect(await instructor.instructor(action)).toMatchObject({ ok: true });
  }
  const end = await roundIs(instructor, ['won', 'lost'], 'the round to end', 60_000);
  expect(end.phase).toBe('won');
  const run = async () => (await server.classrooms.read(id))?.run;
  const frozen = await waitFor(async () => ((await run())?.phase === 'paused' ? run() : undefined), { what: 'the class to stand still', timeoutMs: 10_000, intervalMs: 50 });
  const state = ClusterState.from((await server.cluster.store.snapshot(id)).objects);
  const now = simNow(frozen?.clock ?? { simAtWall: 0, wall: 0, timeScale: 1, paused: true }, Date.now());
  const pod = [...state.list('Pod')][0];
  const ip = pod?.status?.podIP ?? 'none';
  // Every node routes to the one pod: no rules to sync on the debrief's map.
  expect(['node-1', 'node-2'].map((node) => ({ node, stale: staleRules(state, node, now), rules: state.proxyTable(node)?.status.services.find((s) => s.service === 'default/solo')?.endpoints.map((e) => e.ip) }))).toEqual([
    { node: 'node-1', stale: [], rules: [ip] },
    { node: 'node-2', stale: [], rules: [ip] },
  ]);
  // The round ended at its win: its clock did not run on with the class.
  expect(instructor.round).toMatchObject({ phase: 'won', elapsedSeconds: end.elapsedSeconds, endedAtSim: end.endedAtSim });
  expect(await server.cluster.rounds.view(id)).toMatchObject({ phase: 'won', elapsedSeconds: end.elapsedSeconds });
});
