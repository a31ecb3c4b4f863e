import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { isPodReady, makeDeployment, makePod, makeService, type ContainerRuntime, type Event } from '@shared/model';
import { rolesForNodes, type ClusterAction, type Role } from '@shared/protocol';
import { SimCluster } from '../cluster';
import { readyIPs } from '../controllers/endpoints';
import { isApiRequest, update, type ApiRequest, type Step } from '../requests';
import { advanceRuntime } from '../runtime/runtime';
import { seededRng } from '../rng';
import { revalidated } from '../testing/revalidated';
import type { ClusterState } from '../state';
import { controllerOf } from './controller-manager';
import { legalMoves, moveKey, nextMove, nextMoveInTurn, planAction, planNextMove, roleMoves, sameMove, type Move } from './index';

/** The Event objects a move creates: [source component, involved kind/name, type, reason, message]. */
const eventsIn = (steps: readonly Step[]): [string | undefined, string, string | undefined, string | undefined, string | undefined][] =>
  steps
    .filter(isApiRequest)
    .flatMap((s) => (s.verb === 'create' && s.object.kind === 'Event' ? [s.object as Event] : []))
    .map((e) => [e.source?.component, `${e.involvedObject.kind}/${e.involvedObject.name}`, e.type, e.reason, e.message]);

const apply = (c: SimCluster, steps: readonly Step[]): void => {
  for (const step of steps) if (isApiRequest(step)) c.submit(step);
};

function cluster(): SimCluster {
  const c = new SimCluster({ seed: 5 });
  c.addNode('node-1', { cpu: 1 });
  c.addNode('node-2', { cpu: 4 });
  return c;
}

/** Sends `action` as a student would and applies what was accepted; throws with the refusal otherwise. */
function play(c: SimCluster, action: ClusterAction, now = c.now): string {
  const plan = planAction(c.state, action, now, c.rng);
  if (!plan.ok) throw new Error(`${action.kind} refused: ${plan.message}`);
  apply(c, plan.steps);
  return plan.message;
}

const rolesOf = (state: ClusterState): Role[] => rolesForNodes([...state.list('Node')].map((n) => n.metadata.name));

/**
 * Every action the roles could send in this state: each kind against every object it can name,
 * plus made-up names, with the versions the objects have now.
 */
function candidates(state: ClusterState): ClusterAction[] {
  const nodes = [...state.list('Node')];
  const pods = [...state.list('Pod')];
  const out: ClusterAction[] = [];
  const rv = (o: { metadata: { resourceVersion?: string } } | undefined): string => o?.metadata.resourceVersion ?? '1';
  for (const pod of [...pods, undefined]) {
    const name = pod?.metadata.name ?? 'made-up';
    out.push({ kind: 'markUnschedulable', pod: name, resourceVersion: rv(pod) }, { kind: 'deletePod', pod: name, resourceVersion: rv(pod) }, { kind: 'evictPod', pod: name, resourceVersion: rv(pod) });
    for (const node of nodes) {
      const n = node.metadata.name;
      out.push({ kind: 'bind', pod: name, node: n, resourceVersion: rv(pod) }, { kind: 'syncPodStatus', node: n, pod: name }, { kind: 'killPod', node: n, pod: name });
      for (const container of [...(pod?.spec.containers.map((x) => x.name) ?? []), 'made-up']) {
        for (const kind of ['pullImage', 'createContainer', 'startContainer', 'restartContainer'] as const) out.push({ kind, node: n, pod: name, container });
      }
    }
  }
  for (const node of nodes) {
    const n = node.metadata.name;
    out.push({ kind: 'renewLease', node: n });
    for (const status of ['True', 'False', 'Unknown'] as const) out.push({ kind: 'setNodeCondition', node: n, status, resourceVersion: rv(node) });
    for (const key of ['node.kubernetes.io/unreachable', 'node.kubernetes.io/not-ready']) {
      for (const effect of ['NoSchedule', 'NoExecute'] as const) {
        out.push({ kind: 'taintNode', node: n, taint: { key, effect }, resourceVersion: rv(node) }, { kind: 'untaintNode', node: n, key, effect, resourceVersion: rv(node) });
      }
    }
    for (const call of state.runtime(n)?.status.calls ?? []) out.push({ kind: 'answerCri', node: n, callId: call.id });
    out.push({ kind: 'answerCri', node: n, callId: `${n}-999999` });
    for (const svc of [...state.services(), undefined]) {
      const service = svc?.metadata.name ?? 'made-up';
      out.push({ kind: 'syncProxyRules', node: n, service }, { kind: 'routeRequest', node: n, service });
    }
  }
  for (const rs of state.list('ReplicaSet')) out.push({ kind: 'createPod', replicaSet: rs.metadata.name }, { kind: 'updateReplicaSetStatus', replicaSet: rs.metadata.name });
  for (const d of state.list('Deployment')) out.push({ kind: 'syncDeployment', deployment: d.metadata.name });
  for (const s of state.services()) out.push({ kind: 'updateEndpoints', service: s.metadata.name });
  return out;
}

describe('the rulebook: legalMoves and planAction agree', () => {
  const world = fc.record({
    nodes: fc.integer({ min: 1, max: 3 }),
    replicas: fc.integer({ min: 1, max: 5 }),
    cpu: fc.constantFrom('100m', '500m', '1500m'),
    image: fc.constantFrom('nginx:1.27', 'redis:7', 'busybox:1.36', 'nginx:broken'),
    stopped: fc.boolean(),
    crash: fc.boolean(),
    seconds: fc.integer({ min: 0, max: 400 }),
    seed: fc.nat(1000),
  });

  test('[property] every legal move is accepted, and every accepted candidate action is a legal move, for every role; every object they write passes validation unchanged', { timeout: 120_000 }, () => {
    fc.assert(
      fc.property(world, (w) => {
        // Every accepted move's writes, as the store would get them (the loops' are checked in cluster.test.ts).
        const written: ApiRequest[] = [];
        const c = new SimCluster({ seed: w.seed });
        for (let i = 1; i <= w.nodes; i++) c.addNode(`node-${i}`, { cpu: 2 });
        c.createObject(makeDeployment('web', { replicas: w.replicas, image: w.image, requests: { cpu: w.cpu }, port: 80 }));
        c.createObject(makeService('web', { app: 'web' }, 80));
        c.runUntil(c.now + Math.floor(w.seconds / 2) * 1000);
        if (w.stopped) c.stopNode('node-1');
        const running = [...c.state.list('Pod')].find((p) => p.status?.phase === 'Running');
        if (w.crash && running) c.crashPod(`default/${running.metadata.name}`);
        c.runUntil(c.now + Math.ceil(w.seconds / 2) * 1000);
        const now = c.now + 1;
        const legal = new Set<string>();
        for (const role of rolesOf(c.state)) {
          for (const move of legalMoves(role, c.state, now)) {
            legal.add(moveKey(move.action));
            const plan = planAction(c.state, move.action, now, c.rng);
            expect(plan.ok ? 'accepted' : plan.message, `${role} ${move.label}`).toBe('accepted');
            if (plan.ok) written.push(...plan.steps.filter(isApiRequest));
          }
        }
        for (const action of candidates(c.state)) {
          const plan = planAction(c.state, action, now, c.rng);
          if (plan.ok) expect(legal.has(moveKey(action)), `${JSON.stringify(action)} accepted but not listed`).toBe(true);
          else expect(plan.message.length, JSON.stringify(action)).toBeGreaterThan(10);
          if (plan.ok) written.push(...plan.steps.filter(isApiRequest));
        }
        expect(revalidated(written)).toEqual([]);
      }),
      { numRuns: 60 },
    );
  });

  test('[kubelet] pullImage for one pod on a node with several pods changes only that pod\'s container; a made-up container is refused', () => {
    const c = cluster();
    c.stopNode('node-2'); // a student plays node-2: no bot moves there
    for (const name of ['web-1', 'web-12', 'web-2']) c.createObject(makePod(name, { nodeName: 'node-2', image: name === 'web-2' ? 'redis:7' : 'nginx:1.27' }));
    const before = c.state.runtime('node-2') as ContainerRuntime;
    const made = planAction(c.state, { kind: 'pullImage', node: 'node-2', pod: 'web-1', container: 'sidecar' }, c.now, c.rng);
    expect(made).toEqual({ ok: false, code: 'NotFound', message: 'pod web-1 has no container "sidecar": its containers are app' });
    expect(c.state.runtime('node-2')).toBe(before);
    play(c, { kind: 'pullImage', node: 'node-2', pod: 'web-1', container: 'app' });
    const calls = c.state.runtime('node-2')?.status.calls ?? [];
    expect(calls.map((x) => [x.call, x.pod, x.container, x.image])).toEqual([['PullImage', 'web-1', 'app', 'nginx:1.27']]);
    // The other pods are untouched: no status written, nothing sent for them.
    for (const other of ['web-12', 'web-2']) expect(c.state.pod(`default/${other}`)?.status?.containerStatuses).toBeUndefined();
    // web-12 needs the same image: it waits for web-1's pull instead of pulling again.
    expect(planAction(c.state, { kind: 'pullImage', node: 'node-2', pod: 'web-12', container: 'app' }, c.now, c.rng)).toMatchObject({
      ok: false,
      message: 'not yet: another pod on node-2 is pulling nginx:1.27: the kubelet waits for that pull',
    });
  });

  test('[kubelet] startContainer before the pull finished is refused with what it waits for, and writes nothing', () => {
    const c = cluster();
    c.stopNode('node-2');
    c.createObject(makePod('web-1', { nodeName: 'node-2', image: 'nginx:1.27' }));
    play(c, { kind: 'pullImage', node: 'node-2', pod: 'web-1', container: 'app' });
    const callId = c.state.runtime('node-2')?.status.calls[0]?.id ?? '';
    play(c, { kind: 'answerCri', node: 'node-2', callId });
    const rv = c.state.resourceVersion;
    for (const kind of ['startContainer', 'createContainer'] as const) {
      expect(planAction(c.state, { kind, node: 'node-2', pod: 'web-1', container: 'app' }, c.now + 1000, c.rng)).toEqual({
        ok: false,
        code: 'Invalid',
        message: 'not yet: waiting for the runtime to finish PullImage nginx:1.27, about 2 s',
      });
    }
    expect(c.state.resourceVersion).toBe(rv);
  });

  test('[kubelet] a student following the next move takes a pod from bound to Running and Ready: pull, create, start, report', () => {
    const c = cluster();
    c.stopNode('node-2');
    c.createObject(makePod('web-1', { nodeName: 'node-2', image: 'nginx:1.27' }));
    const kubelet: Role = 'kubelet:node-2';
    const runtime: Role = 'container-runtime:node-2';
    const labels: string[] = [];
    const pair: Role[] = [kubelet, runtime];
    let now = c.now;
    for (let i = 0; i < 40 && !isPodReady(c.state.pod('default/web-1') ?? makePod('x')); i++) {
      now += 500;
      apply(c, advanceRuntime(c.state, 'node-2', now));
      for (const role of pair) {
        const move: Move | undefined = nextMove(role, c.state, now);
        if (!move) continue;
        if (role === kubelet) labels.push(move.label);
        play(c, move.action, now);
      }
    }
    expect(isPodReady(c.state.pod('default/web-1') ?? makePod('x'))).toBe(true);
    expect(labels).toEqual(['Pull nginx:1.27', 'Report web-1 Pending', 'Create container app', 'Start container app', 'Report web-1 Running, Ready']);
  });

  test('[kubelet] each status report says what it brings (the second Pending one: the container created), and a status once written is not offered again', () => {
    const c = cluster();
    c.stopNode('node-2');
    c.createObject(makePod('web-1', { nodeName: 'node-2', image: 'nginx:1.27' }));
    const reports = (): string[][] => legalMoves('kubelet:node-2', c.state, c.now).filter((m) => m.action.kind === 'syncPodStatus').map((m) => [m.label, m.why]);
    const seen: string[][][] = [];
    const report = (): void => {
      seen.push(reports());
      play(c, { kind: 'syncPodStatus', node: 'node-2', pod: 'web-1' });
      // The kubelet posts a status only when it changed: the one just written is not offered again.
      expect(reports()).toEqual([]);
    };
    const runtimeDoes = (kind: 'pullImage' | 'createContainer' | 'startContainer'): void => {
      play(c, { kind, node: 'node-2', pod: 'web-1', container: 'app' });
      const call = c.state.runtime('node-2')?.status.calls.find((x) => x.status === 'pending');
      play(c, { kind: 'answerCri', node: 'node-2', callId: call?.id ?? '' });
      c.now += 5_000;
      apply(c, advanceRuntime(c.state, 'node-2', c.now));
    };
    report();
    runtimeDoes('pullImage');
    // A pulled image is no news for the pod until a container of it exists.
    expect(reports()).toEqual([]);
    runtimeDoes('createContainer');
    report();
    runtimeDoes('startContainer');
    report();
    expect(seen).toEqual([
      [['Report web-1 Pending', 'report web-1: Pending [ContainerCreating]; new: app ContainerCreating, pod IP 10.244.1.2, PodReadyToStartContainers=True, Initialized=True, ContainersReady=False, Ready=False']],
      [['Report web-1 Pending', 'report web-1: Pending [ContainerCreating]; new: app container created']],
      [['Report web-1 Running, Ready', 'report web-1: Running [Running, Ready]; new: phase Running, app Running, app ready, ContainersReady=True, Ready=True']],
    ]);
  });

  test('[property] whatever order the kubelet and the runtime move in, a report is never offered right after it was written, and no two reports of a pod in a row read alike', { timeout: 60_000 }, () => {
    fc.assert(
      fc.property(fc.constantFrom('nginx:1.27', 'shop:1.0-crashloop', 'web:broken'), fc.array(fc.tuple(fc.boolean(), fc.nat(20), fc.nat(1500)), { minLength: 20, maxLength: 80 }), (image, turns) => {
        const c = cluster();
        c.stopNode('node-2');
        c.createObject(makePod('web-1', { nodeName: 'node-2', image }));
        let last = '';
        for (const [kubelet, pick, wait] of turns) {
          c.now += wait;
          apply(c, advanceRuntime(c.state, 'node-2', c.now));
          const moves = legalMoves(kubelet ? 'kubelet:node-2' : 'container-runtime:node-2', c.state, c.now);
          const move = moves[pick % Math.max(1, moves.length)];
          if (!move) continue;
          play(c, move.action, c.now);
          if (move.action.kind !== 'syncPodStatus' || !move.label.startsWith('Report ')) continue;
          expect(legalMoves('kubelet:node-2', c.state, c.now).filter((m) => m.action.kind === 'syncPodStatus' && m.label.startsWith('Report '))).toEqual([]);
          expect(`${move.label} | ${move.why}`).not.toBe(last);
          last = `${move.label} | ${move.why}`;
        }
      }),
      { numRuns: 150 },
    );
  });

  test('[waiting] a move that is not legal yet is listed with its reason, never as a move', () => {
    const c = cluster();
    c.stopNode('node-2');
    c.createObject(makePod('web-1', { nodeName: 'node-2', image: 'nginx:1.27' }));
    play(c, { kind: 'pullImage', node: 'node-2', pod: 'web-1', container: 'app' });
    const { moves, waiting } = roleMoves('kubelet:node-2', c.state, c.now);
    expect(moves.map((m) => m.action.kind)).toEqual(['syncPodStatus']);
    expect(waiting).toEqual([{ kind: 'pullImage', node: 'node-2', pod: 'web-1', container: 'app', label: 'Pull nginx:1.27', reason: 'waiting for the container runtime to take the PullImage nginx:1.27 call' }]);
  });

  test('[waiting] while the runtime works on a call, the kubelet screen names the button it waits for as that button reads', () => {
    const c = cluster();
    c.stopNode('node-2');
    c.createObject(makePod('web-1', { nodeName: 'node-2', image: 'nginx:1.27' }));
    const waitingLabels: string[] = [];
    const moveLabels: string[] = [];
    for (const kind of ['pullImage', 'createContainer', 'startContainer'] as const) {
      const move = legalMoves('kubelet:node-2', c.state, c.now).find((m) => m.action.kind === kind);
      if (!move) throw new Error(`no ${kind} move`);
      moveLabels.push(move.label);
      play(c, move.action);
      // The call is sent, not yet taken: the disabled button must read as the one just clicked.
      waitingLabels.push(...roleMoves('kubelet:node-2', c.state, c.now).waiting.filter((w) => w.kind === kind).map((w) => w.label));
      const call = c.state.runtime('node-2')?.status.calls.find((x) => x.status === 'pending');
      if (!call) throw new Error('no pending call');
      play(c, { kind: 'answerCri', node: 'node-2', callId: call.id });
      c.now += 5_000;
      apply(c, advanceRuntime(c.state, 'node-2', c.now));
    }
    expect(moveLabels).toEqual(['Pull nginx:1.27', 'Create container app', 'Start container app']);
    expect(waitingLabels).toEqual(moveLabels);
  });
});

test('[property] sameMove is moveKey equality: every field but resourceVersion, a taint by its JSON', () => {
  const taint = fc.oneof(
    fc.record({ key: fc.constantFrom('a', 'b'), effect: fc.constantFrom('NoSchedule', 'NoExecute') }),
    fc.record({ effect: fc.constantFrom('NoSchedule', 'NoExecute'), key: fc.constantFrom('a', 'b') }),
  );
  const action = fc.record(
    {
      kind: fc.constantFrom('taintNode', 'routeRequest'),
      node: fc.constantFrom('node-1', 'node-2'),
      service: fc.constantFrom('web', undefined),
      taint,
      resourceVersion: fc.constantFrom('1', '2'),
    },
    { requiredKeys: ['kind'] },
  ) as unknown as fc.Arbitrary<ClusterAction>;
  fc.assert(fc.property(action, action, (a, b) => sameMove(a, b) === (moveKey(a) === moveKey(b)) && sameMove(a, { ...a, resourceVersion: '9' } as ClusterAction)), { numRuns: 2000 });
});

describe("a student's move, checked and turned into requests", () => {
  test("[bind] a node that fails a filter is refused with Unschedulable and Kubernetes' message", () => {
    const c = cluster();
    c.stopNode('node-1');
    c.stopNode('node-2');
    c.createObject(makePod('web-1', { requests: { cpu: '2' } }));
    const pod = c.state.pod('default/web-1');
    const refused = planAction(c.state, { kind: 'bind', pod: 'web-1', node: 'node-1', resourceVersion: pod?.metadata.resourceVersion ?? '' }, c.now, c.rng);
    expect(refused).toEqual({
      ok: false,
      code: 'Unschedulable',
      message: '0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod. (node-1 skipped: Insufficient cpu (requested 2, free 1))',
    });
    const accepted = planAction(c.state, { kind: 'bind', pod: 'web-1', node: 'node-2', resourceVersion: pod?.metadata.resourceVersion ?? '' }, c.now, c.rng);
    expect(accepted.ok && accepted.steps.map((s) => s.verb)).toEqual(['bind', 'create']);
  });

  test('[bind] a stale resourceVersion is a Conflict', () => {
    const c = cluster();
    c.createObject(makePod('web-1'));
    const plan = planAction(c.state, { kind: 'bind', pod: 'web-1', node: 'node-2', resourceVersion: '1' }, c.now, c.rng);
    expect(plan).toMatchObject({ ok: false, code: 'Conflict' });
  });

  test('[NodeLifecycle] Ready=Unknown is refused while the node still sends heartbeats', () => {
    const c = cluster();
    c.runUntil(c.now + 20_000);
    const node = c.state.node('node-1');
    const plan = planAction(c.state, { kind: 'setNodeCondition', node: 'node-1', status: 'Unknown', resourceVersion: node?.metadata.resourceVersion ?? '' }, c.now, c.rng);
    expect(plan).toMatchObject({ ok: false, code: 'Invalid' });
    expect(plan.ok ? '' : plan.message).toMatch(/^setNodeCondition node-1 is not a move controller-manager can make now\./);
  });

  test('[NodeLifecycle] a stale resourceVersion on taintNode is a Conflict, the current one is accepted', () => {
    const c = cluster();
    c.runUntil(c.now + 1);
    c.stopNode('node-1');
    const later = c.now + 60_000;
    const node = c.state.node('node-1');
    play(c, { kind: 'setNodeCondition', node: 'node-1', status: 'Unknown', resourceVersion: node?.metadata.resourceVersion ?? '' }, later);
    const taint = { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' as const };
    expect(planAction(c.state, { kind: 'taintNode', node: 'node-1', taint, resourceVersion: '1' }, later, c.rng)).toMatchObject({ ok: false, code: 'Conflict' });
    play(c, { kind: 'taintNode', node: 'node-1', taint, resourceVersion: c.state.node('node-1')?.metadata.resourceVersion ?? '' }, later);
    expect(c.state.node('node-1')?.spec.taints?.map((t) => `${t.key}:${t.effect}`)).toEqual(['node.kubernetes.io/unreachable:NoExecute']);
  });

  test('[ReplicaSet] createPod is refused when the ReplicaSet already has its replicas, accepted when one is missing', () => {
    const c = cluster();
    c.createObject(makeDeployment('web', { replicas: 1 }));
    c.runUntil(c.now + 1);
    const rs = [...c.state.list('ReplicaSet')][0]?.metadata.name ?? '';
    expect(planAction(c.state, { kind: 'createPod', replicaSet: rs }, c.now, c.rng)).toMatchObject({ ok: false, code: 'Invalid' });
    const pod = [...c.state.list('Pod')][0];
    c.submit({ verb: 'delete', kind: 'Pod', namespace: 'default', name: pod?.metadata.name ?? '', gracePeriodSeconds: 0, reason: 'test' });
    const plan = planAction(c.state, { kind: 'createPod', replicaSet: rs }, c.now, c.rng);
    expect(plan.ok && plan.steps.map((s) => s.verb === 'create' && s.object.kind === 'Pod' && s.object.metadata.ownerReferences?.[0]?.name)).toEqual([rs, false]);
  });

  test('[container-runtime] answering a pending CRI call starts it; a second answer is refused', () => {
    const c = cluster();
    c.stopNode('node-2');
    c.createObject(makePod('web-1', { nodeName: 'node-2', image: 'nginx:1.27' }));
    play(c, { kind: 'pullImage', node: 'node-2', pod: 'web-1', container: 'app' });
    const call = c.state.runtime('node-2')?.status.calls[0];
    expect([call?.call, call?.status, call?.image]).toEqual(['PullImage', 'pending', 'nginx:1.27']);
    const plan = planAction(c.state, { kind: 'answerCri', node: 'node-2', callId: call?.id ?? '' }, c.now, c.rng);
    if (!plan.ok) throw new Error(plan.message);
    expect(plan.steps.map((s) => (s.verb === 'timer' ? `timer ${s.timer.kind} +${(s.timer.dueAt - c.now) / 1000}s` : `${s.verb} ${s.kind}`))).toEqual([
      'update ContainerRuntime',
      'timer criCallDue +3s',
    ]);
    apply(c, plan.steps);
    expect(planAction(c.state, { kind: 'answerCri', node: 'node-2', callId: call?.id ?? '' }, c.now, c.rng)).toEqual({
      ok: false,
      code: 'Invalid',
      message: 'not yet: PullImage nginx:1.27 is running: done in about 3 s',
    });
  });

  describe("[Events] a student's move records the same events as the component it plays", () => {
    test('[Scheduled] an accepted bind records "Successfully assigned default/<pod> to <node>" from default-scheduler', () => {
      const c = cluster();
      c.stopNode('node-1');
      c.stopNode('node-2');
      c.createObject(makePod('web-1'));
      const plan = planAction(c.state, { kind: 'bind', pod: 'web-1', node: 'node-2', resourceVersion: c.state.pod('default/web-1')?.metadata.resourceVersion ?? '' }, c.now, c.rng);
      expect(plan.ok && eventsIn(plan.steps)).toEqual([['default-scheduler', 'Pod/web-1', 'Normal', 'Scheduled', 'Successfully assigned default/web-1 to node-2']]);
    });

    test('[ReplicaSet] createPod records SuccessfulCreate, deleting a surplus pod SuccessfulDelete, on the ReplicaSet', () => {
      const c = cluster();
      c.createObject(makeDeployment('web', { replicas: 1 }));
      c.runUntil(c.now + 1);
      const rs = [...c.state.list('ReplicaSet')][0]?.metadata.name ?? '';
      const first = [...c.state.list('Pod')][0]?.metadata.name ?? '';
      c.submit({ verb: 'delete', kind: 'Pod', namespace: 'default', name: first, gracePeriodSeconds: 0, reason: 'test' });
      const created = planAction(c.state, { kind: 'createPod', replicaSet: rs }, c.now, c.rng);
      if (!created.ok) throw new Error(created.message);
      const name = created.steps.filter(isApiRequest).find((s) => s.verb === 'create' && s.object.kind === 'Pod')?.name ?? '';
      expect(eventsIn(created.steps)).toEqual([['replicaset-controller', `ReplicaSet/${rs}`, 'Normal', 'SuccessfulCreate', `Created pod: ${name}`]]);
      apply(c, created.steps);
      const set = c.state.get('ReplicaSet', `default/${rs}`);
      if (!set) throw new Error('no ReplicaSet');
      c.submit({ verb: 'update', kind: 'ReplicaSet', namespace: 'default', name: rs, object: { ...set, spec: { ...set.spec, replicas: 0 } }, reason: 'test' });
      const deleted = planAction(c.state, { kind: 'deletePod', pod: name, resourceVersion: c.state.pod(`default/${name}`)?.metadata.resourceVersion ?? '' }, c.now, c.rng);
      expect(deleted.ok && eventsIn(deleted.steps)).toEqual([['replicaset-controller', `ReplicaSet/${rs}`, 'Normal', 'SuccessfulDelete', `Deleted pod: ${name}`]]);
    });

    test("[Kubelet] a pull move records Pulling with the runtime write; a status report carries none of the runtime's events", () => {
      const c = cluster();
      c.stopNode('node-2');
      c.createObject(makePod('web-1', { nodeName: 'node-2', image: 'nginx:1.27' }));
      const pull = planAction(c.state, { kind: 'pullImage', node: 'node-2', pod: 'web-1', container: 'app' }, c.now, c.rng);
      if (!pull.ok) throw new Error(pull.message);
      expect(eventsIn(pull.steps)).toEqual([['kubelet', 'Pod/web-1', 'Normal', 'Pulling', 'Pulling image "nginx:1.27"']]);
      expect(pull.steps.filter(isApiRequest).map((s) => `${s.verb} ${s.kind}`)).toEqual(['update ContainerRuntime', 'create Event']);
      apply(c, pull.steps);
      expect(planAction(c.state, { kind: 'pullImage', node: 'node-2', pod: 'web-1', container: 'app' }, c.now, c.rng).ok).toBe(false);
      const report = planAction(c.state, { kind: 'syncPodStatus', node: 'node-2', pod: 'web-1' }, c.now, c.rng);
      expect(report.ok && eventsIn(report.steps)).toEqual([]);
    });

    test('[Killing] a kill move on a deleted pod records "Stopping container <name>"', () => {
      const c = cluster();
      c.createObject(makePod('web-1', { nodeName: 'node-2', image: 'nginx:1.27' }));
      c.runUntil(c.now + 10_000);
      c.stopNode('node-2');
      c.submit({ verb: 'delete', kind: 'Pod', namespace: 'default', name: 'web-1', reason: 'test' });
      const kill = planAction(c.state, { kind: 'killPod', node: 'node-2', pod: 'web-1' }, c.now, c.rng);
      expect(kill.ok && eventsIn(kill.steps)).toEqual([['kubelet', 'Pod/web-1', 'Normal', 'Killing', 'Stopping container app']]);
    });

    test('[TaintManagerEviction] evicting a pod that does not tolerate a NoExecute taint records "Marking for deletion Pod <ns>/<pod>"', () => {
      const c = cluster();
      c.stopNode('node-1');
      c.stopNode('node-2');
      c.createObject(makePod('web-1', { nodeName: 'node-2' }));
      const node = c.state.node('node-2');
      if (!node) throw new Error('no node');
      c.submit({ verb: 'update', kind: 'Node', name: 'node-2', object: { ...node, spec: { ...node.spec, taints: [{ key: 'maintenance', effect: 'NoExecute' }] } }, reason: 'test' });
      const plan = planAction(c.state, { kind: 'evictPod', pod: 'web-1', resourceVersion: c.state.pod('default/web-1')?.metadata.resourceVersion ?? '' }, c.now, c.rng);
      expect(plan.ok && eventsIn(plan.steps)).toEqual([['taint-eviction-controller', 'Pod/web-1', 'Normal', 'TaintManagerEviction', 'Marking for deletion Pod default/web-1']]);
      // The event after the writes it reports: a status write that meets the kubelet's leaves nothing written to decide again on.
      expect(plan.ok && plan.steps.filter(isApiRequest).map((s) => `${s.verb} ${s.kind}`)).toEqual(['updateStatus Pod', 'delete Pod', 'create Event']);
    });

    test('[NodeLifecycle] setting Ready=Unknown after the grace period records NodeNotReady on the Node from node-controller', () => {
      const c = cluster();
      c.runUntil(c.now + 1);
      c.stopNode('node-1');
      const node = c.state.node('node-1');
      const later = c.now + 60_000;
      const plan = planAction(c.state, { kind: 'setNodeCondition', node: 'node-1', status: 'Unknown', resourceVersion: node?.metadata.resourceVersion ?? '' }, later, c.rng);
      expect(plan.ok && eventsIn(plan.steps)).toEqual([['node-controller', 'Node/node-1', 'Normal', 'NodeNotReady', 'Node node-1 status is now: NodeNotReady']]);
    });
  });
});

describe('a whole class playing only the highlighted move', () => {
  test('[round] with every role following nextMove, web reaches 3/3 Ready and its Service has 3 endpoints', () => {
    const c = new SimCluster({ seed: 7 });
    for (const n of ['node-1', 'node-2']) {
      c.addNode(n, { cpu: 2 });
      c.stopNode(n); // no bots: only moves
    }
    c.createObject(makeDeployment('web', { replicas: 3, image: 'nginx:1.27', requests: { cpu: '250m' }, port: 80 }));
    c.createObject(makeService('web', { app: 'web' }, 80));
    let now = c.now;
    const roles = rolesOf(c.state);
    const done = (): boolean => c.state.get('Deployment', 'default/web')?.status?.readyReplicas === 3 && readyIPs(c.state.get('Endpoints', 'default/web')).length === 3;
    for (let tick = 0; tick < 200 && !done(); tick++) {
      now += 500;
      for (const n of ['node-1', 'node-2']) apply(c, advanceRuntime(c.state, n, now));
      for (const role of roles) {
        const move = nextMove(role, c.state, now);
        if (move) play(c, move.action, now);
      }
    }
    expect(done()).toBe(true);
  });
});

describe('a bot playing the controller manager gives each controller a turn', () => {
  test('an orphan delete is finished on the garbage collector\'s turn, while the Deployment controller still has work', () => {
    const c = new SimCluster({ seed: 11 });
    c.addNode('node-1', { cpu: 4 });
    c.createObject(makeDeployment('web', { replicas: 2 }));
    c.createObject(makeDeployment('api', { replicas: 1 }));
    expect(c.runUntilTrue(() => [...c.state.list('Pod')].filter(isPodReady).length === 3, 120_000)).toBe(true);
    // At the same instant: web is scaled up and api deleted with propagationPolicy Orphan.
    const web = c.state.get('Deployment', 'default/web');
    if (!web) throw new Error('no web');
    expect(c.submit(update(web, { ...web, spec: { ...web.spec, replicas: 5 } }, 'kubectl scale deployment web --replicas=5')).ok).toBe(true);
    expect(c.submit({ verb: 'delete', kind: 'Deployment', namespace: 'default', name: 'api', propagationPolicy: 'Orphan', reason: 'kubectl delete deployment api --cascade=orphan' }).ok).toBe(true);
    const cm = 'controller-manager';
    const gc = { kind: 'collectGarbage', objectKind: 'Deployment', name: 'api' };
    // Listed first is the Deployment controller's sync; the garbage collector comes last.
    expect(nextMove(cm, c.state, c.now)?.action).toEqual({ kind: 'syncDeployment', deployment: 'web' });
    expect(legalMoves(cm, c.state, c.now).at(-1)?.action).toEqual(gc);
    // Turn by turn, each controller with work makes its first move: the garbage collector's is the orphan delete.
    const turns = [0, 1].map((turn) => nextMoveInTurn(cm, c.state, c.now, turn)?.action);
    expect(turns).toEqual([{ kind: 'syncDeployment', deployment: 'web' }, gc]);
    expect(turns.map((a) => a && controllerOf(a))).toEqual(['deployment', 'garbagecollector']);
    // A role of one loop has one list: its turn is its next move.
    expect(nextMoveInTurn('scheduler', c.state, c.now, 1)).toEqual(nextMove('scheduler', c.state, c.now));
  });
});

describe('a bot\'s next move planned once (the API server makes it: ApiServer.actNext)', () => {
  test('[round] 10 pods on two nodes, every role making planNextMove\'s move: the same plan as planAction\'s, and the moves each pod takes', () => {
    const c = new SimCluster({ seed: 7 });
    const nodes = ['node-1', 'node-2'];
    for (const n of nodes) {
      c.addNode(n, { cpu: 4 });
      c.stopNode(n); // no bots: only moves
    }
    c.createObject(makeDeployment('web', { replicas: 10, image: 'nginx:1.27', requests: { cpu: '50m' } }));
    const roles = rolesOf(c.state);
    const running = (): number => [...c.state.list('Pod')].filter((p) => p.status?.phase === 'Running' && isPodReady(p)).length;
    const made = new Map<string, number>();
    let now = c.now;
    for (let tick = 0; tick < 100 && running() < 10; tick++) {
      now += 500;
      for (const n of nodes) apply(c, advanceRuntime(c.state, n, now));
      for (const [r, role] of roles.entries()) {
        // A bounded pass, as a bot's tick is: a move that changed nothing would come back forever.
        for (let turn = 0; turn < 40; turn++) {
          // Each decision its own draws (a pod's name), the same for both plans of it.
          const seed = (tick * 100 + r) * 100 + turn;
          const next = planNextMove(role, c.state, now, turn, seededRng(seed));
          const move = nextMoveInTurn(role, c.state, now, turn);
          expect(next?.move).toEqual(move);
          if (!next || !move) break;
          // What the API server would have planned again for the action the bot sent, on the same state, time and draws.
          const checked = planAction(c.state, move.action, now, seededRng(seed));
          expect(checked.ok && { steps: checked.steps, message: checked.message, move: checked.move }).toEqual({ steps: next.steps, message: next.message, move: next.move });
          apply(c, next.steps);
          made.set(move.action.kind, (made.get(move.action.kind) ?? 0) + 1);
        }
      }
    }
    expect(running()).toBe(10);
    // Per pod: created, bound, its container created and started (each call answered by the
    // runtime), and three status reports (ContainerCreating, the container's ID, Running and Ready);
    // one image pull per node.
    const perPod = ['createPod', 'bind', 'createContainer', 'startContainer', 'answerCri', 'syncPodStatus', 'pullImage'].map((kind) => [kind, made.get(kind) ?? 0]);
    expect(perPod).toEqual([
      ['createPod', 10],
      ['bind', 10],
      ['createContainer', 10],
      ['startContainer', 10],
      ['answerCri', 22],
      ['syncPodStatus', 30],
      ['pullImage', 2],
    ]);
  });
});
