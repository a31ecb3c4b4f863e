/**
 * `npm run bench -- sim`: the cost of the control loops at classroom-and-beyond scale.
 * For 100 nodes / 3,000 pods and 1,000 nodes / 30,000 pods it prints
 *  - how fast the bots alone take pods from created to Running (simulated pods/s, and pods per second of CPU),
 *  - one scheduling decision, beside a baseline that recomputes node usage by rescanning every pod,
 *  - one full reconcile of every role, beside a baseline that only reads every object once,
 *  - the rulebook (`legalMoves` of every role, what each screen and bot asks), beside that reconcile;
 *  - a bot's next move after one pod changed (what the server's bots ask at every move): the
 *    controller manager from its work queues and a kubelet planning only as far as its first move,
 *    beside the full listing of that role's moves.
 */
import { makeDeployment, makePod, makeService, nodeAllocatable, podRequests, applyDefaults, type Node, type Pod } from '@shared/model';
import { SimCluster } from '@shared/sim/cluster';
import { reconcile } from '@shared/sim/bots';
import { legalMoves, nextMoveInTurn } from '@shared/sim/moves';
import { update } from '@shared/sim/requests';
import { schedulePod, sortedNodes } from '@shared/sim/scheduler/scheduler';
import { seededRng } from '@shared/sim/rng';
import { rolesForNodes, parseRole, type ParsedRole } from '@shared/protocol';

const REPLICAS_PER_DEPLOYMENT = 100;
const SERVICES = 10;

/** CPU time, not wall-clock: the figure must not depend on what else the machine runs. */
function cpuTime<T>(fn: () => T): { ms: number; value: T } {
  const start = process.cpuUsage();
  const value = fn();
  const used = process.cpuUsage(start);
  return { ms: (used.user + used.system) / 1000, value };
}

function average(iterations: number, fn: (i: number) => void): number {
  fn(0); // warm up
  const t = performance.now();
  for (let i = 0; i < iterations; i++) fn(i);
  return (performance.now() - t) / iterations;
}

/** The baseline decision: node usage recomputed from every pod (what the per-node index avoids). */
function naiveFits(pods: readonly Pod[], nodes: readonly Node[], pod: Pod): number {
  const used = new Map<string, number>();
  for (const p of pods) if (p.spec.nodeName) used.set(p.spec.nodeName, (used.get(p.spec.nodeName) ?? 0) + podRequests(p).cpuMillis);
  const want = podRequests(pod).cpuMillis;
  return nodes.filter((n) => nodeAllocatable(n).cpuMillis - (used.get(n.metadata.name) ?? 0) >= want).length;
}

/** The median of single calls (ms): a garbage collection in the heap of 30,000 pods must not decide a sub-millisecond figure. */
function median(iterations: number, fn: (i: number) => void): number {
  fn(0); // warm up
  const times: number[] = [];
  for (let i = 1; i <= iterations; i++) {
    const t = performance.now();
    fn(i);
    times.push(performance.now() - t);
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)] ?? 0;
}

interface Figures {
  nodes: number;
  pods: number;
  simSeconds: number;
  cpuSeconds: number;
  decisionMs: number;
  naiveDecisionMs: number;
  reconcileMs: number;
  readAllMs: number;
  requestsInSteadyState: number;
  rulebookMs: number;
  moves: number;
  /** Medians; each includes applying the one change (`changeMs`). */
  nextMoveMs: { controllerManager: number; kubelet: number };
  changeMs: number;
  fullListingMs: { controllerManager: number; kubelet: number };
}

function measure(nodes: number, pods: number): Figures {
  const cluster = new SimCluster({ seed: 7 });
  for (let i = 0; i < nodes; i++) cluster.addNode(`node-${i}`, { cpu: 4, memory: '16Gi' });
  cluster.runUntil(cluster.now + 1);
  const start = cluster.now;
  const deployments = pods / REPLICAS_PER_DEPLOYMENT;
  const built = cpuTime(() => {
    for (let i = 0; i < deployments; i++) {
      cluster.createObject(makeDeployment(`app-${i}`, { replicas: REPLICAS_PER_DEPLOYMENT, image: ['nginx:1.27', 'redis:7', 'busybox:1.36'][i % 3], requests: { cpu: '100m', memory: '64Mi' }, port: 80 }));
      if (i < SERVICES) cluster.createObject(makeService(`app-${i}`, { app: `app-${i}` }, 80));
    }
    const running = (): boolean => {
      let n = 0;
      for (const p of cluster.state.list('Pod')) if (p.status?.phase === 'Running') n++;
      return n === pods;
    };
    if (!cluster.runUntilTrue(running, 600_000)) throw new Error('pods did not all reach Running');
  });
  const simSeconds = (cluster.now - start) / 1000;
  cluster.runUntil(cluster.now + 5_000);

  const state = cluster.state;
  const sorted = sortedNodes(state);
  const probe = { ...applyDefaults(makePod('probe', { requests: { cpu: '100m', memory: '64Mi' } })), metadata: { name: 'probe', namespace: 'default', uid: 'probe', resourceVersion: '1', creationTimestamp: '2026-11-25T10:00:00Z' } };
  const rng = seededRng(1);
  const decisionMs = average(200, () => schedulePod(state, probe, sorted, rng));
  const allPods = [...state.list('Pod')];
  const naiveDecisionMs = average(20, () => naiveFits(allPods, sorted, probe));

  const roles: ParsedRole[] = rolesForNodes(sorted.map((n) => n.metadata.name)).map((r) => parseRole(r) as ParsedRole);
  let requests = 0;
  const reconcileMs = average(3, () => {
    requests = 0;
    for (const role of roles) requests += reconcile(role, state, cluster.now, rng).filter((s) => s.verb !== 'timer').length;
  });
  const readAllMs = average(3, () => {
    let bytes = 0;
    for (const kind of ['Node', 'Pod', 'ReplicaSet', 'Deployment', 'Service', 'Endpoints', 'ContainerRuntime', 'ProxyTable', 'Lease'] as const) {
      for (const o of state.list(kind)) bytes += JSON.stringify(o).length;
    }
    return bytes;
  });
  const roleNames = rolesForNodes(sorted.map((n) => n.metadata.name));
  let moves = 0;
  const rulebookMs = average(3, () => {
    moves = 0;
    for (const role of roleNames) moves += legalMoves(role, state, cluster.now).length;
  });
  // One pod changes (a label), then each bot asks for its next move, as the server's bots do at every move.
  const pod = allPods[allPods.length - 1] as Pod;
  const node = pod.spec.nodeName ?? 'node-0';
  const touch = (i: number): void => {
    const current = state.pod(`default/${pod.metadata.name}`) ?? pod;
    cluster.submit(update(current, { ...current, metadata: { ...current.metadata, labels: { ...current.metadata.labels, touched: String(i) } } }, 'bench: one pod changes'));
  };
  const nextMoveMs = {
    controllerManager: median(101, (i) => (touch(i), nextMoveInTurn('controller-manager', state, cluster.now, i))),
    kubelet: median(101, (i) => (touch(1000 + i), nextMoveInTurn(`kubelet:${node}`, state, cluster.now, i))),
  };
  const changeMs = median(101, (i) => touch(2000 + i));
  const fullListingMs = {
    controllerManager: median(5, () => legalMoves('controller-manager', state, cluster.now)),
    kubelet: median(21, () => legalMoves(`kubelet:${node}`, state, cluster.now)),
  };
  return { nodes, pods, simSeconds, cpuSeconds: built.ms / 1000, decisionMs, naiveDecisionMs, reconcileMs, readAllMs, requestsInSteadyState: requests, rulebookMs, moves, nextMoveMs, changeMs, fullListingMs };
}

const fmt = (n: number, digits = 2): string => n.toFixed(digits);

const results = [measure(100, 3_000), measure(1_000, 30_000)];
console.log('\nshared/sim: bots alone, created -> Running (kwok states 20 pods/s; we aim at >= 500)');
for (const r of results) {
  console.log(
    `  ${r.nodes} nodes / ${r.pods} pods: ${fmt(r.simSeconds, 1)} simulated s -> ${fmt(r.pods / r.simSeconds, 0)} pods/s simulated; ` +
      `${fmt(r.cpuSeconds, 1)} s of CPU -> ${fmt(r.pods / r.cpuSeconds, 0)} pods/s of CPU (every request applied, every event created)`,
  );
}
console.log('\none scheduling decision (filters + scores over the nodes)    baseline: usage rescanned from every pod');
for (const r of results) console.log(`  ${r.nodes} nodes / ${r.pods} pods: ${fmt(r.decisionMs * 1000, 0)} µs              baseline ${fmt(r.naiveDecisionMs * 1000, 0)} µs`);
console.log('\none full reconcile of every role (scheduler, controllers, all kubelets, runtimes, kube-proxy)    baseline: read every object once');
for (const r of results) {
  console.log(`  ${r.nodes} nodes / ${r.pods} pods: ${fmt(r.reconcileMs, 1)} ms (${r.requestsInSteadyState} requests in steady state)    baseline ${fmt(r.readAllMs, 1)} ms`);
}
console.log('\nthe rulebook: legalMoves of every role (what the screens and bots ask)    baseline: the full reconcile above');
for (const r of results) console.log(`  ${r.nodes} nodes / ${r.pods} pods: ${fmt(r.rulebookMs, 1)} ms (${r.moves} moves, probes included)    ratio to reconcile ${fmt(r.rulebookMs / r.reconcileMs, 2)}x`);
console.log('\na bot\'s next move after one pod changed (work queues; the kubelet plans up to its first move)    baseline: the full listing of that role\'s moves');
for (const r of results) {
  const net = (ms: number): string => fmt(Math.max(0, ms - r.changeMs) * 1000, 0);
  console.log(
    `  ${r.nodes} nodes / ${r.pods} pods: controller-manager ${net(r.nextMoveMs.controllerManager)} µs (full ${fmt(r.fullListingMs.controllerManager, 1)} ms), ` +
      `kubelet ${net(r.nextMoveMs.kubelet)} µs (full ${fmt(r.fullListingMs.kubelet * 1000, 0)} µs); applying the change ${fmt(r.changeMs * 1000, 0)} µs`,
  );
}
const [small, large] = results as [Figures, Figures];
console.log('\ngrowth from 3,000 to 30,000 pods (10x; linear = 10x):');
console.log(`  full reconcile ${fmt(large.reconcileMs / small.reconcileMs, 1)}x, read-all baseline ${fmt(large.readAllMs / small.readAllMs, 1)}x, created->Running CPU ${fmt(large.cpuSeconds / small.cpuSeconds, 1)}x`);
console.log(`  controller-manager next move ${fmt(large.nextMoveMs.controllerManager / small.nextMoveMs.controllerManager, 1)}x, its full listing ${fmt(large.fullListingMs.controllerManager / small.fullListingMs.controllerManager, 1)}x`);
console.log(`  scheduling decision ${fmt(large.decisionMs / small.decisionMs, 1)}x (bounded by percentageOfNodesToScore), rescanning baseline ${fmt(large.naiveDecisionMs / small.naiveDecisionMs, 1)}x`);
