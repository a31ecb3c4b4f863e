/**
 * Scenario 1 played by four students with their bots' help off: each does only what its screen
 * highlights (the rulebook's next move, on the state its own watch folded, at its own clock), as
 * the browser's moves panel offers it, and waits for the watch to bring what it wrote before the
 * next. The round is won; the controller manager makes every move scenario 1 needs of it (the
 * ReplicaSet's three pods, the Service's endpoints) and nobody is refused once.
 */
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { allObjects } from '@shared/protocol/watch-reducer';
import type { Role } from '@shared/protocol';
import { ClusterState, nextMove } from '@shared/sim';
import type { RunningServer } from '../app';
import { assignRoles, classroomWith, connectCluster, type ClusterClient } from '../cluster/testing/cluster-client';
import { startTestServer } from '../testing/test-server';
import { roundClient, roundIs } from './testing';

let server: RunningServer;
const clients: ClusterClient[] = [];

beforeAll(async () => {
  server = await startTestServer({ REDIS_KEY_PREFIX: `${inject('redisKeyPrefix')}-students-round`, SOCKET_RATE_PER_SECOND: '1000', SOCKET_RATE_BURST: '1000' });
});

afterAll(async () => {
  for (const c of clients) c.close();
  await server?.close();
});

const ROLES: Record<string, Role> = { Sam: 'scheduler', Cleo: 'controller-manager', Kim: 'kubelet:node-1', Rui: 'container-runtime:node-1' };

interface Played {
  moves: string[];
  refused: string[];
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Clicks the highlighted move whenever there is one, as a student's screen offers it, until `done`. */
async function followHighlight(client: ClusterClient, role: Role, done: () => boolean): Promise<Played> {
  const played: Played = { moves: [], refused: [] };
  while (!done()) {
    const move = nextMove(role, ClusterState.from(allObjects(client.state)), client.simNow());
    if (!move) {
      await pause(20);
      continue;
    }
    const reply = await client.act(move.action);
    if (!reply.ok) {
      played.refused.push(`${move.label}: ${reply.message}`);
      await pause(20);
      continue;
    }
    played.moves.push(move.label);
    // The screen waits for the watch to show what the move wrote before it offers the next.
    if (reply.resourceVersion !== undefined) await client.reached(reply.resourceVersion);
  }
  return played;
}

test('four students with no bot help, each clicking only the highlighted move, win "first-deployment"; the controller manager makes its moves', { timeout: 90_000 }, async () => {
  const classroom = await classroomWith(server.url, Object.keys(ROLES), { nodes: 3 });
  const instructor = await roundClient(server.url, classroom.instructorToken);
  clients.push(instructor);
  const students = new Map<string, ClusterClient>();
  for (const [name, { token }] of classroom.students) {
    const client = await connectCluster(server.url, token);
    clients.push(client);
    students.set(name, client);
  }
  await assignRoles(instructor, classroom, ROLES);
  for (const role of Object.values(ROLES)) expect(await instructor.instructor({ kind: 'setBotHelp', role, enabled: false })).toMatchObject({ ok: true });
  for (const action of [{ kind: 'setTimeScale', timeScale: 10 }, { kind: 'setBotPace', secondsPerAction: 2 }, { kind: 'runScenario', scenario: 'first-deployment', seed: 7 }] as const) {
    expect(await instructor.instructor(action)).toMatchObject({ ok: true });
  }
  await roundIs(instructor, ['briefing'], 'the briefing');
  expect(await instructor.instructor({ kind: 'startRound' })).toMatchObject({ ok: true });
  await roundIs(instructor, ['running'], 'the round running');

  let ended = false;
  const playing = Promise.all(Object.entries(ROLES).map(([name, role]) => followHighlight(students.get(name) as ClusterClient, role, () => ended)));
  const end = await roundIs(instructor, ['won', 'lost'], 'the end of the round', 60_000).finally(() => (ended = true));
  const results = await playing;
  const of = (name: string): Played => results[Object.keys(ROLES).indexOf(name)] as Played;

  expect({ phase: end.phase, unmet: end.goals.filter((g) => !g.met).map((g) => g.text) }).toEqual({ phase: 'won', unmet: [] });
  expect(Object.fromEntries(Object.keys(ROLES).map((name) => [name, of(name).refused]))).toEqual({ Sam: [], Cleo: [], Kim: [], Rui: [] });
  const cleo = of('Cleo').moves;
  expect(cleo.filter((m) => m.startsWith('Create a pod for web-'))).toHaveLength(3);
  expect(cleo).toContain('Update endpoints of web');
  expect(cleo).toContain('Sync deployment web');
  expect(of('Sam').moves.filter((m) => m.startsWith('Bind '))).toHaveLength(3);
  expect(of('Kim').moves).toContain('Start container web');
});

test('a student named "scenario" plays the controller manager in "node-dies": the node it marks Unknown and the pod it evicts are the cluster\'s moments, named for her, and the debrief measures one recovery, from the scenario\'s fault', { timeout: 120_000 }, async () => {
  // Lower case: the name the scenario's own marks were told by, when a mark had only a name to say what made it.
  const classroom = await classroomWith(server.url, ['scenario']);
  const instructor = await roundClient(server.url, classroom.instructorToken);
  clients.push(instructor);
  const student = await connectCluster(server.url, classroom.students.get('scenario')?.token ?? '');
  clients.push(student);
  for (const action of [{ kind: 'setTimeScale', timeScale: 10 }, { kind: 'setBotPace', secondsPerAction: 2 }, { kind: 'runScenario', scenario: 'node-dies', seed: 7 }] as const) {
    expect(await instructor.instructor(action)).toMatchObject({ ok: true });
  }
  await roundIs(instructor, ['briefing'], 'the briefing');
  await assignRoles(instructor, classroom, { scenario: 'controller-manager' });
  expect(await instructor.instructor({ kind: 'setBotHelp', role: 'controller-manager', enabled: false })).toMatchObject({ ok: true });
  expect(await instructor.instructor({ kind: 'startRound' })).toMatchObject({ ok: true });
  await roundIs(instructor, ['running'], 'the round running');

  let ended = false;
  const playing = followHighlight(student, 'controller-manager', () => ended);
  const end = await roundIs(instructor, ['won', 'lost'], 'the end of the round', 100_000).finally(() => (ended = true));
  const played = await playing;
  expect({ phase: end.phase, unmet: end.goals.filter((g) => !g.met).map((g) => g.text), refused: played.refused }).toEqual({ phase: 'won', unmet: [], refused: [] });

  const faults = end.timeline.filter((m) => m.kind === 'fault');
  expect(faults.find((m) => m.text === 'the kubelet on node-2 is stopped')).toEqual({ atSeconds: expect.any(Number), kind: 'fault', text: 'the kubelet on node-2 is stopped', by: 'scenario' });
  expect(faults.find((m) => m.text === 'node-2 Ready: Unknown')).toEqual({ atSeconds: expect.any(Number), kind: 'fault', text: 'node-2 Ready: Unknown', by: 'cluster', actor: 'scenario' });
  expect(faults.filter((m) => / evicted from node-2: Terminating$/.test(m.text)).map((m) => [m.by, m.actor])).toEqual([['cluster', 'scenario']]);
  expect(end.debrief?.recoveries.map((r) => r.fault)).toEqual(['the kubelet on node-2 is stopped']);
  // Her moves are scored as a player's.
  expect(end.scores.find((s) => s.memberId === classroom.students.get('scenario')?.studentId)).toMatchObject({ name: 'scenario', role: 'controller-manager', refusals: 0 });
});
