/**
 * A goal is reached by whoever made the change that met it and by every player whose component did
 * the work it depended on. While Kim holds node-1's kubelet and makes no move, its heartbeat (the
 * node Lease renewed every 10 s) keeps node-1 Ready: her kubelet's work. The change that met the goal
 * is the controller manager's (the Deployment's status counting the ready pod): the debrief names its
 * bot first, and the timeline's mark names it alone; Kim is named with the other kubelet and gets the
 * goal's points. A goal true before anything happened (no pod on node-1: the pod is pinned to node-2)
 * is no one's. No bot plays a seat a student holds.
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
  - id: node-1-empty
    check: node/node-1 pods == 0
debrief:
  - node-2's kubelet started the pod; node-1's kept its Lease renewed.
`;

test('the goal is the controller manager\'s whose write met it and the idle kubelet student\'s whose heartbeat kept her node Ready; a goal true from the start is nobody\'s; no bot stands in for her', { timeout: 90_000 }, async () => {
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

  expect(met?.actor).toBe('bot:controller-manager');
  // The write's author first, then the players of the goal's components who did work (sorted by actor: bots, then Kim).
  expect(end.goals[0]?.achievedBy).toEqual([
    { component: 'kube-controller-manager', memberId: null, name: 'bot (controller-manager)' },
    { component: 'kube-scheduler', memberId: null, name: 'bot (scheduler)' },
    { component: 'kubelet', memberId: null, name: 'bot (kubelet:node-2)' },
    { component: 'kubelet', memberId: kim.studentId, name: 'Kim' },
    { component: 'container-runtime', memberId: null, name: 'bot (container-runtime:node-2)' },
  ]);
  // The replay's mark names who made it true.
  expect(end.timeline.find((m) => m.kind === 'goal')?.actor).toBe('bot (controller-manager)');
  // No pod was ever on node-1: true from the start, reached by no one, on no timeline.
  expect(end.goals[1]).toEqual({ id: 'node-1-empty', text: 'node/node-1 pods == 0', about: 'no pod on node-1 but Terminating ones', met: true, metAtSeconds: 0, achievedBy: [], heldFromStart: true });
  expect(end.timeline.filter((m) => m.text.includes('node-1'))).toEqual([]);
  // No move of hers (0 move points), one goal her kubelet's work counted for (20), no speed (no pod
  // on node-1), none for the goal true from the start: 20 points, no refusal, no bot row for her seat.
  expect(end.scores.find((s) => s.memberId === kim.studentId)).toEqual({ memberId: kim.studentId, name: 'Kim', role: 'kubelet:node-1', score: 20, refusals: 0, accepted: 0 });
  const cm = end.scores.find((s) => s.memberId === 'bot:controller-manager');
  expect(cm?.score).toBe(10 * (cm?.accepted ?? 0) - 5 * (cm?.refusals ?? 0) + 20);
  expect(end.scores.map((s) => s.memberId)).not.toContain('bot:kubelet:node-1');
  expect(end.activity.find((a) => a.memberId === kim.studentId)).toMatchObject({ accepted: 0, refusals: 0 });

  const current = await fetch(`${server.url}/api/classrooms/${classroom.id}/rounds/current`, { headers: { authorization: `Bearer ${kim.token}` } });
  expect(current.status).toBe(200);
  const body = (await current.json()) as { scores: { memberId: string; name: string; score: number }[] };
  expect(body.scores).toContainEqual({ memberId: kim.studentId, name: 'Kim', score: 20 });
});
