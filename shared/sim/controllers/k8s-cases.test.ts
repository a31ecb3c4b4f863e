/** Controller rules, case for case with Kubernetes: scale-down order, taint eviction timing, rollout fenceposts. */
import { describe, expect, test } from 'vitest';
import { resolveFenceposts, toRFC3339, type Pod, type Taint, type Toleration } from '@shared/model';
import { caseTitle, k8s, type K8sCase } from '@shared/model/k8s-cases/source';
import { deletionOrder, podsToDelete } from './replicaset';
import { evictionTime } from './node-lifecycle';

const NOW = Date.UTC(2026, 10, 30, 12, 0, 0);
const ago = (s: number): string => toRFC3339(NOW - s * 1000);

interface PodOpts {
  node?: string;
  phase?: 'Pending' | 'Running' | 'Unknown';
  ready?: number; // seconds since Ready became True
  restarts?: number[];
  created?: number; // seconds ago
  cost?: string;
  uid?: string;
}
function pod(name: string, o: PodOpts): Pod {
  const p: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', uid: o.uid ?? name, ...(o.created !== undefined && { creationTimestamp: ago(o.created) }) },
    spec: { containers: [{ name: 'app', image: 'nginx:1.27' }], ...(o.node && { nodeName: o.node }) },
    status: {
      phase: o.phase ?? 'Running',
      conditions: [o.ready === undefined ? { type: 'Ready', status: 'False' } : { type: 'Ready', status: 'True', lastTransitionTime: ago(o.ready) }],
      containerStatuses: (o.restarts ?? [0]).map((n, i) => ({ name: `c${i}`, image: 'nginx:1.27', imageID: '', ready: o.ready !== undefined, restartCount: n })),
    },
  };
  if (o.cost !== undefined) p.metadata.annotations = { 'controller.kubernetes.io/pod-deletion-cost': o.cost };
  return p;
}

const UTILS = 'pkg/controller/controller_utils_test.go';
interface OrderCase extends K8sCase {
  name: string;
  /** The pods, listed in the order Kubernetes sorts them (least valuable first). */
  sorted: Pod[];
}
const o = (test: string, name: string, sorted: Pod[]): OrderCase => ({ source: k8s(UTILS, test), name, sorted });
const ORDER_CASES: OrderCase[] = [
  o('TestSortingActivePods', 'unassigned < assigned', [pod('a', { phase: 'Pending' }), pod('b', { node: 'n1', phase: 'Pending' })]),
  o('TestSortingActivePods', 'Pending < Unknown < Running', [pod('a', { node: 'n1', phase: 'Pending' }), pod('b', { node: 'n1', phase: 'Unknown' }), pod('c', { node: 'n1' })]),
  o('TestSortingActivePods', 'not ready < ready', [pod('a', { node: 'n1' }), pod('b', { node: 'n1', ready: 10 })]),
  o('TestSortingActivePods', 'ready more recently < ready longer', [pod('a', { node: 'n1', ready: 10 }), pod('b', { node: 'n1', ready: 1000 })]),
  o('TestSortingActivePods', 'more restarts < fewer (the most of any container)', [pod('a', { node: 'n1', restarts: [0, 5] }), pod('b', { node: 'n1', restarts: [3, 3] })]),
  o('TestSortingActivePods', 'no creation time < newer < older', [pod('a', { node: 'n1' }), pod('b', { node: 'n1', created: 10 }), pod('c', { node: 'n1', created: 1000 })]),
];

describe('ActivePods order, case for case with Kubernetes', () => {
  for (const c of ORDER_CASES) {
    test(caseTitle(c, c.name), () => {
      expect([...c.sorted].reverse().sort(deletionOrder).map((p) => p.metadata.name)).toEqual(c.sorted.map((p) => p.metadata.name));
    });
  }
});

interface RankCase extends K8sCase {
  name: string;
  sorted: Pod[];
  /** Other active pods of the same set (they count towards pods per node). */
  others?: Pod[];
}
const r = (name: string, sorted: Pod[], others: Pod[] = []): RankCase => ({ source: k8s(UTILS, 'TestSortingActivePodsWithRanks'), name, sorted, others });
const RANK_CASES: RankCase[] = [
  r('lower pod-deletion-cost goes first', [pod('a', { node: 'n1', ready: 10, cost: '-5' }), pod('b', { node: 'n2', ready: 10 }), pod('c', { node: 'n3', ready: 10, cost: '100' })]),
  r('doubled up on a node goes first', [pod('a', { node: 'n1', ready: 1000 }), pod('b', { node: 'n2', ready: 10 })], [pod('x', { node: 'n1', ready: 10 })]),
  r('ready times in the same log2 bucket tie, then the uid decides', [pod('b', { node: 'n1', ready: 100, uid: 'uid-1' }), pod('a', { node: 'n2', ready: 101, uid: 'uid-2' })]),
  r('ready times in different log2 buckets: more recent first', [pod('a', { node: 'n1', ready: 10 }), pod('b', { node: 'n2', ready: 100 })]),
  r('still unassigned < assigned before any rank', [pod('a', { phase: 'Pending' }), pod('b', { node: 'n1', ready: 10 })], [pod('x', { node: 'n1', ready: 10 })]),
];

describe('ReplicaSet scale-down (ActivePodsWithRanks), case for case with Kubernetes', () => {
  for (const c of RANK_CASES) {
    test(caseTitle(c, c.name), () => {
      const active = [...c.sorted].reverse();
      const related = [...active, ...(c.others ?? [])];
      expect(podsToDelete(active, related, active.length, NOW).map((p) => p.metadata.name)).toEqual(c.sorted.map((p) => p.metadata.name));
    });
  }
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
  e('several tolerations match one taint: the first listed counts', [tol('k1', 60), tol(undefined)], [taint('k1')], 60, 'TestGetMatchingTolerations'),
  e('several tolerations match one taint: a first without seconds tolerates forever', [tol(undefined), tol('k1', 60)], [taint('k1')], null, 'TestGetMatchingTolerations'),
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
  fp(0, 0, 0, 0, 1), // upstream writes intstr.Parse("0"): the integer 0
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
