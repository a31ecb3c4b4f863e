/**
 * DefaultPreemption, case for case with Kubernetes: TestDryRunPreemption's NodeResourcesFit cases
 * (which pods each node would lose), then a whole cluster where a high-priority pod that fits
 * nowhere preempts lower-priority pods on one node, with Kubernetes' events and messages.
 */
import { describe, expect, test } from 'vitest';
import { makeNode, makePod, toRFC3339, type Node, type Pod } from '@shared/model';
import { caseTitle, k8s, type K8sCase } from '@shared/model/k8s-cases/source';
import { SimCluster } from '../cluster';
import { ClusterState } from '../state';
import { pickOneNodeForPreemption, selectVictimsOnNode, type Candidate } from './preemption';

const DRY_RUN = 'pkg/scheduler/framework/plugins/defaultpreemption/default_preemption_test.go';
const [neg, low, mid, high, veryHigh] = [-100, 0, 100, 1000, 10000];
type Res = { cpu: string; memory: string };
const small: Res = { cpu: '100m', memory: '100' };
const medium: Res = { cpu: '200m', memory: '200' };
const large: Res = { cpu: '300m', memory: '300' };
const veryLarge: Res = { cpu: '500m', memory: '500' };

/** A pod as the table's st.MakePod() builds it: name, node, priority, requests, start time (seconds). */
function pod(name: string, priority: number, req: Res | undefined, node?: string, start?: number): Pod {
  const p = makePod(name, { uid: name, ...(node ? { nodeName: node } : {}), ...(req ? { requests: req } : {}) });
  p.spec.priority = priority;
  p.status = { phase: 'Running', ...(start !== undefined ? { startTime: toRFC3339(start * 1000) } : {}) };
  return p;
}

const nodeOf = (name: string): Node => makeNode(name, { cpu: veryLarge.cpu, memory: veryLarge.memory, pods: 110 });

interface DryRunCase extends K8sCase {
  name: string;
  nodes: string[];
  preemptor: Pod;
  pods: Pod[];
  /** Per node: the victims (sorted by name), for the nodes that are candidates. */
  expected: Record<string, string[]>;
}

const dryRun = (name: string, c: Omit<DryRunCase, 'source' | 'name' | 'nodes'> & { nodes?: string[]; differs?: string }): DryRunCase => ({
  name,
  source: k8s(DRY_RUN, 'TestDryRunPreemption'),
  nodes: c.nodes ?? ['node1', 'node2'],
  ...c,
});

const PDB = 'PodDisruptionBudgets are not modelled: the victims are the same, NumPDBViolations is not computed';

const CASES: DryRunCase[] = [
  dryRun('a pod that fits on both nodes when lower priority pods are preempted', {
    preemptor: pod('p', high, large),
    pods: [pod('p1', mid, large, 'node1'), pod('p2', mid, large, 'node2')],
    expected: { node1: ['p1'], node2: ['p2'] },
  }),
  dryRun('a pod that would fit on the nodes, but other pods running are higher priority, no preemption would happen', {
    preemptor: pod('p', low, large),
    pods: [pod('p1', mid, large, 'node1'), pod('p2', mid, large, 'node2')],
    expected: {},
  }),
  dryRun('medium priority pod is preempted, but lower priority one stays as it is small', {
    preemptor: pod('p', high, large),
    pods: [pod('p1.1', low, small, 'node1'), pod('p1.2', mid, large, 'node1'), pod('p2', mid, large, 'node2')],
    expected: { node1: ['p1.2'], node2: ['p2'] },
  }),
  dryRun('mixed priority pods are preempted', {
    preemptor: pod('p', high, large),
    pods: [pod('p1.1', mid, small, 'node1'), pod('p1.2', low, small, 'node1'), pod('p1.3', mid, medium, 'node1'), pod('p1.4', high, small, 'node1'), pod('p2', high, large, 'node2')],
    expected: { node1: ['p1.2', 'p1.3'] },
  }),
  dryRun('mixed priority pods are preempted, pick later StartTime one when priorities are equal', {
    preemptor: pod('p', high, large),
    pods: [pod('p1.1', low, small, 'node1', 5), pod('p1.2', low, small, 'node1', 4), pod('p1.3', mid, medium, 'node1', 3), pod('p1.4', high, small, 'node1', 2), pod('p2', high, large, 'node2', 1)],
    expected: { node1: ['p1.1', 'p1.3'] },
  }),
  ...[
    'preemption with violation of same pdb',
    "preemption with violation of the pdb with pod whose eviction was processed, the victim doesn't belong to DisruptedPods",
    'preemption with violation of the pdb with pod whose eviction was processed, the victim belongs to DisruptedPods',
  ].map((name) =>
    dryRun(name, { nodes: ['node1'], preemptor: pod('p', high, veryLarge), pods: [pod('p1.1', mid, medium, 'node1'), pod('p1.2', mid, medium, 'node1')], expected: { node1: ['p1.1', 'p1.2'] }, differs: PDB }),
  ),
  dryRun("preemption with violation of the pdb with pod whose eviction was processed, the victim which belongs to DisruptedPods is treated as 'nonViolating'", {
    nodes: ['node1'],
    preemptor: pod('p', high, veryLarge),
    pods: [pod('p1.1', mid, medium, 'node1'), pod('p1.2', mid, medium, 'node1'), pod('p1.3', mid, medium, 'node1')],
    expected: { node1: ['p1.1', 'p1.2', 'p1.3'] },
    differs: PDB,
  }),
  dryRun('a node whose every pod has a higher priority is no candidate (node2 of "some nodes are not possible candidates")', {
    nodes: ['node1', 'node2'],
    preemptor: pod('p', high, large),
    pods: [pod('p1', mid, large, 'node1'), pod('p2', veryHigh, large, 'node2')],
    expected: { node1: ['p1'] },
    differs: 'the case limits candidates with DefaultPreemptionArgs (40 %, 5 nodes); we look at every node, so only the per-node outcome is ported',
  }),
];

describe('DefaultPreemption dry run, case for case with Kubernetes', () => {
  for (const c of CASES) {
    test(caseTitle(c, c.name), () => {
      const state = ClusterState.from([...c.nodes.map(nodeOf), ...c.pods, c.preemptor]);
      const got: Record<string, string[]> = {};
      for (const n of c.nodes) {
        const outcome = selectVictimsOnNode(state, c.preemptor, nodeOf(n));
        if ('victims' in outcome && outcome.victims.length) got[n] = outcome.victims.map((v) => v.metadata.name).sort();
      }
      expect(got).toEqual(c.expected);
    });
  }
});

interface BestCase extends K8sCase {
  name: string;
  nodes: string[];
  preemptor: Pod;
  pods: Pod[];
  expected: string;
}
const best = (name: string, nodes: number, preemptor: Pod, pods: Pod[], expected: string): BestCase => ({
  name,
  source: k8s(DRY_RUN, 'TestSelectBestCandidate'),
  nodes: Array.from({ length: nodes }, (_, i) => `node${i + 1}`),
  preemptor,
  pods,
  expected,
});
// [name, node, priority, requests, start]: every table pod has a start time (epochTime<n>: n s here, the order is what counts).
const on = (rows: [string, string, number, Res, number][]): Pod[] => rows.map(([n, node, pr, req, start]) => pod(n, pr, req, node, start));

const BEST: BestCase[] = [
  best('sum of adjusted priorities is considered', 3, pod('p', high, veryLarge), on([
    ['p1.1', 'node1', mid, small, 0], ['p1.2', 'node1', neg, small, 0], ['p1.3', 'node1', neg, small, 0],
    ['p2.1', 'node2', mid, large, 0], ['p2.2', 'node2', neg, medium, 0],
    ['p3.1', 'node3', mid, medium, 0], ['p3.2', 'node3', neg, small, 0], ['p3.3', 'node3', low, small, 0],
  ]), 'node2'),
  best('non-overlapping lowest high priority, sum priorities, and number of pods', 4, pod('p', veryHigh, veryLarge), on([
    ['p1.1', 'node1', mid, small, 0], ['p1.2', 'node1', low, small, 0], ['p1.3', 'node1', low, small, 0],
    ['p2.1', 'node2', high, large, 0],
    ['p3.1', 'node3', mid, medium, 0], ['p3.2', 'node3', low, small, 0], ['p3.3', 'node3', low, small, 0], ['p3.4', 'node3', low, medium, 0],
    ['p4.1', 'node4', mid, medium, 0], ['p4.2', 'node4', mid, small, 0], ['p4.3', 'node4', mid, small, 0], ['p4.4', 'node4', neg, small, 0],
  ]), 'node1'),
  best("same priority, same number of victims, different start time for each node's pod", 3, pod('p', high, veryLarge), on([
    ['p1.1', 'node1', mid, medium, 2], ['p1.2', 'node1', mid, medium, 2],
    ['p2.1', 'node2', mid, medium, 3], ['p2.2', 'node2', mid, medium, 3],
    ['p3.1', 'node3', mid, medium, 1], ['p3.2', 'node3', mid, medium, 1],
  ]), 'node2'),
  best('same priority, same number of victims, different start time for all pods', 3, pod('p', high, veryLarge), on([
    ['p1.1', 'node1', mid, medium, 4], ['p1.2', 'node1', mid, medium, 2],
    ['p2.1', 'node2', mid, medium, 5], ['p2.2', 'node2', mid, medium, 1],
    ['p3.1', 'node3', mid, medium, 3], ['p3.2', 'node3', mid, medium, 6],
  ]), 'node3'),
  best('different priority, same number of victims, different start time for all pods', 3, pod('p', high, veryLarge), on([
    ['p1.1', 'node1', low, medium, 4], ['p1.2', 'node1', mid, medium, 2],
    ['p2.1', 'node2', mid, medium, 6], ['p2.2', 'node2', low, medium, 1],
    ['p3.1', 'node3', low, medium, 3], ['p3.2', 'node3', mid, medium, 5],
  ]), 'node2'),
];

describe('pickOneNodeForPreemption, case for case with Kubernetes', () => {
  for (const c of BEST) {
    test(caseTitle(c, c.name), () => {
      const state = ClusterState.from([...c.nodes.map(nodeOf), ...c.pods, c.preemptor]);
      const candidates: Candidate[] = [];
      for (const n of c.nodes) {
        const outcome = selectVictimsOnNode(state, c.preemptor, nodeOf(n));
        if ('victims' in outcome && outcome.victims.length) candidates.push({ node: n, victims: outcome.victims });
      }
      expect(pickOneNodeForPreemption(candidates)?.node).toBe(c.expected);
    });
  }
});

describe('[DefaultPreemption] a high-priority pod that fits nowhere', () => {
  test('preempts the fewest, lowest-priority pods on one node: DisruptionTarget, deletion, Preempted event, nominatedNodeName, then it is bound there', () => {
    const c = new SimCluster({ seed: 7 });
    c.addNode('node-1', { cpu: '1', memory: '1Gi' });
    c.addNode('node-2', { cpu: '1', memory: '1Gi' });
    // node-1: low-a (priority 10, 500m) and low-b (priority 5, 300m); node-2: mid (priority 100, 800m).
    // Priorities come from PriorityClasses, as priority admission resolves them on create.
    for (const value of [5, 10, 100, 1000]) c.createObject({ apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: `p${value}` }, value });
    const filler = (name: string, node: string, cpu: string, priority: number): Pod => {
      const p = makePod(name, { nodeName: node, requests: { cpu, memory: '64Mi' } });
      p.spec.priorityClassName = `p${priority}`;
      return p;
    };
    for (const p of [filler('low-a', 'node-1', '500m', 10), filler('low-b', 'node-1', '300m', 5), filler('mid', 'node-2', '800m', 100)]) c.createObject(p);
    c.runUntil(c.now + 30_000);
    const urgent = makePod('urgent', { requests: { cpu: '600m', memory: '64Mi' } });
    urgent.spec.priorityClassName = 'p1000';
    c.createObject(urgent);
    c.settle();
    const uid = c.state.pod('default/urgent')?.metadata.uid ?? '';
    // Both nodes are candidates; node-1's highest victim (10) is lower than node-2's (100): node-1. There
    // low-a is the victim and low-b, less important but small enough to stay, is reprieved.
    const events = (name: string): string[] => [...c.state.list('Event')].filter((e) => e.involvedObject.name === name).map((e) => `${e.type ?? ''} ${e.reason ?? ''} ${e.message ?? ''}`);
    expect(events('low-a')).toContain(`Normal Preempted Preempted by pod ${uid} on node node-1`);
    const victim = c.state.pod('default/low-a');
    expect(victim?.metadata.deletionTimestamp).toBeDefined();
    expect(victim?.status?.conditions?.find((x) => x.type === 'DisruptionTarget')).toMatchObject({ status: 'True', reason: 'PreemptionByScheduler', message: 'default-scheduler: preempting to accommodate a higher priority pod' });
    for (const kept of ['low-b', 'mid']) expect(c.state.pod(`default/${kept}`)?.metadata.deletionTimestamp).toBeUndefined();
    expect(c.state.pod('default/urgent')?.status?.nominatedNodeName).toBe('node-1');
    expect(events('urgent')).toContain('Warning FailedScheduling 0/2 nodes are available: 2 Insufficient cpu.');
    expect(c.runUntilTrue(() => c.state.pod('default/urgent')?.spec.nodeName !== undefined, 120_000)).toBe(true);
    expect(c.state.pod('default/urgent')?.spec.nodeName).toBe('node-1');
  });

  test('a pod with preemptionPolicy Never, or one without lower-priority pods to evict, preempts nothing and says why', () => {
    const c = new SimCluster({ seed: 7 });
    c.addNode('node-1', { cpu: '1', memory: '1Gi' });
    const busy = makePod('busy', { nodeName: 'node-1', requests: { cpu: '800m' } });
    c.createObject(busy);
    const never = makePod('never', { requests: { cpu: '600m' } });
    // A class that never preempts gives the pod its preemptionPolicy (priority admission).
    c.createObject({ apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'high-nonpreempting' }, value: 1000, preemptionPolicy: 'Never' });
    never.spec.priorityClassName = 'high-nonpreempting';
    const equal = makePod('equal', { requests: { cpu: '600m' } });
    c.createObject(never);
    c.createObject(equal);
    c.runUntil(c.now + 10_000);
    const message = (name: string): string | undefined => c.state.pod(`default/${name}`)?.status?.conditions?.find((x) => x.type === 'PodScheduled')?.message;
    expect(message('never')).toBe('0/1 nodes are available: 1 Insufficient cpu. not eligible due to preemptionPolicy=Never.');
    expect(message('equal')).toBe('0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.');
    expect(c.state.pod('default/busy')?.metadata.deletionTimestamp).toBeUndefined();
  });
});
