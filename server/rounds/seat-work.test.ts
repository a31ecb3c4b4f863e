/**
 * A component's own work counts for whoever holds its seat: while Kim holds node-1's kubelet, its
 * heartbeat (the node Lease renewed every 10 s) is the kubelet's work and so hers, in the debrief
 * and in the scores, though she made no move. Never a bot's: no bot plays a seat a student holds.
 */
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import type { RunningServer } from '../app';
import { assignRoles, classroomWith, connectCluster, type ClusterClient } from '../cluster/testing/cluster-client';
import { startTestServer } from '../testing/test-server';
import { roundClient, roundIs, type RoundClient } from './testing';

let server: RunningServer;
const clients: (RoundClient | ClusterClient)[] = [];

beforeAll(async () => {
  server = await startTestServer({ REDIS_KEY_PREFIX: `${inject('redisKeyPrefix')}-seat-work`, SOCKET_RATE_PER_SECOND: '1000', SOCKET_RATE_BURST: '1000' });
});

afterAll(async () => {
  for (const c of clients) c.close();
  await server?.close();
});

// The one pod is pinned to node-2: node-1's kubelet has nothing to start, only its heartbeat to keep.
const SCENARIO = `
id: pinned
title: One pod on node-2
objective: One pod Running on node-2 while node-1 stays Ready.
briefing: Two nodes; the pod goes to node-2.
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
          nodeSelector: { kubernetes.io/hostname: node-2 }
          containers: [{ name: solo, image: busybox:1.36, command: [sleep, "3600"] }]
goals:
  - id: ready
    check: deployment/solo readyReplicas == 1
debrief:
  - node-2's kubelet started the pod; node-1's kept its Lease renewed.
`;

test("the kubelet's heartbeat while a student holds its seat is the student's work: the debrief names her, her score counts the goal, no bot stands in", { timeout: 90_000 }, async () => {
  const classroom = await classroomWith(server.url, ['Kim']);
  const kim = classroom.students.get('Kim');
  if (!kim) throw new Error('no Kim');
  const instructor = await roundClient(server.url, classroom.instructorToken);
  clients.push(instructor);
  const upload = await fetch(`${server.url}/api/classrooms/${classroom.id}/scenarios`, {
    method: 'POST',
    headers: { authorization: `Bearer ${classroom.instructorToken}`, 'content-type': 'application/yaml' },
    body: SCENARIO,
  });
  expect(upload.status).toBe(201);
  // Time at 5x and bots every 2 simulated s: the pod takes several heartbeats of node-1 to get Ready.
  for (const action of [{ kind: 'setTimeScale', timeScale: 5 }, { kind: 'setBotPace', secondsPerAction: 2 }, { kind: 'runScenario', scenario: 'pinned', seed: 7 }] as const) {
    expect(await instructor.instructor(action)).toMatchObject({ ok: true });
  }
  await roundIs(instructor, ['briefing'], 'the briefing');
  await assignRoles(instructor, classroom, { Kim: 'kubelet:node-1' });
  // Kim is connected (her kubelet runs) and never moves.
  clients.push(await connectCluster(server.url, kim.token));
  expect(await instructor.instructor({ kind: 'startRound' })).toMatchObject({ ok: true });
  const end = await roundIs(instructor, ['won', 'lost'], 'the end of the round', 60_000);
  expect(end.phase).toBe('won');

  // The goal is marked at the simulated time of the write that met it (the Deployment's status
  // counting the ready replica), not at the coalesced look that noticed it a moment later.
  const met = instructor.batches.flat().find((e) => e.object.kind === 'Deployment' && e.object.metadata.name === 'solo' && e.object.status?.readyReplicas === 1);
  expect(met).toBeDefined();
  expect(end.goals[0]?.metAtSeconds).toBe(Math.round(((met?.simTime ?? 0) - (end.startedAtSim ?? 0)) / 100) / 10);
  expect(end.timeline.find((m) => m.kind === 'goal')?.atSeconds).toBe(end.goals[0]?.metAtSeconds);

  const kubelets = (end.goals[0]?.achievedBy ?? []).filter((a) => a.component === 'kubelet');
  expect(kubelets.map((a) => a.name).sort()).toEqual(['Kim', 'bot (kubelet:node-2)']);
  expect(kubelets.find((a) => a.name === 'Kim')?.memberId).toBe(kim.studentId);
  // No move of hers, one goal her component reached: 20 points, no refusal, no bot row for her seat.
  expect(end.scores.find((s) => s.memberId === kim.studentId)).toEqual({ memberId: kim.studentId, name: 'Kim', role: 'kubelet:node-1', score: 20, refusals: 0, accepted: 0 });
  expect(end.scores.map((s) => s.memberId)).not.toContain('bot:kubelet:node-1');
  expect(end.activity.find((a) => a.memberId === kim.studentId)).toMatchObject({ accepted: 0, refusals: 0 });

  const current = await fetch(`${server.url}/api/classrooms/${classroom.id}/rounds/current`, { headers: { authorization: `Bearer ${kim.token}` } });
  expect(current.status).toBe(200);
  const body = (await current.json()) as { scores: { memberId: string; name: string; score: number }[] };
  expect(body.scores).toContainEqual({ memberId: kim.studentId, name: 'Kim', score: 20 });
});
