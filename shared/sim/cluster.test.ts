import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { isPodActive, isPodReady, makeDeployment, makeService, nodeAllocatable, objectKey, type Pod } from '@shared/model';
import { SimCluster } from './cluster';
import { readyIPs } from './controllers/endpoints';
import type { ApiRequest } from './requests';
import { revalidated } from './testing/revalidated';

type Fault =
  | { type: 'stop'; node: number; at: number }
  | { type: 'start'; node: number; at: number }
  | { type: 'crash'; pod: number; at: number }
  | { type: 'scale'; deployment: number; replicas: number; at: number };

interface Scenario {
  nodes: { cpu: number }[];
  deployments: { replicas: number; cpuMillis: number; image: string }[];
  faults: Fault[];
}

const IMAGES = ['nginx:1.27', 'redis:7', 'busybox:1.36'];

/** node-1 never fails and can hold every pod at the largest scale, so a desired state always exists. */
const scenario: fc.Arbitrary<Scenario> = fc.record({
  nodes: fc.array(fc.record({ cpu: fc.constantFrom(2, 4) }), { minLength: 1, maxLength: 3 }).map((rest) => [{ cpu: 4 }, ...rest]),
  deployments: fc.array(fc.record({ replicas: fc.integer({ min: 1, max: 4 }), cpuMillis: fc.constantFrom(100, 200, 250), image: fc.constantFrom(...IMAGES) }), {
    minLength: 1,
    maxLength: 3,
  }),
  faults: fc.array(
    fc.oneof(
      fc.record({ type: fc.constant('stop' as const), node: fc.integer({ min: 1, max: 3 }), at: fc.integer({ min: 0, max: 300 }) }),
      fc.record({ type: fc.constant('start' as const), node: fc.integer({ min: 1, max: 3 }), at: fc.integer({ min: 0, max: 300 }) }),
      fc.record({ type: fc.constant('crash' as const), pod: fc.nat(20), at: fc.integer({ min: 0, max: 300 }) }),
      fc.record({ type: fc.constant('scale' as const), deployment: fc.nat(2), replicas: fc.integer({ min: 0, max: 5 }), at: fc.integer({ min: 0, max: 300 }) }),
    ),
    { maxLength: 8 },
  ),
});

/** Seconds after the last fault within which the bots must have converged (grace 50 s + toleration 300 s + back-off cap 300 s + work). */
const CONVERGENCE_BOUND_SECONDS = 900;

/** A crash, a node lost and back, a scale-up: most of what the loops write. */
const FAULTY: Scenario = {
  nodes: [{ cpu: 4 }, { cpu: 2 }, { cpu: 2 }],
  deployments: [
    { replicas: 3, cpuMillis: 250, image: 'nginx:1.27' },
    { replicas: 2, cpuMillis: 100, image: 'redis:7' },
  ],
  faults: [
    { type: 'crash', pod: 1, at: 20 },
    { type: 'stop', node: 1, at: 30 },
    { type: 'scale', deployment: 0, replicas: 5, at: 60 },
    { type: 'start', node: 1, at: 500 },
  ],
};

function run(s: Scenario, seed: number, record = false, onWrite?: (request: ApiRequest) => void): { cluster: SimCluster; overcommits: string[] } {
  const overcommits: string[] = [];
  const cluster = new SimCluster({
    seed,
    record,
    onCommit: (event, request, c) => {
      onWrite?.(request);
      if (request.verb !== 'bind' || event.object.kind !== 'Pod') return;
      const node = c.state.node(request.node);
      if (!node) return overcommits.push(`${event.object.metadata.name} bound to missing node ${request.node}`), undefined;
      const used = c.state.usageOf(request.node);
      const alloc = nodeAllocatable(node);
      if (used.cpuMillis > alloc.cpuMillis || used.memoryBytes > alloc.memoryBytes || used.pods > alloc.pods) overcommits.push(`${request.node} overcommitted by ${event.object.metadata.name}`);
    },
  });
  s.nodes.forEach((n, i) => cluster.addNode(`node-${i + 1}`, { cpu: n.cpu }));
  s.deployments.forEach((d, i) => {
    cluster.createObject(makeDeployment(`app-${i}`, { replicas: d.replicas, image: d.image, requests: { cpu: `${d.cpuMillis}m`, memory: '64Mi' }, port: 80 }));
    cluster.createObject(makeService(`app-${i}`, { app: `app-${i}` }, 80));
  });
  const start = cluster.now;
  for (const fault of [...s.faults].sort((a, b) => a.at - b.at)) {
    cluster.runUntil(start + fault.at * 1000);
    const node = `node-${fault.type === 'stop' || fault.type === 'start' ? fault.node + 1 : 0}`;
    if (fault.type === 'stop' && cluster.state.node(node)) cluster.stopNode(node);
    if (fault.type === 'start' && cluster.state.node(node)) cluster.startNode(node);
    if (fault.type === 'crash') {
      const running = [...cluster.state.list('Pod')].filter((p) => p.status?.phase === 'Running');
      const victim = running[fault.pod % Math.max(1, running.length)];
      if (victim) cluster.crashPod(objectKey(victim));
    }
    if (fault.type === 'scale') {
      const d = cluster.state.get('Deployment', `default/app-${fault.deployment % s.deployments.length}`);
      if (d) cluster.submit({ verb: 'update', kind: 'Deployment', namespace: 'default', name: d.metadata.name, object: { ...d, spec: { ...d.spec, replicas: fault.replicas } }, reason: 'scale' });
    }
  }
  const lastFault = Math.max(0, ...s.faults.map((f) => f.at));
  cluster.runUntil(start + (lastFault + CONVERGENCE_BOUND_SECONDS) * 1000);
  return { cluster, overcommits };
}

/** What is still wrong: empty when every Deployment, Endpoints and kube-proxy table is as desired. */
function divergence(c: SimCluster): string[] {
  const problems: string[] = [];
  const pods = [...c.state.list('Pod')];
  for (const d of c.state.deployments()) {
    const want = d.spec.replicas ?? 1;
    const mine = pods.filter((p: Pod) => p.metadata.labels?.['app'] === d.metadata.name && isPodActive(p));
    const current = mine.filter((p) => p.spec.containers[0]?.image === d.spec.template.spec.containers[0]?.image);
    if (mine.length !== want || current.filter((p) => isPodReady(p)).length !== want) problems.push(`${d.metadata.name}: ${mine.length} active, want ${want} ready`);
    if (d.status?.availableReplicas !== want || d.status.updatedReplicas !== want) problems.push(`${d.metadata.name}: status ${JSON.stringify(d.status)}`);
  }
  for (const service of c.state.services()) {
    const ready = pods.filter((p) => p.metadata.labels?.['app'] === service.metadata.name && isPodActive(p) && isPodReady(p)).map((p) => p.status?.podIP ?? '');
    const ips = readyIPs(c.state.endpointsOf(service));
    if (JSON.stringify([...ips].sort()) !== JSON.stringify([...ready].sort())) problems.push(`${service.metadata.name}: endpoints ${ips} vs ready ${ready}`);
    for (const node of c.state.list('Node')) {
      if (c.isStopped(node.metadata.name)) continue;
      const programmed = c.state.proxyTable(node.metadata.name)?.status.services.find((s) => s.service === objectKey(service));
      if (JSON.stringify(programmed?.endpoints.map((e) => e.ip) ?? []) !== JSON.stringify(ips)) problems.push(`${node.metadata.name} kube-proxy lags on ${service.metadata.name}`);
    }
  }
  return problems;
}

describe('all bots together', () => {
  test('[Convergence] after node loss, crashes and scale changes stop, the bots reach the desired state within the bound, never overcommitting a node', () => {
    fc.assert(
      fc.property(scenario, fc.integer({ min: 1, max: 1_000_000 }), (s, seed) => {
        const { cluster, overcommits } = run(s, seed);
        expect(overcommits).toEqual([]);
        expect(divergence(cluster)).toEqual([]);
      }),
      { numRuns: 30 },
    );
  }, 120_000);

  test('[Validation] every object the loops write passes validation unchanged (the store does not validate them again)', () => {
    const written: ApiRequest[] = [];
    const { cluster } = run(FAULTY, 7, false, (request) => void (request.reason !== 'submitted' && request.reason !== 'scale' && written.push(request)));
    expect(divergence(cluster)).toEqual([]);
    expect(new Set(written.map((r) => r.kind)).size).toBeGreaterThan(8);
    expect(revalidated(written)).toEqual([]);
  });

  test('[Determinism] the same seed, start state and inputs give the same requests, byte for byte', () => {
    const s = FAULTY;
    const a = run(s, 42, true).cluster.log.join('\n');
    const b = run(s, 42, true).cluster.log.join('\n');
    const other = run(s, 43, true).cluster.log.join('\n');
    expect(a.length).toBeGreaterThan(10_000);
    expect(b).toBe(a);
    expect(other).not.toBe(a);
  });
});
