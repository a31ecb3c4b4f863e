/** Controller rules, case for case with Kubernetes: scale-down order, taint eviction timing, rollout fenceposts. */
import { describe, expect, test } from 'vitest';
import { resolveFenceposts, toRFC3339, type Pod, type Taint, type Toleration } from '@shared/model';
import { caseTitle, k8s, type K8sCase } from '@shared/model/k8s-cases/source';
import { compareForDeletion, deletionOrder, podsToDelete } from './replicaset';
import { evictionTime } from './node-lifecycle';

const NOW = Date.UTC(2026, 10, 30, 12, 0, 0);
const ago = (s: number): string => toRFC3339(NOW - s * 1000);

interface PodOpts {
  node?: string;
  phase?: 'Pending' | 'Running' | 'Unknown';
  /** Seconds since Ready became True; 'unset' when Ready is True without a transition time. */
  ready?: number | 'unset';
  restarts?: number[];
  created?: number; // seconds ago
  cost?: string;
}
function pod(name: string, o: PodOpts): Pod {
  const ready = o.ready === undefined ? undefined : { type: 'Ready' as const, status: 'True' as const, ...(o.ready !== 'unset' && { lastTransitionTime: ago(o.ready) }) };
  const p: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', ...(o.created !== undefined && { creationTimestamp: ago(o.created) }) },
    spec: { containers: [{ name: 'app', image: 'nginx:1.27' }], ...(o.node && { nodeName: o.node }) },
    status: {
      phase: o.phase ?? 'Running',
      ...(ready && { conditions: [ready] }),
      containerStatuses: (o.restarts ?? []).map((n, i) => ({ name: `c${i}`, image: 'nginx:1.27', imageID: '', ready: ready !== undefined, restartCount: n })),
    },
  };
  if (o.cost !== undefined) p.metadata.annotations = { 'controller.kubernetes.io/pod-deletion-cost': o.cost };
  return p;
}

const UTILS = 'pkg/controller/controller_utils_test.go';
const MONTH = 31 * 24 * 3600;
const HOUR = 3600;

// TestSortingActivePods: nine pods, already in the order ActivePods sorts them into.
const ACTIVE: K8sCase = { source: k8s(UTILS, 'TestSortingActivePods') };
const ACTIVE_PODS = [
  pod('unscheduled', { phase: 'Pending' }),
  pod('scheduled-pending', { node: 'bar', phase: 'Pending' }),
  pod('unknown', { node: 'foo', phase: 'Unknown' }),
  pod('running-not-ready', { node: 'foo' }),
  pod('ready-no-time', { node: 'foo', ready: 'unset', restarts: [3, 0] }),
  pod('ready-now', { node: 'foo', ready: 0, restarts: [3, 0] }),
  pod('ready-then', { node: 'foo', ready: MONTH, restarts: [3, 0] }),
  pod('fewer-restarts', { node: 'foo', ready: MONTH, restarts: [2, 1], created: 0 }),
  pod('older', { node: 'foo', ready: MONTH, restarts: [2, 1], created: MONTH }),
];

describe('ActivePods order, case for case with Kubernetes', () => {
  test(caseTitle(ACTIVE, 'nine pods sort from least to most valuable, whatever order they come in'), () => {
    const names = ACTIVE_PODS.map((p) => p.metadata.name);
    for (const order of [[...ACTIVE_PODS].reverse(), [4, 8, 0, 6, 2, 7, 1, 5, 3].map((i) => ACTIVE_PODS[i] as Pod)]) {
      expect([...order].sort(deletionOrder).map((p) => p.metadata.name)).toEqual(names);
    }
  });
});

// TestSortingActivePodsWithRanks: the same kinds of pods, with ranks (pods of the set on the same node).
const R = {
  unscheduled: pod('unscheduled', { phase: 'Pending' }),
  scheduledPending: pod('pending', { node: 'node', phase: 'Pending' }),
  unknownPhase: pod('unknown-phase', { node: 'node', phase: 'Unknown' }),
  runningNotReady: pod('not-ready', { node: 'node' }),
  readyNoTime: pod('ready-no-last-transition-time', { node: 'node', ready: 'unset', restarts: [0] }),
  readyNow: pod('ready-now', { node: 'node', ready: 0, created: 0, restarts: [0] }),
  readyThen: pod('ready-then', { node: 'node', ready: MONTH, created: MONTH, restarts: [0] }),
  readyNowHighRestarts: pod('ready-high-restarts', { node: 'node', ready: 0, created: 0, restarts: [9001] }),
  readyNowCreatedThen: pod('ready-now-created-then', { node: 'node', ready: 0, created: MONTH, restarts: [0] }),
  lowCost: pod('low-deletion-cost', { node: 'node', ready: 0, created: MONTH, restarts: [0], cost: '10' }),
  highCost: pod('high-deletion-cost', { node: 'node', ready: 0, created: MONTH, restarts: [0], cost: '100' }),
  unscheduled5h: pod('unscheduled-5-hours', { phase: 'Pending', created: 5 * HOUR }),
  unscheduled8h: pod('unscheduled-10-hours', { phase: 'Pending', created: 8 * HOUR }),
  ready2h: pod('ready-2-hours', { ready: 2 * HOUR, created: MONTH, restarts: [0] }),
  ready5h: pod('ready-5-hours', { ready: 5 * HOUR, created: MONTH, restarts: [0] }),
  ready8h: pod('ready-10-hours', { ready: 8 * HOUR, created: MONTH, restarts: [0] }),
};
const RANKS: K8sCase = { source: k8s(UTILS, 'TestSortingActivePodsWithRanks') };
const EQUAL: [Pod, Pod][] = [
  [R.unscheduled, R.unscheduled], [R.scheduledPending, R.scheduledPending], [R.unknownPhase, R.unknownPhase],
  [R.runningNotReady, R.runningNotReady], [R.readyNowCreatedThen, R.readyNowCreatedThen], [R.readyNow, R.readyNow],
  [R.readyThen, R.readyThen], [R.readyNowHighRestarts, R.readyNowHighRestarts], [R.unscheduled5h, R.unscheduled8h], [R.ready5h, R.ready8h],
];
const LESS: [Pod, number, Pod, number][] = [
  [R.unscheduled, 1, R.scheduledPending, 2], [R.unscheduled, 2, R.scheduledPending, 1], [R.scheduledPending, 1, R.unknownPhase, 2],
  [R.unknownPhase, 1, R.runningNotReady, 2], [R.runningNotReady, 1, R.readyNoTime, 1], [R.readyNoTime, 1, R.readyNow, 1],
  [R.readyNow, 2, R.readyNoTime, 1], [R.readyNow, 1, R.readyThen, 1], [R.readyNow, 2, R.readyThen, 1],
  [R.readyNowHighRestarts, 1, R.readyNow, 1], [R.readyNow, 2, R.readyNowHighRestarts, 1], [R.readyNow, 1, R.readyNowCreatedThen, 1],
  [R.readyNowCreatedThen, 2, R.readyNow, 1], [R.lowCost, 2, R.highCost, 1], [R.ready2h, 1, R.ready5h, 1],
];

describe('ReplicaSet scale-down (ActivePodsWithRanks), case for case with Kubernetes', () => {
  for (const [a, b] of EQUAL) {
    test(caseTitle(RANKS, `${a.metadata.name} and ${b.metadata.name} are equivalent`), () => {
      expect([compareForDeletion(a, 1, b, 1, NOW), compareForDeletion(b, 1, a, 1, NOW)]).toEqual([0, 0]);
    });
  }
  for (const [a, rankA, b, rankB] of LESS) {
    test(caseTitle(RANKS, `${a.metadata.name} (rank ${rankA}) goes before ${b.metadata.name} (rank ${rankB})`), () => {
      expect(compareForDeletion(a, rankA, b, rankB, NOW)).toBeLessThan(0);
      expect(compareForDeletion(b, rankB, a, rankA, NOW)).toBeGreaterThan(0);
    });
  }
  const ranked: K8sCase = { source: k8s('pkg/controller/replicaset/replica_set.go', 'getPodsRankedByRelatedPodsOnSameNode (the rule)') };
  test(caseTitle(ranked, 'a pod doubled up on a node goes before a lone one'), () => {
    const lone = pod('lone', { node: 'n2', ready: 10, restarts: [0] });
    const doubled = pod('doubled', { node: 'n1', ready: 1000, restarts: [0] });
    const sibling = pod('sibling', { node: 'n1', ready: 10, restarts: [0] });
    expect(podsToDelete([lone, doubled], [lone, doubled, sibling], 1, NOW).map((p) => p.metadata.name)).toEqual(['doubled']);
  });
});

const EVICTION = 'pkg/controller/tainteviction/taint_eviction_test.go';
interface EvictionCase extends K8sCase {
  name: string;
  /** tolerationSeconds of each toleration; toleration i tolerates taint key `k${i}` unless `keys` says otherwise. */
  tolerations: Toleration[];
  taints: Taint[];
  /** Seconds from the taint until eviction; null never. */
  after: number | null;
}
const T0 = NOW;
/** GetMatchingTolerations (pkg/apis/core/v1/helper) has no table of its own upstream: these cases check its rule. */
const RULE = 'GetMatchingTolerations (the rule, via processPodOnNode)';
const taint = (key: string): Taint => ({ key, effect: 'NoExecute', timeAdded: toRFC3339(T0) });
const tol = (key: string | undefined, seconds?: number): Toleration => ({
  ...(key === undefined ? { operator: 'Exists' as const } : { key, operator: 'Exists' as const }),
  effect: 'NoExecute',
  ...(seconds === undefined ? {} : { tolerationSeconds: seconds }),
});
const e = (name: string, tolerations: Toleration[], taints: Taint[], after: number | null, test = 'TestGetMinTolerationTime'): EvictionCase => ({
  source: k8s(EVICTION, test),
  name,
  tolerations,
  taints,
  after,
});
const EVICTION_CASES: EvictionCase[] = [
  e('no tolerations: evict at once', [], [taint('k1')], 0),
  e('a toleration without seconds: never', [tol('k1')], [taint('k1')], null),
  e('1 s and 2 s: the shortest wins', [tol('k1', 1), tol('k2', 2)], [taint('k1'), taint('k2')], 1),
  e('1 s and forever: 1 s', [tol('k1', 1), tol('k2')], [taint('k1'), taint('k2')], 1),
  e('forever and 1 s: 1 s', [tol('k1'), tol('k2', 1)], [taint('k1'), taint('k2')], 1),
  e('zero seconds: evict at once', [tol('k1', 0)], [taint('k1')], 0),
  e('one taint not tolerated: evict at once', [tol('k1', 100)], [taint('k1'), taint('k2')], 0, 'TestUpdateNodeWithMultipleTaints'),
  // GetMatchingTolerations takes the first toleration that tolerates each taint.
  e('several tolerations match one taint: the first listed counts', [tol('k1', 60), tol(undefined)], [taint('k1')], 60, RULE),
  e('several tolerations match one taint: a first without seconds tolerates forever', [tol(undefined), tol('k1', 60)], [taint('k1')], null, RULE),
];

describe('taint eviction timing, case for case with Kubernetes', () => {
  for (const c of EVICTION_CASES) {
    test(caseTitle(c, c.name), () => {
      const p = pod('web', { node: 'n1', ready: 10 });
      p.spec.tolerations = c.tolerations;
      const at = evictionTime(p, c.taints, T0);
      expect(at === undefined ? null : (at - T0) / 1000).toBe(c.after);
    });
  }
});

const DEPLOY = 'pkg/controller/deployment/util/deployment_util_test.go';
interface FencepostCase extends K8sCase {
  maxSurge: string | number | undefined;
  maxUnavailable: string | number | undefined;
  desired: number;
  surge: number;
  unavailable: number;
}
const fp = (maxSurge: FencepostCase['maxSurge'], maxUnavailable: FencepostCase['maxUnavailable'], desired: number, surge: number, unavailable: number, differs?: string): FencepostCase => ({
  source: k8s(DEPLOY, 'TestResolveFenceposts'),
  maxSurge,
  maxUnavailable,
  desired,
  surge,
  unavailable,
  ...(differs === undefined ? {} : { differs }),
});
// Upstream passes nil for an unset field and reads it as 0. Here an unset field is the defaulted
// 25%: callers may hold a Deployment that has not been through defaulting, and 25% is what the API
// server would have stored. So these cases assert 25% (surge rounds up, unavailability down).
const UNSET = 'an unset maxSurge/maxUnavailable is the defaulted 25% here, 0 upstream';
const FENCEPOST_CASES: FencepostCase[] = [
  fp('0%', '0%', 0, 0, 1),
  fp('39%', '39%', 10, 4, 3),
  fp(undefined, '39%', 10, 3, 3, UNSET),
  fp('39%', undefined, 10, 4, 2, UNSET),
  fp(0, 0, 10, 0, 1),
  fp('25%', '25%', 4, 1, 1),
  fp(2, '0%', 3, 2, 0),
];

describe('rollout fenceposts, case for case with Kubernetes', () => {
  for (const c of FENCEPOST_CASES) {
    test(caseTitle(c, `surge ${String(c.maxSurge)}, unavailable ${String(c.maxUnavailable)} of ${c.desired}`), () => {
      expect(resolveFenceposts(c.maxSurge, c.maxUnavailable, c.desired)).toEqual({ maxSurge: c.surge, maxUnavailable: c.unavailable });
    });
  }
});
