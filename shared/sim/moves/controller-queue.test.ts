import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { makeDeployment, makeService, type KubeObject, type PropagationPolicy } from '@shared/model';
import { rolesForNodes } from '@shared/protocol';
import type { AppliedEvent } from '../api-server';
import { SimCluster } from '../cluster';
import { ClusterState } from '../state';
import { isApiRequest, update } from '../requests';
import { CONTROLLERS, controllerManagerMoves, controllerOf, type Controller } from './controller-manager';
import { firstControllerMoves } from './controller-queue';
import { legalMoves, moveKey, nextMove, nextMoveInTurn, planAction } from './index';
import { seededRng } from '../rng';
import { planKubelet } from '../kubelet/kubelet';
import { activePodsOf, replicaSetStatusSteps, replicaSetStatusStepsOf } from '../controllers/replicaset';

/** Each controller's first move as the full listing gives it: [controller, action, label, why]. */
function fromFullListing(c: SimCluster): [Controller, string, string, string][] {
  const first = new Map<Controller, [Controller, string, string, string]>();
  for (const m of controllerManagerMoves(c.state, c.now).moves) {
    const controller = controllerOf(m.action);
    if (!first.has(controller)) first.set(controller, [controller, moveKey(m.action), m.label, m.why]);
  }
  return CONTROLLERS.flatMap((k) => (first.has(k) ? [first.get(k) as [Controller, string, string, string]] : []));
}

function fromQueue(c: SimCluster): [Controller, string, string, string][] {
  return [...firstControllerMoves(c.state, c.now)].map(([controller, m]) => [controller, moveKey(m.action), m.label, m.why]);
}

/** One change to the cluster: a move of some role, a client's write, or time passing. */
const change = fc.oneof(
  fc.record({ kind: fc.constant('move' as const), role: fc.nat(), move: fc.nat() }),
  fc.record({ kind: fc.constant('wait' as const), seconds: fc.constantFrom(1, 5, 20, 45, 60, 400) }),
  // The bots' loops run a while (SimCluster's own passes): the cluster settles, so a later change is the only news.
  fc.record({ kind: fc.constant('run' as const), seconds: fc.constantFrom(1, 10, 60) }),
  // A node's kubelet stops: it goes Unknown, is tainted, and its pods wait out their tolerationSeconds.
  fc.record({ kind: fc.constant('stop' as const), node: fc.constantFrom('node-1', 'node-2') }),
  // A running container dies: only the runtime's record of it changes.
  fc.record({ kind: fc.constant('crash' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('scale' as const), deployment: fc.nat(1), replicas: fc.nat(4) }),
  // A broken image leaves a rollout unfinished: its progress deadline passes with time alone.
  fc.record({ kind: fc.constant('image' as const), deployment: fc.nat(1), image: fc.constantFrom('nginx:1.27', 'redis:7', 'nginx:broken') }),
  fc.record({ kind: fc.constant('delete' as const), what: fc.constantFrom('Pod', 'ReplicaSet', 'Deployment', 'Service'), pick: fc.nat(), policy: fc.constantFrom<PropagationPolicy | undefined>('Orphan', 'Foreground', 'Background', undefined) }),
  fc.record({ kind: fc.constant('service' as const), name: fc.constantFrom('web-0', 'web-1', 'other') }),
  fc.record({ kind: fc.constant('relabel' as const), pick: fc.nat(), app: fc.constantFrom('web-0', 'web-1', 'none') }),
);

type Change = typeof change extends fc.Arbitrary<infer T> ? T : never;

/** Builds a small cluster, then makes the changes one by one, calling `check` before the first and after each. */
function replay(seed: number, changes: readonly Change[], check: (c: SimCluster, ch?: Change) => void, onCommit?: (event: AppliedEvent) => void): void {
  const c = new SimCluster({ seed, ...(onCommit ? { onCommit } : {}) });
  c.addNode('node-1', { cpu: 2 });
  c.addNode('node-2', { cpu: 2 });
  for (let i = 0; i < 2; i++) {
    const d = makeDeployment(`web-${i}`, { replicas: 2, image: 'nginx:1.27', requests: { cpu: '100m' }, port: 80 });
    // web-1 rolls out by Recreate: its new pods wait until the old ReplicaSets' pods are gone.
    c.createObject(i === 1 ? { ...d, spec: { ...d.spec, strategy: { type: 'Recreate' } } } : d);
  }
  c.createObject(makeService('web-0', { app: 'web-0' }, 80));
  check(c);
  c.runUntil(c.now + 30_000);
  const roles = rolesForNodes(['node-1', 'node-2']);
  for (const ch of changes) {
    switch (ch.kind) {
      case 'move': {
        const role = roles[ch.role % roles.length] ?? 'scheduler';
        const moves = legalMoves(role, c.state, c.now).filter((m) => m.progress);
        const move = moves[ch.move % Math.max(1, moves.length)];
        if (!move) break;
        const plan = planAction(c.state, move.action, c.now, c.rng);
        if (plan.ok) for (const s of plan.steps) if (isApiRequest(s)) c.submit(s);
        break;
      }
      case 'wait':
        c.now += ch.seconds * 1000;
        break;
      case 'run':
        c.runUntil(c.now + ch.seconds * 1000);
        break;
      case 'stop':
        c.stopNode(ch.node);
        break;
      case 'crash': {
        const running = [...c.state.list('Pod')].filter((p) => p.status?.phase === 'Running');
        const pod = running[ch.pick % Math.max(1, running.length)];
        if (pod) c.crashPod(`default/${pod.metadata.name}`);
        break;
      }
      case 'scale':
      case 'image': {
        const d = c.state.get('Deployment', `default/web-${ch.deployment}`);
        if (!d) break;
        const spec = ch.kind === 'scale' ? { ...d.spec, replicas: ch.replicas } : { ...d.spec, template: { ...d.spec.template, spec: { ...d.spec.template.spec, containers: d.spec.template.spec.containers.map((x) => ({ ...x, image: ch.image })) } } };
        c.submit(update(d, { ...d, spec }, 'a client edits it'));
        break;
      }
      case 'delete': {
        const all: KubeObject[] = [...c.state.list(ch.what)];
        const obj = all[ch.pick % Math.max(1, all.length)];
        if (obj) c.submit({ verb: 'delete', kind: obj.kind, name: obj.metadata.name, namespace: 'default', reason: 'kubectl delete', ...(ch.policy ? { propagationPolicy: ch.policy } : {}) });
        break;
      }
      case 'service':
        if (!c.state.get('Service', `default/${ch.name}`)) c.createObject(makeService(ch.name, { app: ch.name }, 80));
        break;
      case 'relabel': {
        const pods = [...c.state.list('Pod')];
        const pod = pods[ch.pick % Math.max(1, pods.length)];
        if (pod) c.submit(update(pod, { ...pod, metadata: { ...pod.metadata, labels: { ...pod.metadata.labels, app: ch.app } } }, 'a client relabels it'));
        break;
      }
    }
    check(c, ch);
  }
}

describe('the controller manager work queue', () => {
  test('[property] after any sequence of moves, writes, deletions and waits, each controller\'s first move from the work queue is the full listing\'s', { timeout: 120_000 }, () => {
    fc.assert(
      fc.property(fc.nat(1000), fc.array(change, { minLength: 10, maxLength: 60 }), (seed, changes) => {
        replay(seed, changes, (c, ch) => expect(fromQueue(c), JSON.stringify(ch)).toEqual(fromFullListing(c)));
      }),
      { numRuns: 60 },
    );
  });

  test('[property] a bot\'s next move and a sent action\'s check, planned only as far as they need, agree with the full list of every role', { timeout: 120_000 }, () => {
    fc.assert(
      fc.property(fc.nat(1000), fc.array(change, { minLength: 5, maxLength: 30 }), (seed, changes) => {
        replay(seed, changes, (c, ch) => {
          for (const role of rolesForNodes(['node-1', 'node-2'])) {
            const moves = legalMoves(role, c.state, c.now);
            if (role !== 'controller-manager') expect(nextMove(role, c.state, c.now), `${role} after ${JSON.stringify(ch)}`).toEqual(moves.find((m) => m.progress));
            for (const move of moves) {
              const plan = planAction(c.state, move.action, c.now, seededRng(1));
              expect(plan.ok && plan.move, `${role} ${move.label}`).toEqual(move);
            }
          }
        });
      }),
      { numRuns: 25 },
    );
  });
  test('[property] on a cache of objects read anew from the store (the server\'s), a kubelet\'s and a runtime\'s next move is the full list\'s first, pods passed over or not', { timeout: 120_000 }, () => {
    fc.assert(
      fc.property(fc.nat(1000), fc.array(change, { minLength: 5, maxLength: 40 }), (seed, changes) => {
        // Each committed object decoded from its JSON, as the owner's cache applies a watch event: equal, never the same, objects.
        const cache = new ClusterState();
        replay(
          seed,
          changes,
          (c, ch) => {
            for (const role of rolesForNodes(['node-1', 'node-2']).filter((r) => r.startsWith('kubelet:') || r.startsWith('container-runtime:'))) {
              // The bot asks before and after a screen lists the role's moves (which plans every pod again).
              const before = nextMove(role, cache, c.now);
              const first = legalMoves(role, cache, c.now).find((m) => m.progress);
              expect(before, `${role} after ${JSON.stringify(ch)}`).toEqual(first);
              expect(nextMove(role, cache, c.now), `${role} after ${JSON.stringify(ch)}, listed`).toEqual(first);
              expect(nextMove(role, cache, c.now), `${role} after ${JSON.stringify(ch)}, on the harness's own copy`).toEqual(nextMove(role, c.state, c.now));
            }
          },
          (event) => cache.apply(event.type, JSON.parse(JSON.stringify(event.object)) as KubeObject),
        );
      }),
      { numRuns: 40 },
    );
  });

  test('[property] the kubelet skips only pods whose planning would find nothing again, and a ReplicaSet\'s status from the running counts is the one from its pods', { timeout: 120_000 }, () => {
    fc.assert(
      fc.property(fc.nat(1000), fc.array(change, { minLength: 5, maxLength: 40 }), (seed, changes) => {
        replay(seed, changes, (c, ch) => {
          for (const rs of c.state.list('ReplicaSet')) {
            expect(replicaSetStatusStepsOf(c.state, rs, c.now), `${rs.metadata.name} after ${JSON.stringify(ch)}`).toEqual(replicaSetStatusSteps(rs, activePodsOf(c.state, rs), c.now));
          }
          for (const node of ['node-1', 'node-2']) {
            const full = planKubelet(c.state, node, c.now, undefined, null);
            expect(JSON.stringify(planKubelet(c.state, node, c.now)), `${node} after ${JSON.stringify(ch)}`).toBe(JSON.stringify(full));
          }
        });
      }),
      { numRuns: 40 },
    );
  });

  test('a rollout that makes no progress: with nothing else changed, the queue looks at its Deployment again once progressDeadlineSeconds pass', () => {
    const c = new SimCluster({ seed: 4 });
    c.addNode('node-1', { cpu: 2 });
    c.createObject(makeDeployment('web', { replicas: 1, image: 'nginx:broken' }));
    c.runUntil(c.now + 30_000);
    expect(fromQueue(c).map(([controller]) => controller)).toEqual([]);
    c.now += 600_000;
    expect(fromFullListing(c).map(([controller]) => controller)).toContain('deployment');
    expect(fromQueue(c)).toEqual(fromFullListing(c));
  });

  test('a controller manager bot takes each controller\'s turn from the queue: a deployment first, then its ReplicaSet\'s pods', () => {
    const c = new SimCluster({ seed: 3 });
    c.addNode('node-1', { cpu: 2 });
    c.createObject(makeDeployment('web', { replicas: 2, image: 'nginx:1.27' }));
    expect(nextMoveInTurn('controller-manager', c.state, c.now, 0)?.label).toBe('Sync deployment web');
    const sync = planAction(c.state, { kind: 'syncDeployment', deployment: 'web' }, c.now, c.rng);
    if (!sync.ok) throw new Error(sync.message);
    for (const s of sync.steps) if (isApiRequest(s)) c.submit(s);
    const rs = [...c.state.list('ReplicaSet')][0];
    expect(nextMoveInTurn('controller-manager', c.state, c.now, 1)?.label).toBe(`Create a pod for ${rs?.metadata.name ?? ''}`);
  });
});
