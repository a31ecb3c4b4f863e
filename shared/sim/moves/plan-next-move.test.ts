/**
 * A bot's next move is planned once (`planNextMove`, what the API server's `actNext` writes) where
 * it used to be chosen and then planned again by the rulebook's check of a sent action
 * (`planAction`). The two must not drift apart: over long bot-played histories of every built-in
 * scenario and one of every fault, at every move of every role, the plan made once is the one the
 * check makes for that action (same steps, same words, same draws), and every move the rulebook
 * lists is one the check accepts.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import type { SimTime } from '@shared/model';
import { rolesForNodes, type Fault, type Role } from '@shared/protocol';
import { evaluateGoals, parseScenario, type Scenario } from '@shared/scenarios';
import { SimCluster } from '../cluster';
import { HEARTBEAT_MODE, KUBELET_STOPPED, KUBE_PROXY_STOPPED, NODE_PARTITIONED, SLOW_IMAGE_PULLS, kubeProxyStopped, kubeletStopped, manualHeartbeat, partitioned } from '../faults';
import { NODE_LEASE_RENEW_SECONDS } from '../defaults';
import { postNodeStatus, renewLease } from '../kubelet/heartbeat';
import { onTimer } from '../on-timer';
import { isApiRequest, update, type Step } from '../requests';
import { seededRng } from '../rng';
import { crashContainer } from '../runtime/runtime';
import { TimerQueue } from '../timer-queue';
import { TIMER_KINDS } from '../timers';
import { legalMoves, nextMoveInTurn, planAction, planNextMove, sameMove, type Move } from './index';

const BUILTIN = path.join(import.meta.dirname, '../../scenarios/builtin');

function scenarioFile(file: string): Scenario {
  const parsed = parseScenario(readFileSync(path.join(BUILTIN, file), 'utf8'));
  if (!parsed.ok) throw new Error(`${file}: ${parsed.message}`);
  return parsed.scenario;
}

/** A pod a step crashes: scenarios name pods before they exist, so `any` is the first Running one. */
const ANY_POD = 'any';

/**
 * Every fault the built-in scenarios do not have, on the first scenario's cluster: slow pulls, a
 * crash, a scale up and down, a partition and its healing, a stopped kube-proxy and kubelet, a
 * new image, the heartbeat drill, a node removed and one added.
 */
function everyFault(): Scenario {
  const base = scenarioFile('1-first-deployment.yaml');
  const steps: [number, Fault][] = [
    [15, { type: 'slowImagePulls', node: 'node-1', extraSeconds: 30 }],
    [40, { type: 'crashPod', pod: ANY_POD }],
    [60, { type: 'scaleDeployment', deployment: 'web', replicas: 6 }],
    [90, { type: 'partitionNode', node: 'node-2', partitioned: true }],
    [180, { type: 'partitionNode', node: 'node-2', partitioned: false }],
    [200, { type: 'stopKubeProxy', node: 'node-1' }],
    [240, { type: 'stopKubelet', node: 'node-3' }],
    [260, { type: 'startKubeProxy', node: 'node-1' }],
    [300, { type: 'setImage', deployment: 'web', image: 'nginx:1.28' }],
    [330, { type: 'slowImagePulls', node: 'node-1', extraSeconds: 0 }],
    [400, { type: 'startKubelet', node: 'node-3' }],
    [420, { type: 'scaleDeployment', deployment: 'web', replicas: 2 }],
    [450, { type: 'crashPod', pod: ANY_POD }],
    [480, { type: 'manualHeartbeat', node: 'node-1', manual: true }],
    [600, { type: 'manualHeartbeat', node: 'node-1', manual: false }],
    [620, { type: 'removeNode', node: 'node-2' }],
    [640, { type: 'addNode', cpu: '4' }],
    [700, { type: 'scaleDeployment', deployment: 'web', replicas: 5 }],
  ];
  const goals = ['deployment/web readyReplicas == 5', 'deployment/web updatedReplicas == 5', 'deployment/web image == nginx:1.28', 'node/node-3 ready == 1', 'node/node-1 ready == 1'];
  return { ...base, id: 'every-fault', steps: steps.map(([at, action]) => ({ at, action })), goals: goals.map((check, i) => ({ id: `goal-${i}`, check, about: check })) };
}

const SECONDS = 900;
/** A bot's moves in one tick (the server's MOVES_PER_TICK bounds a move that changes nothing). */
const MOVES_PER_TICK = 20;
/** Every this many ticks, a role that made no move has the moves it lists (probes) sent through the check. */
const LISTED_EVERY = 10;

interface Tally {
  /** The scenario's goals not met at the end (availability aside: it is measured on traffic, not played here). */
  unmet: string[];
  moves: number;
  checked: number;
  listed: number;
  kinds: Set<string>;
}

/**
 * The scenario played by a bot for every role, as the server has it: the scenario's steps as the
 * instructor's faults, world timers (CRI calls finishing, processes exiting) firing, the kubelets'
 * heartbeat every 10 s, and each role's next moves (`planNextMove`) with what the API server
 * refuses before the plan (a stopped or cut-off node). Every plan is compared with `planAction`'s.
 */
function play(scenario: Scenario, seed: number, tickMs: number): Tally {
  const c = new SimCluster({ seed });
  const timers = new TimerQueue();
  const tally: Tally = { unmet: [], moves: 0, checked: 0, listed: 0, kinds: new Set() };
  const apply = (steps: readonly Step[]): void => {
    for (const step of steps) {
      if (isApiRequest(step)) c.submit(step);
      // Only world timers do something themselves; the others wake a bot, and bots look every tick.
      else if (TIMER_KINDS[step.timer.kind].world) timers.push(step.timer);
    }
  };
  const annotate = (name: string, key: string, value: string | null): void => {
    const node = c.state.node(name);
    if (!node) return;
    const annotations = { ...node.metadata.annotations };
    if (value === null) delete annotations[key];
    else annotations[key] = value;
    c.submit(update(node, { ...node, metadata: { ...node.metadata, annotations } }, `fault on ${name}`));
  };
  const fault = (f: Fault): void => {
    switch (f.type) {
      case 'stopKubelet':
      case 'startKubelet':
        return annotate(f.node, KUBELET_STOPPED, f.type === 'stopKubelet' ? 'true' : null);
      case 'stopKubeProxy':
      case 'startKubeProxy':
        return annotate(f.node, KUBE_PROXY_STOPPED, f.type === 'stopKubeProxy' ? 'true' : null);
      case 'partitionNode':
        return annotate(f.node, NODE_PARTITIONED, f.partitioned ? 'true' : null);
      case 'slowImagePulls':
        return annotate(f.node, SLOW_IMAGE_PULLS, f.extraSeconds > 0 ? String(f.extraSeconds) : null);
      case 'manualHeartbeat':
        return annotate(f.node, HEARTBEAT_MODE, f.manual ? 'manual' : null);
      case 'crashPod': {
        const pods = [...c.state.list('Pod')];
        const pod = pods.find((p) => p.metadata.name === f.pod) ?? (f.pod === ANY_POD ? pods.find((p) => p.status?.phase === 'Running') : undefined);
        const node = pod?.spec.nodeName;
        if (!pod || node === undefined) throw new Error(`${scenario.id}: no pod to crash`);
        return apply(crashContainer(c.state, node, pod.metadata.uid ?? '', c.now));
      }
      case 'addNode':
        return c.addNode(`node-${Math.max(0, ...nodes().map((n) => Number(n.slice('node-'.length)))) + 1}`, { ...(f.cpu ? { cpu: f.cpu } : {}), ...(f.memory ? { memory: f.memory } : {}) });
      case 'removeNode':
        c.submit({ verb: 'delete', kind: 'Node', name: f.node, reason: 'the instructor removes the node' });
        return;
      case 'scaleDeployment':
      case 'setImage': {
        const d = c.state.get('Deployment', `default/${f.deployment}`);
        if (!d) throw new Error(`${scenario.id}: no deployment ${f.deployment}`);
        const spec =
          f.type === 'scaleDeployment'
            ? { ...d.spec, replicas: f.replicas }
            : { ...d.spec, template: { ...d.spec.template, spec: { ...d.spec.template.spec, containers: d.spec.template.spec.containers.map((x, i) => (i === 0 ? { ...x, image: f.image } : x)) } } };
        c.submit(update(d, { ...d, spec }, `kubectl ${f.type}`));
        return;
      }
      // Traffic is probes (never a bot's next move); a read-only etcd refuses writes the rulebook never sees.
      case 'traffic':
      case 'trafficSpike':
      case 'readOnlyStore':
        return;
    }
  };

  for (const n of scenario.nodes) {
    const { name, cpu, memory, pods, labels, taints } = n;
    c.addNode(name, { ...(cpu ? { cpu } : {}), ...(memory ? { memory } : {}), ...(pods ? { pods } : {}), ...(labels ? { labels } : {}), ...(taints ? { taints } : {}) });
  }
  for (const object of scenario.workloads) c.createObject(object);
  const start = c.now;
  /** Every move the role lists now is accepted by the check, and its next move is one of them. */
  const checkListed = (role: Role, now: SimTime, where: string, next?: Move): void => {
    const listed = legalMoves(role, c.state, now);
    for (const move of listed) {
      const plan = planAction(c.state, move.action, now, seededRng(tally.listed));
      expect(plan.ok ? 'accepted' : plan.message, `${where}: listed ${move.label}`).toBe('accepted');
      tally.listed++;
    }
    if (next) expect(listed.some((m) => sameMove(m.action, next.action)), `${where}: next ${next.label} is listed`).toBe(true);
  };
  const steps = [...scenario.steps].sort((a, b) => a.at - b.at);
  let beat = start;
  const nodes = (): string[] => [...c.state.list('Node')].map((n) => n.metadata.name);

  for (let tick = 0; tick * tickMs <= SECONDS * 1000; tick++) {
    const now: SimTime = start + tick * tickMs;
    c.now = now;
    while (steps.length && start + (steps[0]?.at ?? 0) * 1000 <= now) fault((steps.shift() as Scenario['steps'][number]).action);
    for (let t = timers.peek(); t && t.dueAt <= now; t = timers.peek()) {
      timers.pop();
      // The machine is down: its runtime's pending steps die with it.
      if (t.node !== undefined && kubeletStopped(c.state, t.node)) continue;
      apply(onTimer(c.state, t, now, seededRng(t.dueAt)));
    }
    if (now >= beat) {
      beat = now + NODE_LEASE_RENEW_SECONDS * 1000;
      for (const node of nodes()) {
        const object = c.state.node(node);
        if (!object || kubeletStopped(c.state, node) || partitioned(c.state, node) || manualHeartbeat(c.state, node)) continue;
        apply([...renewLease(c.state, node, now), ...postNodeStatus(object, now)]);
      }
    }
    const roles: Role[] = rolesForNodes(nodes());
    for (const [r, role] of roles.entries()) {
      const where = `${scenario.id} (seed ${seed}, a move every ${tickMs} ms) at ${(tick * tickMs) / 1000} s, ${role}`;
      const node = role.includes(':') ? role.slice(role.indexOf(':') + 1) : null;
      const tried = new Set<string>();
      for (let i = 0; i < MOVES_PER_TICK; i++) {
        const turn = tick + i;
        // Each decision its own draws (a pod's name), the same for both plans of it.
        const draws = ((seed * 100_000 + tick) * 100 + r) * 100 + i;
        const next = planNextMove(role, c.state, now, turn, seededRng(draws));
        expect(next?.move, where).toEqual(nextMoveInTurn(role, c.state, now, turn));
        if (!next) break;
        checkListed(role, now, where, next.move);
        // What the API server planned again for the action the bot sent, before it planned once.
        expect(planAction(c.state, next.move.action, now, seededRng(draws)), `${where}: ${next.move.label}`).toEqual(next);
        tally.checked++;
        const made = `${JSON.stringify(next.move.action)}@${c.state.resourceVersion}`;
        if (tried.has(made)) break;
        tried.add(made);
        // Refused before the plan, as ApiServer.check refuses it: the bot tries again next tick.
        if (node !== null && kubeletStopped(c.state, node)) break;
        if (role.startsWith('kubelet:') && node !== null && partitioned(c.state, node)) break;
        if (next.move.action.kind === 'syncProxyRules' && node !== null && kubeProxyStopped(c.state, node)) break;
        apply(next.steps);
        tally.moves++;
        tally.kinds.add(next.move.action.kind);
      }
      // A role with nothing to do still lists its probes (a request to a Service).
      if (tick % LISTED_EVERY === 0 && tried.size === 0) checkListed(role, now, where);
    }
  }
  const end = start + SECONDS * 1000;
  const goals = scenario.goals.filter((g) => !g.check.includes('availability'));
  tally.unmet = evaluateGoals({ goals }, c.state, [], end, start).filter((g) => !g.met).map((g) => g.text);
  return tally;
}

/** The moves a scenario's faults call for: the faults did happen, and the bots answered them. */
const FAULT_MOVES: Record<string, string[]> = {
  'node-dies': ['setNodeCondition', 'taintNode', 'evictPod'],
  crashloop: ['restartContainer', 'killPod', 'deletePod'],
  'rolling-update': ['deletePod', 'killPod', 'updateEndpoints', 'syncProxyRules'],
  'every-fault': ['restartContainer', 'setNodeCondition', 'taintNode', 'untaintNode', 'renewLease', 'deletePod', 'killPod', 'syncProxyRules'],
};

const SCENARIOS = [...readdirSync(BUILTIN).sort().map(scenarioFile), everyFault()];

describe("a bot's next move planned once is the move the rulebook's check accepts, planned the same", () => {
  // Bots paced at 0.5 s and at 1.3 s: CRI calls, exits and faults fall between different moves.
  const runs = SCENARIOS.flatMap((s) => [[s.id, 500, 3, s] as const, [s.id, 1300, 4, s] as const]);
  test.each(runs)('[scenario %s, a move every %i ms] 900 simulated seconds, bots in every role: planNextMove === planAction at every move, and every listed move accepted', (_id, tickMs, seed, scenario) => {
    const tally = play(scenario, seed, tickMs);
    // The history did happen: the bots took the cluster where the scenario wants it, through
    // every kind of move a pod's life needs and those its faults call for, each one checked.
    expect(tally.unmet).toEqual([]);
    expect([...tally.kinds]).toEqual(expect.arrayContaining(['syncDeployment', 'createPod', 'bind', 'pullImage', 'createContainer', 'startContainer', 'answerCri', 'syncPodStatus']));
    expect([...tally.kinds]).toEqual(expect.arrayContaining(FAULT_MOVES[scenario.id] ?? []));
  });
});
