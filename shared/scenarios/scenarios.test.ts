import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeDeployment, makeNode, makePod, type Deployment, type KubeObject } from '@shared/model';
import type { ApiRequestEntry } from '@shared/protocol';
import { ClusterState } from '@shared/sim';
import type { MemberView, RoleSeatView } from '@shared/protocol';
import { achievers, activityOf, markWhoText, authorsOf, componentsOf, concerns, countsFrom, credited, evaluateGoals, GoalWatch, parseCheck, parseScenario, recoveries, scorePlayers, scoreTeams, waitWords, SCENARIO_ACTOR, type PlayerTally } from './index';

const BUILTIN = path.join(import.meta.dirname, 'builtin');
const firstDeployment = readFileSync(path.join(BUILTIN, '1-first-deployment.yaml'), 'utf8');

function refused(text: string): string {
  const parsed = parseScenario(text);
  if (parsed.ok) throw new Error('expected a refusal');
  return parsed.message;
}

describe('scenario files', () => {
  it('every built-in scenario parses, with unique ids', () => {
    const ids = readdirSync(BUILTIN).map((f) => {
      const parsed = parseScenario(readFileSync(path.join(BUILTIN, f), 'utf8'));
      if (!parsed.ok) throw new Error(`${f}: ${parsed.message}`);
      return parsed.scenario.id;
    });
    expect(ids.length).toBeGreaterThanOrEqual(7);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it.each([
    ['a goal whose check names no field', firstDeployment.replace('deployment/web readyReplicas == 3', 'deployment/web readyReplica == 3'), /^goals\[0\]\.check: deployment has no field "readyReplica"/],
    ['availability without a window', firstDeployment.replace('availability >= 0.9 over 10s', 'availability >= 0.9'), /^goals\[2\]\.check: availability is measured over a window/],
    ['a negative replica count in a manifest', firstDeployment.replace('replicas: 3', 'replicas: -1'), /^workloads\[0\]\.spec\.replicas: Invalid value: -1/],
    ['a manifest of a kind a scenario cannot hold', firstDeployment.replace('kind: Service', 'kind: Secret'), /^workloads\[1\]\.kind: must be Deployment, Service or Pod, not "Secret"/],
    ['a node out of order', firstDeployment.replace('name: node-2,', 'name: node-5,'), /^nodes\[1\]\.name: must be node-2/],
    ['a taint with an unknown effect', firstDeployment.replace('{ name: node-1, cpu: "2", memory: 4Gi }', '{ name: node-1, taints: [{ key: a, effect: Never }] }'), /^nodes\[0\]\.taints\[0\]\.effect: /],
    ['a step with an unknown action', firstDeployment.replace('type: traffic', 'type: meteor'), /^steps\[0\]\.action\.type: /],
    ['a step waiting on a check it cannot read', firstDeployment.replace('  - at: 0\n', '  - at: 0\n    when: deployment/web readyReplica == 3\n'), /^steps\[0\]\.when: deployment has no field "readyReplica"/],
    ['a missing time limit', firstDeployment.replace('timeLimitSeconds: 300\n', ''), /^timeLimitSeconds: /],
    ['a goal after nothing the scenario names', firstDeployment.replace('    check: service/web endpoints == 3\n', '    check: service/web endpoints == 3\n    after: meteor\n'), /^goals\[1\]\.after: Not found: "meteor" is no step's id nor an earlier goal's/],
    ['a goal after a later goal', firstDeployment.replace('    check: service/web endpoints == 3\n', '    check: service/web endpoints == 3\n    after: served\n'), /^goals\[1\]\.after: Not found: "served"/],
    ['a step and a goal of one id', firstDeployment.replace('  - at: 0\n', '  - id: served\n    at: 0\n'), /^goals\[2\]\.id: Duplicate value: "served"/],
    ['an unknown field', `${firstDeployment}\nextra: 1\n`, /Unrecognized key: "extra"/],
  ])('refuses %s, naming the field path', (_what, text, message) => {
    expect(refused(text)).toMatch(message);
  });

  it('a goal about recovering from a fault waits for it: "A worker node dies" counts none of its goals before node-2 goes down, three pods Ready again only once its pod is evicted', () => {
    const parsed = parseScenario(readFileSync(path.join(BUILTIN, '3-node-dies.yaml'), 'utf8'));
    if (!parsed.ok) throw new Error(parsed.message);
    const { scenario } = parsed;
    const goal = (id: string): { after?: string } => scenario.goals.find((g) => g.id === id) ?? {};
    const from = (id: string, stepsDone: Record<string, number>, firstMet: Record<string, number>) => countsFrom(goal(id), scenario, 1000, stepsDone, firstMet);
    // Before the fault (three pods Ready, no pod on node-2 yet): no goal counts.
    expect(['node-not-ready', 'node-drained', 'replicas-ready'].map((id) => from(id, {}, { 'replicas-ready': 5000 }))).toEqual([undefined, undefined, undefined]);
    // node-2 went down at 40 s (step 0): its NotReady and its drain count from then; three pods Ready again only from the drain.
    expect(['node-not-ready', 'node-drained', 'replicas-ready'].map((id) => from(id, { 0: 40_000 }, {}))).toEqual([40_000, 40_000, undefined]);
    expect(from('replicas-ready', { 0: 40_000 }, { 'node-drained': 120_000 })).toBe(120_000);
    // What the screens say each waits for: the step's note, the earlier goal by its title (its whole
    // about line, listed just above, was repeated: "no pod on node-2 but Terminating ones: its pod is evicted after …").
    expect(scenario.goals.map((g) => waitWords(g, scenario))).toEqual(["node-2's machine goes down", "node-2's machine goes down", "node-2's pod evicted"]);
    // An earlier goal without a title: its check told in words, not its about line.
    const untitled = { ...scenario, goals: scenario.goals.map(({ title: _title, ...g }) => g) };
    expect(waitWords(goal('replicas-ready'), untitled)).toBe('no pod on node-2 but Terminating ones');
    // A goal with no `after` counts from the round's start.
    expect(countsFrom({}, scenario, 1000, {}, {})).toBe(1000);
  });

  it('no built-in goal holds before the fault it is about: each waits for the step or goal that brings it about', () => {
    const afters = Object.fromEntries(
      readdirSync(BUILTIN).map((f) => {
        const parsed = parseScenario(readFileSync(path.join(BUILTIN, f), 'utf8'));
        if (!parsed.ok) throw new Error(parsed.message);
        return [parsed.scenario.id, parsed.scenario.goals.flatMap((g) => (g.after ? [`${g.id} after ${g.after}`] : []))];
      }),
    );
    expect(afters).toEqual({
      'first-deployment': [],
      'out-of-room': [],
      'node-dies': ['node-not-ready after node-2-down', 'node-drained after node-2-down', 'replicas-ready after node-drained'],
      crashloop: [],
      'rolling-update': ['served after release'],
      placement: [],
      'etcd-read-only': [],
    });
  });

  it('refuses text that is not YAML', () => {
    expect(refused('id: [unclosed')).toMatch(/^the scenario is not valid YAML/);
  });
});

describe('goal checks', () => {
  it.each([
    ['deployment/web readyReplicas == 3', { resource: 'deployment', name: 'web', field: 'readyReplicas', op: '==', value: 3 }],
    ['service/web availability >= 0.99 over 60s', { resource: 'service', name: 'web', field: 'availability', op: '>=', value: 0.99, windowSeconds: 60 }],
    ['node/node-2 pods == 0', { resource: 'node', name: 'node-2', field: 'pods', op: '==', value: 0 }],
    ['deployment/web image == nginx:1.28', { resource: 'deployment', name: 'web', field: 'image', op: '==', value: 'nginx:1.28' }],
  ])('reads %s', (text, check) => {
    expect(parseCheck(text)).toEqual({ ok: true, check });
  });

  it.each(['pod/web ready == 1', 'deployment/web image > nginx', 'node/node-1 pods == many', 'service/web availability >= 2 over 10s', 'node/node-1 pods == 0 over 5s'])('refuses %s', (text) => {
    expect(parseCheck(text).ok).toBe(false);
  });

  const start = Date.UTC(2026, 10, 30, 10, 0, 0);
  const route = (at: number, served: boolean): ApiRequestEntry => ({
    id: String(at),
    wallTime: 0,
    simTime: start + at * 1000,
    actor: 'bot:kube-proxy:node-1',
    actorName: 'bot',
    role: 'kube-proxy:node-1',
    verb: 'routeRequest',
    target: 'services/web',
    outcome: 'accepted',
    message: served ? 'served by web-1 (10.244.0.2)' : 'dial tcp 10.96.0.10: connect: connection refused (no endpoints programmed on node-1)',
  });

  function cluster(): ClusterState {
    const deployment = makeDeployment('web', { replicas: 3 });
    deployment.metadata.generation = 2;
    deployment.status = { observedGeneration: 2, replicas: 3, readyReplicas: 2, updatedReplicas: 3 };
    const objects: KubeObject[] = [
      makeNode('node-1'),
      makeNode('node-2', { ready: false }),
      deployment,
      makePod('web-a', { nodeName: 'node-2' }),
      { ...makePod('web-b', { nodeName: 'node-2' }), metadata: { name: 'web-b', namespace: 'default', deletionTimestamp: '2026-11-30T10:00:00Z' } },
    ];
    return ClusterState.from(objects);
  }

  it('measures counts, images, nodes and availability windows, with progress', () => {
    const goals = [
      { id: 'ready', check: 'deployment/web readyReplicas == 3' },
      { id: 'updated', check: 'deployment/web updatedReplicas == 3' },
      { id: 'image', check: 'deployment/web image == nginx:1.27' },
      { id: 'down', check: 'node/node-2 ready == 0' },
      { id: 'drained', check: 'node/node-2 pods == 0' },
      { id: 'served', check: 'service/web availability >= 0.75 over 4s' },
    ];
    // 10 s in: in the last 4 s, 3 of 4 requests were served (the refused one at 6 s is outside).
    const requests = [route(6, false), route(7, true), route(8, true), route(9, false), route(10, true)];
    expect(evaluateGoals({ goals }, cluster(), requests, start + 10_000, start)).toEqual([
      { id: 'ready', text: 'deployment/web readyReplicas == 3', about: '3 pods of web Ready', met: false, progress: { current: 2, target: 3 } },
      { id: 'updated', text: 'deployment/web updatedReplicas == 3', about: '3 pods of web updated to its current version', met: true, progress: { current: 3, target: 3 } },
      { id: 'image', text: 'deployment/web image == nginx:1.27', about: 'web asks for the image nginx:1.27', met: true },
      // Met by taking away: no bar (it would read "1/0").
      { id: 'down', text: 'node/node-2 ready == 0', about: 'node-2 is not Ready', met: true },
      // web-b is Terminating: it is not counted, web-a is.
      { id: 'drained', text: 'node/node-2 pods == 0', about: 'no pod on node-2 but Terminating ones', met: false },
      { id: 'served', text: 'service/web availability >= 0.75 over 4s', about: 'the Service web answers at least 75% of its requests over 4 s', met: true, progress: { current: 75, target: 75, percent: true } },
    ]);
  });

  it('[placement] the tainted node\'s goal is met once the trainer is bound there, Pending or not: its words say bound, not runs', () => {
    const parsed = parseScenario(readFileSync(path.join(BUILTIN, '6-placement.yaml'), 'utf8'));
    if (!parsed.ok) throw new Error(parsed.message);
    const goals = parsed.scenario.goals.filter((g) => g.id === 'gpu-node-reserved');
    // The trainer just bound to node-3, its image not pulled yet: the goal holds (the trial's debrief said "runs" 1:51 before it ran).
    const state = ClusterState.from([makeNode('node-3'), makePod('trainer-x', { nodeName: 'node-3' })]);
    expect(state.pod('default/trainer-x')?.status?.phase).toBe('Pending');
    expect(evaluateGoals({ goals }, state, [], start, start)).toEqual([
      { id: 'gpu-node-reserved', text: 'node/node-3 pods == 1', about: 'only the trainer is bound to the tainted node (running or not yet)', met: true, progress: { current: 1, target: 1 } },
    ]);
  });

  it('shows no bar past the target of an ==: 4 pods during a surge for "replicas == 3" is not "4/3"', () => {
    const goals = [{ id: 'all', check: 'deployment/web replicas == 3' }, { id: 'served', check: 'service/web availability >= 0.8 over 4s' }];
    const state = cluster();
    const deployment = state.get('Deployment', 'default/web');
    if (!deployment) throw new Error('no deployment');
    state.apply('MODIFIED', { ...deployment, status: { ...deployment.status, replicas: 4 } });
    const [all, served] = evaluateGoals({ goals }, state, [route(9, false), route(10, true)], start + 10_000, start);
    expect(all).toEqual({ id: 'all', text: 'deployment/web replicas == 3', about: '3 pods of web in all', met: false });
    expect(served?.progress).toEqual({ current: 50, target: 80, percent: true });
  });

  it("shows a goal in the scenario's words, else its check told in words", () => {
    const [own, told, one] = evaluateGoals(
      {
        goals: [
          { id: 'own', check: 'node/node-2 ready == 0', about: 'the control plane noticed node-2 is gone' },
          { id: 'told', check: 'service/web endpoints >= 2' },
          { id: 'one', check: 'deployment/web availableReplicas == 1' },
        ],
      },
      cluster(),
      [],
      start,
      start,
    );
    expect([own?.about, told?.about, one?.about]).toEqual(['the control plane noticed node-2 is gone', 'the Service web has at least 2 ready endpoints', '1 pod of web available']);
    expect(own?.text).toBe('node/node-2 ready == 0');
  });

  it('waits for a window to be full, and counts a spec change the controller has not seen as not rolled out', () => {
    const state = cluster();
    const deployment = state.get('Deployment', 'default/web');
    if (!deployment) throw new Error('no deployment');
    state.apply('MODIFIED', { ...deployment, metadata: { ...deployment.metadata, generation: 3 } });
    const goals = [
      { id: 'served', check: 'service/web availability >= 0.5 over 60s' },
      { id: 'updated', check: 'deployment/web updatedReplicas == 3' },
    ];
    const [served, updated] = evaluateGoals({ goals }, state, [route(1, true)], start + 10_000, start);
    expect(served?.met).toBe(false);
    expect(updated).toMatchObject({ met: false, progress: { current: 0, target: 3 } });
  });
});

describe('a goal of several conditions on one object', () => {
  const start = Date.UTC(2026, 10, 30, 10, 0, 0);
  const text = 'deployment/shop image == shop:1.1 and updatedReplicas == 2 and replicas == 2 and availableReplicas == 2';
  const goals = [{ id: 'rolled-out', check: text }];
  const about = 'shop asks for the image shop:1.1, 2 pods of shop updated to its current version, 2 pods of shop in all and 2 pods of shop available';
  /** The Deployment as the controller reports it: `image` in its template, its counts observed. */
  function shop(image: string, status: { updatedReplicas: number; replicas: number; availableReplicas: number }): ClusterState {
    const deployment = makeDeployment('shop', { replicas: 2, image });
    deployment.metadata.generation = 2;
    deployment.status = { observedGeneration: 2, readyReplicas: status.availableReplicas, ...status };
    return ClusterState.from([deployment]);
  }

  it('reads each condition, on the same object', () => {
    expect(parseCheck('deployment/shop image == shop:1.1 and updatedReplicas == 2')).toEqual({
      ok: true,
      check: { resource: 'deployment', name: 'shop', field: 'image', op: '==', value: 'shop:1.1', and: [{ field: 'updatedReplicas', op: '==', value: 2 }] },
    });
    expect(parseCheck('deployment/shop image == shop:1.1 and pods == 2')).toEqual({ ok: false, message: 'deployment has no field "pods" to check: use replicas, readyReplicas, availableReplicas, updatedReplicas, unavailableReplicas, image' });
    expect(parseCheck('deployment/shop image == shop:1.1 and node/node-1 pods == 0').ok).toBe(false);
  });

  it('[Deployment status] the crashing version\'s own ReplicaSet counts as updated: only the fixed image with its two pods available meets the goal', () => {
    // shop:1.0's pods are its newest ReplicaSet's: updatedReplicas == 2 without the fix.
    expect(evaluateGoals({ goals }, shop('shop:1.0-crashloop', { updatedReplicas: 2, replicas: 2, availableReplicas: 2 }), [], start, start)).toEqual([{ id: 'rolled-out', text, about, met: false }]);
    // The fix is rolling out: the bar counts the first condition still to meet.
    expect(evaluateGoals({ goals }, shop('shop:1.1', { updatedReplicas: 1, replicas: 3, availableReplicas: 2 }), [], start, start)).toEqual([{ id: 'rolled-out', text, about, met: false, progress: { current: 1, target: 2 } }]);
    expect(evaluateGoals({ goals }, shop('shop:1.1', { updatedReplicas: 2, replicas: 2, availableReplicas: 2 }), [], start, start)).toEqual([{ id: 'rolled-out', text, about, met: true, progress: { current: 2, target: 2 } }]);
  });
});

describe('who reaches a goal', () => {
  const members: MemberView[] = [
    { id: 'i1', name: 'Ms Ada', kind: 'instructor', connected: true, role: null },
    { id: 'k1', name: 'Kim', kind: 'student', connected: true, role: 'controller-manager' },
    { id: 'l1', name: 'Lee', kind: 'student', connected: true, role: 'container-runtime:node-1' },
  ];
  const seat = (role: RoleSeatView['role'], studentIds: string[]): RoleSeatView => ({ role, studentIds, leaderId: studentIds[0] ?? null, bot: studentIds.length ? 'standby' : 'playing', botHelp: true });
  const room = { members, seats: [seat('controller-manager', ['k1']), seat('container-runtime:node-1', ['l1']), seat('container-runtime:node-2', []), seat('kubelet:node-2', [])] };
  const pod = (node: string) => ({ ...makePod('web-a', { nodeName: node }) });

  it.each([
    ['a student’s move: that student, as their component', 'student:k1', pod('node-2'), { actors: ['student:k1'], achievers: [{ component: 'kube-controller-manager', memberId: 'k1', name: 'Kim' }] }],
    ['a bot’s move: that bot', 'bot:scheduler', pod('node-2'), { actors: ['bot:scheduler'], achievers: [{ component: 'kube-scheduler', memberId: null, name: 'bot (scheduler)' }] }],
    ['the instructor’s request: the instructor, no player', 'instructor', makeDeployment('web'), { actors: [], achievers: [{ component: 'instructor', memberId: 'i1', name: 'Ms Ada' }], by: 'instructor' }],
    ['a runtime call finishing on its timer: whoever holds that node’s runtime seat', 'system:criCallDue', pod('node-1'), { actors: ['student:l1'], achievers: [{ component: 'container-runtime', memberId: 'l1', name: 'Lee' }] }],
    ['the same on a node whose seat the bot plays: its bot', 'system:criCallDue', pod('node-2'), { actors: ['bot:container-runtime:node-2'], achievers: [{ component: 'container-runtime', memberId: null, name: 'bot (container-runtime:node-2)' }] }],
    ['the kubelet’s heartbeat: whoever holds the kubelet seat', 'system:node:node-2', makeNode('node-2'), { actors: ['bot:kubelet:node-2'], achievers: [{ component: 'kubelet', memberId: null, name: 'bot (kubelet:node-2)' }] }],
    ['the scenario’s setup: nobody', 'instructor-setup', makeNode('node-2'), { actors: [], achievers: [] }],
    ['the scenario’s step (a new image released): the scenario, no player', SCENARIO_ACTOR, makeDeployment('shop'), { actors: [], achievers: [], by: 'scenario' }],
    ['leader election: nobody', 'system:leader-election', makeNode('node-2'), { actors: [], achievers: [] }],
  ])('%s', (_what, actor, object, authors) => {
    expect(authorsOf(actor, object, room)).toEqual(authors);
  });

  it('credits the author of the change that met a goal first, then every player whose component did the work, each once', () => {
    const check = parseCheck('deployment/web readyReplicas == 3');
    if (!check.ok) throw new Error(check.message);
    const tally = (actor: string, name: string, role: PlayerTally['role'], work: Partial<PlayerTally>): PlayerTally => ({ actor, name, role, accepted: 0, refused: 0, bindWaitMs: 0, binds: 0, ...work });
    const players = [
      tally('student:k1', 'Kim', 'controller-manager', { accepted: 4 }),
      tally('bot:scheduler', 'bot (scheduler)', 'scheduler', { accepted: 3 }),
      tally('student:l1', 'Lee', 'container-runtime:node-1', { automatic: 2 }),
      tally('bot:kubelet:node-2', 'bot (kubelet:node-2)', 'kubelet:node-2', { accepted: 5 }),
      // Not a component the goal depends on: not credited.
      tally('bot:kube-proxy:node-1', 'bot (kube-proxy:node-1)', 'kube-proxy:node-1', { accepted: 9 }),
    ];
    const contributors = achievers(players, componentsOf(check.check));
    const web = makeDeployment('web');
    // Kim's controller manager wrote the status: named first, once, then the others in the goal's components' order.
    expect(credited(authorsOf('student:k1', web, room), contributors)).toEqual({
      actors: ['student:k1', 'bot:scheduler', 'bot:kubelet:node-2', 'student:l1'],
      achievers: [
        { component: 'kube-controller-manager', memberId: 'k1', name: 'Kim' },
        { component: 'kube-scheduler', memberId: null, name: 'bot (scheduler)' },
        { component: 'kubelet', memberId: null, name: 'bot (kubelet:node-2)' },
        { component: 'container-runtime', memberId: 'l1', name: 'Lee' },
      ],
    });
    // A bot author is the same bot as its tally (by name): once.
    expect(credited(authorsOf('bot:scheduler', pod('node-2'), room), contributors).achievers.map((a) => a.name)).toEqual(['bot (scheduler)', 'Kim', 'bot (kubelet:node-2)', 'Lee']);
    // The instructor's request met it: the instructor alone, no points to anyone (the players' components did not make that change).
    expect(credited(authorsOf('instructor', web, room), contributors)).toEqual({ actors: [], achievers: [{ component: 'instructor', memberId: 'i1', name: 'Ms Ada' }], by: 'instructor' });
    // The scenario's own step met it (crashloop's shop:1.1 released at 0:45): nobody in the class, though four players' components were at work.
    expect(credited(authorsOf(SCENARIO_ACTOR, makeDeployment('shop'), room), contributors)).toEqual({ actors: [], achievers: [], by: 'scenario' });
    // A window goal, met by time passing: its contributors alone.
    expect(credited({ actors: [], achievers: [] }, contributors)).toEqual(contributors);
  });

  it('a change concerns a goal when it writes the object the goal reads', () => {
    const check = (text: string) => {
      const parsed = parseCheck(text);
      if (!parsed.ok) throw new Error(parsed.message);
      return parsed.check;
    };
    expect(concerns(check('node/node-2 pods == 0'), pod('node-2'))).toBe(true);
    expect(concerns(check('node/node-2 pods == 0'), pod('node-1'))).toBe(false);
    expect(concerns(check('node/node-2 ready == 0'), makeNode('node-2'))).toBe(true);
    expect(concerns(check('deployment/web readyReplicas == 3'), makeDeployment('web'))).toBe(true);
    expect(concerns(check('deployment/web readyReplicas == 3'), makeDeployment('shop'))).toBe(false);
  });

  describe('the change that met a goal, among a batch of changes', () => {
    const goal = (id: string, text: string) => {
      const parsed = parseCheck(text);
      if (!parsed.ok) throw new Error(parsed.message);
      return { id, check: parsed.check };
    };
    // crashloop's goals, and its Deployment before the release: shop:1.0 seen and counted by the controller manager.
    const goals = [goal('fixed-image', 'deployment/shop image == shop:1.1'), goal('rolled-out', 'deployment/shop image == shop:1.1 and updatedReplicas == 2 and replicas == 2 and availableReplicas == 2')];
    const shop = (image: string, generation: number, status: NonNullable<Deployment['status']>): Deployment => {
      const d = makeDeployment('shop', { image, replicas: 2 });
      d.metadata.generation = generation;
      d.status = status;
      return d;
    };
    const counted = { observedGeneration: 1, replicas: 2, updatedReplicas: 2, availableReplicas: 2, readyReplicas: 2 };
    const change = (actor: string, object: Deployment) => ({ type: 'MODIFIED' as const, object, actor });

    it('is the scenario’s new image, not the controller manager’s status write after it in the same batch', () => {
      const watch = new GoalWatch(goals, ClusterState.from([shop('shop:1.0', 1, counted), makePod('shop-a', { nodeName: 'node-1' })]));
      const release = change(SCENARIO_ACTOR, shop('shop:1.1', 2, counted));
      const seen = change('student:k1', shop('shop:1.1', 2, { ...counted, observedGeneration: 2, updatedReplicas: 0 }));
      expect(watch.see([release, seen])).toEqual(new Map([['fixed-image', release]]));
      // Kim's controller manager then counts both shop:1.1 pods available: the rollout is theirs.
      const done = change('student:k1', shop('shop:1.1', 2, { ...counted, observedGeneration: 2 }));
      const relabel = change(SCENARIO_ACTOR, { ...done.object, metadata: { ...done.object.metadata, labels: { app: 'shop', fixed: 'yes' } } });
      expect(watch.see([done, relabel])).toEqual(new Map([['rolled-out', done]]));
    });

    it('is the change after which it turned true again, when one in between undid it; none for a goal that held all along or ends unmet', () => {
      const watch = new GoalWatch(goals, ClusterState.from([shop('shop:1.0', 1, counted)]));
      const release = change(SCENARIO_ACTOR, shop('shop:1.1', 2, counted));
      const back = change('instructor', shop('shop:1.0', 3, counted));
      const again = change('bot:controller-manager', shop('shop:1.1', 4, counted));
      expect(watch.see([release, back, again])).toEqual(new Map([['fixed-image', again]]));
      expect(watch.see([change('bot:controller-manager', shop('shop:1.1', 4, { ...counted, observedGeneration: 4, availableReplicas: 1 }))])).toEqual(new Map());
      expect(watch.see([back])).toEqual(new Map());
      expect(watch.holdsNow('fixed-image')).toBe(false);
      // Another namespace's shop is not the goal's: no change of it meets the goal.
      expect(watch.see([change('student:k1', { ...again.object, metadata: { ...again.object.metadata, namespace: 'kube-public' } })])).toEqual(new Map());
    });
  });

  it.each([
    ['node/node-2 ready == 1', ['kubelet']],
    ['node/node-2 ready != 0', ['kubelet']],
    ['node/node-2 ready == 0', ['kube-controller-manager']],
    ['node/node-2 pods == 0', ['kube-controller-manager', 'kube-scheduler']],
    ['deployment/web readyReplicas == 3', ['kube-controller-manager', 'kube-scheduler', 'kubelet', 'container-runtime']],
  ])('%s: %j', (text, components) => {
    const parsed = parseCheck(text);
    if (!parsed.ok) throw new Error(parsed.message);
    expect(componentsOf(parsed.check)).toEqual(components);
  });
});

describe('scores', () => {
  // A scripted round: the scheduler student bound 3 pods, each pending 4 s, and was refused once;
  // node-1's kubelet student got pods Running 6 s and 8 s after they were bound; a bot did the rest.
  const tallies: PlayerTally[] = [
    { actor: 'student:s1', name: 'Sam', role: 'scheduler', accepted: 3, refused: 1, bindWaitMs: 12_000, binds: 3, lastAcceptedAt: 50_000 },
    { actor: 'student:k1', name: 'Kim', role: 'kubelet:node-1', accepted: 8, refused: 0, bindWaitMs: 0, binds: 0, lastAcceptedAt: 58_000 },
    { actor: 'bot:controller-manager', name: 'bot (controller-manager)', role: 'controller-manager', accepted: 6, refused: 2, bindWaitMs: 0, binds: 0 },
  ];
  /** Who reached a goal met by `actor`'s change: it, and the players whose components did the work. */
  const reachedBy = (text: string, actor: string, object: KubeObject): string[] => {
    const parsed = parseCheck(text);
    if (!parsed.ok) throw new Error(parsed.message);
    return credited(authorsOf(actor, object, { members: [], seats: [] }), achievers(tallies, componentsOf(parsed.check))).actors;
  };
  // Two goals reached, both by the controller manager's bot's writes (the Deployment's status, the
  // eviction), with the work of the components each depends on; a third held from the start (nobody's).
  const goalActors = [reachedBy('deployment/web readyReplicas == 3', 'bot:controller-manager', makeDeployment('web')), reachedBy('node/node-2 pods == 0', 'bot:controller-manager', makePod('web-a', { nodeName: 'node-2' })), []];

  it('a scripted round with known timings gives the expected scores: goal points to the author of the change that met a goal and to every player whose component did its work', () => {
    expect(goalActors).toEqual([['bot:controller-manager', 'student:s1', 'student:k1'], ['bot:controller-manager', 'student:s1'], []]);
    const scores = scorePlayers({ tallies, boundToRunning: { 'node-1': { totalMs: 14_000, pods: 2 } }, goalActors });
    expect(scores).toEqual([
      // 8×10 + 20 (the Ready goal: her kubelet ran the pods) + (30 − 7 s bound→Running)
      { memberId: 'k1', name: 'Kim', role: 'kubelet:node-1', score: 123, refusals: 0, accepted: 8, boundToRunningSeconds: 7 },
      // 3×10 − 5 + 2×20 (both goals: it bound the pods) + (30 − 4 s Pending→bound)
      { memberId: 's1', name: 'Sam', role: 'scheduler', score: 91, refusals: 1, accepted: 3, pendingToBoundSeconds: 4 },
      // 6×10 − 2×5 + 2×20, once each though both the author and a contributor
      { memberId: 'bot:controller-manager', name: 'bot (controller-manager)', role: 'controller-manager', score: 90, refusals: 2, accepted: 6 },
    ]);
    // A student without a role (refused, say) is on no team: the teams list no "none".
    const roleless = { memberId: 'n1', name: 'Ann', role: null, score: 0, refusals: 1, accepted: 0 };
    expect(scoreTeams([...scores, roleless])).toEqual([
      { team: 'kubelet', score: 123, memberIds: ['k1'] },
      { team: 'kube-scheduler', score: 91, memberIds: ['s1'] },
      { team: 'kube-controller-manager', score: 90, memberIds: ['bot:controller-manager'] },
    ]);
  });

  it("counts a component's own work for the student who holds its seat: named for a goal it depended on, goal points, no move points, not less idle", () => {
    // Lee held node-2's kubelet and made no move; its heartbeat renewed node-2's Lease 6 times meanwhile.
    const lee: PlayerTally = { actor: 'student:l1', name: 'Lee', role: 'kubelet:node-2', accepted: 0, refused: 0, automatic: 6, bindWaitMs: 0, binds: 0 };
    const bot: PlayerTally = { actor: 'bot:kubelet:node-3', name: 'bot (kubelet:node-3)', role: 'kubelet:node-3', accepted: 0, refused: 0, bindWaitMs: 0, binds: 0 };
    expect(achievers([...tallies, lee, bot], ['kube-scheduler', 'kubelet'])).toEqual({
      actors: ['student:s1', 'student:k1', 'student:l1'],
      achievers: [
        { component: 'kube-scheduler', memberId: 's1', name: 'Sam' },
        { component: 'kubelet', memberId: 'k1', name: 'Kim' },
        { component: 'kubelet', memberId: 'l1', name: 'Lee' },
      ],
    });
    const scores = scorePlayers({ tallies: [lee], boundToRunning: {}, goalActors: [['student:l1']] });
    // 0 moves, 20 for the one goal its kubelet helped reach, no speed (no pod on node-2).
    expect(scores).toEqual([{ memberId: 'l1', name: 'Lee', role: 'kubelet:node-2', score: 20, refusals: 0, accepted: 0 }]);
    expect(activityOf([{ id: 'l1', name: 'Lee', role: 'kubelet:node-2' }], [lee], 70_000, 10_000)).toEqual([
      { memberId: 'l1', name: 'Lee', role: 'kubelet:node-2', accepted: 0, refusals: 0, idleSeconds: 60 },
    ]);
  });

  it('shows who is idle and who is refused, and how long each fault took to recover from', () => {
    const students = [
      { id: 's1', name: 'Sam', role: 'scheduler' as const },
      { id: 'x9', name: 'Xia', role: null },
    ];
    expect(activityOf(students, tallies, 70_000, 10_000)).toEqual([
      { memberId: 's1', name: 'Sam', role: 'scheduler', accepted: 3, refusals: 1, idleSeconds: 20 },
      { memberId: 'x9', name: 'Xia', role: null, accepted: 0, refusals: 0, idleSeconds: 60 },
    ]);
    // Both goals had been met before node-2 went down, one only after etcd's outage began: met again, then met.
    expect(recoveries([{ atSeconds: 25, text: 'node-2 down' }, { atSeconds: 200, text: 'etcd read-only' }], [12, 131.5], [3, 12])).toEqual([
      { fault: 'node-2 down', seconds: 106.5, again: true },
      { fault: 'etcd read-only', seconds: null, again: true },
    ]);
    // etcd read-only at 0:01, before any pod ran: the goal was never met before it, so it is not met "again".
    expect(recoveries([{ atSeconds: 1, text: 'etcd is read-only' }], [64], [64])).toEqual([{ fault: 'etcd is read-only', seconds: 63, again: false }]);
    expect(recoveries([{ atSeconds: 30, text: 'node-2 down' }], [], [10, undefined])).toEqual([{ fault: 'node-2 down', seconds: null, again: false }]);
  });
});

describe('markWhoText: who a timeline mark names', () => {
  const bot = (component: string, role: string) => ({ component, memberId: null, name: `bot (${role})` });
  const student = (component: string, memberId: string, name: string) => ({ component, memberId, name });
  const nodes = ['node-1', 'node-2', 'node-3', 'node-4'];

  it('the students by name, each once, then the bots summed up: the availability goal of a class of bots was eight lines of "bot (…)"', () => {
    const podWork = [bot('kube-controller-manager', 'controller-manager'), bot('kube-scheduler', 'scheduler'), ...nodes.map((n) => bot('kubelet', `kubelet:${n}`)), ...nodes.map((n) => bot('kube-proxy', `kube-proxy:${n}`))];
    expect(markWhoText(podWork)).toBe('10 bots');
    expect(markWhoText([student('kubelet', 'm-kim', 'Kim'), ...podWork, student('kube-proxy', 'm-pia', 'Pia'), student('kube-proxy', 'm-kim', 'Kim')])).toBe('Kim, Pia, 10 bots');
    // Bots of one component by it; a single bot by its role, as every mark named it.
    expect(markWhoText([student('kubelet', 'm-kim', 'Kim'), ...nodes.slice(1).map((n) => bot('kubelet', `kubelet:${n}`))])).toBe('Kim, 3 kubelet bots');
    expect(markWhoText([bot('kube-controller-manager', 'controller-manager')])).toBe('bot (controller-manager)');
    expect(markWhoText([student('kube-scheduler', 'm-sam', 'Sam'), bot('kube-scheduler', 'scheduler')])).toBe('Sam, bot (scheduler)');
    expect(markWhoText([])).toBe('');
  });

  it('two students of one name are both named: a student is told apart by member, not by name', () => {
    expect(markWhoText([student('kubelet', 'm-1', 'Alex'), student('kubelet', 'm-2', 'Alex')])).toBe('Alex, Alex');
  });
});
