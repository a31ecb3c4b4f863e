import { describe, expect, test } from 'vitest';
import { applyDefaults, makeNode, makePod, type KubeObject, type Node, type Pod } from '@shared/model';
import { ClusterState } from '../state';
import { seededRng } from '../rng';
import { checkBinding, reconcileScheduler, schedulePod, sortedNodes } from './scheduler';
import { failedSchedulingMessage } from './message';
import { balancedAllocation, leastAllocated } from './scores';
import type { ApiRequest } from '../requests';

const T0 = Date.UTC(2026, 10, 25, 10, 0, 0);
let uid = 0;
function persisted<T extends KubeObject>(obj: T): T {
  const o = obj.kind === 'Pod' ? applyDefaults(obj) : obj;
  return { ...o, metadata: { ...o.metadata, uid: `u${++uid}`, resourceVersion: String(uid), creationTimestamp: '2026-11-25T10:00:00Z', generation: 1 } };
}
const bound = (name: string, node: string, cpu: string, extra: Parameters<typeof makePod>[1] = {}): Pod =>
  persisted(makePod(name, { nodeName: node, requests: { cpu, memory: '64Mi' }, ...extra }));
const pending = (name: string, extra: Parameters<typeof makePod>[1] = {}): Pod => persisted(makePod(name, { requests: { cpu: '500m', memory: '128Mi' }, ...extra }));
const node = (name: string, opts: Parameters<typeof makeNode>[1] = {}): Node => persisted(makeNode(name, { now: T0, ...opts }));
const terminating = (pod: Pod): Pod => ({ ...pod, metadata: { ...pod.metadata, deletionTimestamp: '2026-11-25T10:00:05Z', deletionGracePeriodSeconds: 30 } });

describe('scheduler filters (checkBinding)', () => {
  const web = { labels: { app: 'web' } };
  const cases: { rule: string; nodes: KubeObject[]; pod: Pod; reason?: string; explanation?: string }[] = [
    { rule: '[NodeUnschedulable] a cordoned node is filtered out', nodes: [node('node-1', { unschedulable: true })], pod: pending('p'), reason: 'node(s) were unschedulable' },
    {
      rule: '[NodeUnschedulable] a pod tolerating node.kubernetes.io/unschedulable may go to a cordoned node',
      nodes: [node('node-1', { unschedulable: true })],
      pod: pending('p', { tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }] }),
    },
    {
      rule: '[NodeResourcesFit] cpu requests are compared with allocatable minus the requests of bound pods',
      nodes: [node('node-2', { cpu: '2' }), bound('a', 'node-2', '1800m')],
      pod: pending('p'),
      reason: 'Insufficient cpu',
      explanation: 'node-2 skipped: Insufficient cpu (requested 500m, free 200m)',
    },
    { rule: '[NodeResourcesFit] memory', nodes: [node('node-1', { memory: '100Mi' })], pod: pending('p'), reason: 'Insufficient memory' },
    { rule: '[NodeResourcesFit] the pod count against allocatable pods', nodes: [node('node-1', { pods: 1 }), bound('a', 'node-1', '100m')], pod: pending('p'), reason: 'Too many pods' },
    {
      rule: '[NodeResourcesFit] finished pods no longer hold resources',
      nodes: [node('node-1', { cpu: '1' }), { ...bound('a', 'node-1', '1'), status: { phase: 'Succeeded' } }],
      pod: pending('p'),
    },
    { rule: '[NodeAffinity] nodeSelector must match the node labels', nodes: [node('node-1')], pod: pending('p', { nodeSelector: { disk: 'ssd' } }), reason: "node(s) didn't match Pod's node affinity/selector" },
    { rule: '[NodeAffinity] a matching nodeSelector passes', nodes: [node('node-1', { labels: { disk: 'ssd' } })], pod: pending('p', { nodeSelector: { disk: 'ssd' } }) },
    {
      rule: '[TaintToleration] an untolerated NoSchedule taint filters the node',
      nodes: [node('node-1', { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] })],
      pod: pending('p'),
      reason: 'node(s) had untolerated taint {dedicated: gpu}',
    },
    {
      rule: '[TaintToleration] a matching toleration lets the pod through',
      nodes: [node('node-1', { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] })],
      pod: pending('p', { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }] }),
    },
    { rule: '[TaintToleration] PreferNoSchedule only lowers the score', nodes: [node('node-1', { taints: [{ key: 'x', effect: 'PreferNoSchedule' }] })], pod: pending('p') },
    {
      rule: '[TaintToleration] the default unreachable toleration (NoExecute, 300 s) does not cover the NoSchedule taint',
      nodes: [node('node-1', { taints: [{ key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule' }] })],
      pod: pending('p'),
      reason: 'node(s) had untolerated taint {node.kubernetes.io/unreachable: }',
    },
    { rule: '[Node Ready] a NotReady node carries the not-ready NoSchedule taint', nodes: [node('node-1', { ready: false })], pod: pending('p'), reason: 'node(s) had untolerated taint {node.kubernetes.io/not-ready: }' },
    {
      rule: "[InterPodAffinity] required anti-affinity on kubernetes.io/hostname keeps the pod off a node running a matching pod",
      nodes: [node('node-1'), bound('web-1', 'node-1', '100m', web)],
      pod: pending('web-2', { ...web, affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'web' } }, topologyKey: 'kubernetes.io/hostname' }] } } }),
      reason: "node(s) didn't match pod anti-affinity rules",
    },
    {
      rule: "[InterPodAffinity] an existing pod's anti-affinity repels a matching incoming pod",
      nodes: [
        node('node-1'),
        bound('db-1', 'node-1', '100m', { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'web' } }, topologyKey: 'kubernetes.io/hostname' }] } } }),
      ],
      pod: pending('web-2', web),
      reason: "node(s) didn't satisfy existing pods anti-affinity rules",
    },
    {
      rule: '[InterPodAffinity] a terminating pod still counts against the incoming pod\'s required anti-affinity (no deletionTimestamp check)',
      nodes: [node('node-1'), terminating(bound('web-1', 'node-1', '100m', web))],
      pod: pending('web-2', { ...web, affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'web' } }, topologyKey: 'kubernetes.io/hostname' }] } } }),
      reason: "node(s) didn't match pod anti-affinity rules",
    },
    {
      rule: "[InterPodAffinity] a terminating pod's own anti-affinity still repels a matching incoming pod",
      nodes: [
        node('node-1'),
        terminating(bound('db-1', 'node-1', '100m', { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'web' } }, topologyKey: 'kubernetes.io/hostname' }] } } })),
      ],
      pod: pending('web-2', web),
      reason: "node(s) didn't satisfy existing pods anti-affinity rules",
    },
  ];
  test.each(cases)('$rule', ({ nodes, pod, reason, explanation }) => {
    const state = ClusterState.from([...nodes, pod]);
    const target = nodes.find((n): n is Node => n.kind === 'Node')?.metadata.name ?? '';
    const check = checkBinding(state, pod, target);
    if (reason === undefined) expect(check).toEqual({ ok: true, explanation: `${target} passes every filter for ${pod.metadata.name}` });
    else {
      expect(check.ok).toBe(false);
      if (!check.ok) {
        expect(check.reasons).toContain(reason);
        if (explanation) expect(check.explanation).toBe(explanation);
      }
    }
  });

  test('[NodeName] a bound pod cannot be bound again', () => {
    const pod = bound('a', 'node-1', '100m');
    const check = checkBinding(ClusterState.from([node('node-1'), node('node-2'), pod]), pod, 'node-2');
    expect(check).toMatchObject({ ok: false, message: 'pod a is already assigned to node "node-1"' });
  });
});

describe('FailedScheduling message', () => {
  test('[FitError] the example of DESIGN.md, byte for byte', () => {
    const nodes = [
      node('node-1', { taints: [{ key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule' }] }),
      node('node-2', { cpu: '1' }),
      node('node-3', { cpu: '1' }),
      bound('a', 'node-2', '800m'),
      bound('b', 'node-3', '800m'),
    ];
    const pod = pending('web-1');
    const state = ClusterState.from([...nodes, pod]);
    const result = schedulePod(state, pod, sortedNodes(state), seededRng(1));
    expect(result.message).toBe(
      '0/3 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/unreachable: }, 2 Insufficient cpu. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.',
    );
  });

  test('[FitError] reasons of one node are all counted and items sorted as strings', () => {
    const state = ClusterState.from([node('node-1', { cpu: '100m', memory: '1Mi' }), node('node-2', { unschedulable: true })]);
    const pod = pending('p');
    expect(schedulePod(state, pod, sortedNodes(state), seededRng(1)).message).toBe(
      '0/2 nodes are available: 1 Insufficient cpu, 1 Insufficient memory, 1 node(s) were unschedulable. preemption: 0/2 nodes are available: 1 No preemption victims found for incoming pod, 1 Preemption is not helpful for scheduling.',
    );
  });

  test('[FitError] with no nodes at all', () => {
    expect(failedSchedulingMessage([])).toBe('no nodes available to schedule pods');
  });

  test('[FailedScheduling] the scheduler sets PodScheduled=False and records a Warning event once per message', () => {
    const pod = pending('web-1');
    const state = ClusterState.from([node('node-1', { cpu: '100m' }), pod]);
    const steps = reconcileScheduler(state, T0, seededRng(1)) as ApiRequest[];
    expect(steps.map((s) => `${s.verb} ${s.kind}`)).toEqual(['updateStatus Pod', 'create Event']);
    const event = steps[1];
    expect(event?.verb === 'create' && event.object.kind === 'Event' && [event.object.reason, event.object.type, event.object.message]).toEqual([
      'FailedScheduling',
      'Warning',
      '0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.',
    ]);
    const updated = steps[0]?.verb === 'updateStatus' ? (steps[0].object as Pod) : pod;
    state.apply('MODIFIED', updated);
    expect(reconcileScheduler(state, T0 + 1000, seededRng(1))).toEqual([]);
  });
});

describe('score plugins', () => {
  const bestEffort = (): Pod => persisted(makePod('p'));
  const cases: { rule: string; node: Node; existing: Pod[]; pod: () => Pod; least: number; balanced: number }[] = [
    {
      // NonZero would count 100m / 200Mi: cpu 0.05, memory 0.5 -> 77; the real requests are 0 and 0 -> 100.
      rule: '[BalancedAllocation] uses the pods\' real requests (useRequested), not the NonZero defaults',
      node: node('node-1', { cpu: '2', memory: '400Mi' }),
      existing: [],
      pod: bestEffort,
      least: Math.floor((95 + 50) / 2),
      balanced: 100,
    },
    {
      // 100m of 1 cpu -> 90, 200Mi of 1Gi -> 80: a best-effort pod still costs the defaults here.
      rule: '[LeastAllocated] keeps the NonZero defaults for pods that request nothing',
      node: node('node-1', { cpu: '1', memory: '1Gi' }),
      existing: [],
      pod: bestEffort,
      least: 85,
      balanced: 100,
    },
    {
      rule: '[NodeResourcesFit] a resource with allocatable 0 is skipped, not averaged in (if allocatable == 0 { continue })',
      node: node('node-1', { cpu: '0', memory: '4Gi' }),
      existing: [],
      pod: () => pending('p'),
      least: Math.floor(((4096 - 128) * 100) / 4096),
      balanced: 100,
    },
    {
      rule: '[NodeResourcesFit] with every allocatable 0 LeastAllocated scores 0 and BalancedAllocation 100',
      node: node('node-1', { cpu: '0', memory: '0' }),
      existing: [],
      pod: () => pending('p'),
      least: 0,
      balanced: 100,
    },
    {
      // cpu (1000m + 500m) / 2 = 0.75, memory (64Mi + 128Mi) / 4Gi = 0.046875: std 0.3515625
      rule: '[BalancedAllocation] 1 - |cpu fraction - memory fraction| / 2, counting bound pods',
      node: node('node-1', { cpu: '2', memory: '4Gi' }),
      existing: [bound('a', 'node-1', '1')],
      pod: () => pending('p'),
      least: Math.floor((25 + 95) / 2),
      balanced: 64,
    },
  ];
  test.each(cases)('$rule', ({ node: n, existing, pod, least, balanced }) => {
    const state = ClusterState.from([n, ...existing]);
    const used = state.usageOf(n.metadata.name);
    expect([leastAllocated(pod(), n, used), balancedAllocation(pod(), n, used)]).toEqual([least, balanced]);
  });
});

describe('scheduler scoring and one pass', () => {
  test('[NodeResourcesFit LeastAllocated] the emptier node wins', () => {
    const state = ClusterState.from([node('node-1'), node('node-2'), bound('a', 'node-1', '1500m')]);
    const pod = pending('p');
    expect(schedulePod(state, pod, sortedNodes(state), seededRng(7)).node?.metadata.name).toBe('node-2');
  });

  test('[selectHost] equal scores are broken by the seeded RNG: same seed, same node', () => {
    const nodes = ['a', 'b', 'c', 'd'].map((n) => node(`node-${n}`));
    const state = ClusterState.from(nodes);
    const pick = (seed: number): string | undefined => schedulePod(state, pending('p'), sortedNodes(state), seededRng(seed)).node?.metadata.name;
    expect(pick(3)).toBe(pick(3));
    expect(new Set([1, 2, 3, 4, 5, 6, 7, 8].map(pick)).size).toBeGreaterThan(1);
  });

  test('[scheduler cache] pods placed earlier in a pass count, so one pass never overfills a node', () => {
    const pods = [1, 2, 3].map((i) => pending(`p-${i}`, { requests: { cpu: '1', memory: '64Mi' } }));
    const state = ClusterState.from([node('node-1', { cpu: '2' }), ...pods]);
    const steps = reconcileScheduler(state, T0, seededRng(1)) as ApiRequest[];
    expect(steps.filter((s) => s.verb === 'bind').map((s) => s.name)).toEqual(['p-1', 'p-2']);
    expect(steps.find((s) => s.verb === 'create' && s.object.kind === 'Event' && s.object.reason === 'FailedScheduling')?.name).toMatch(/^p-3\./);
  });
});
