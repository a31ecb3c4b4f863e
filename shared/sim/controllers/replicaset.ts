/**
 * ReplicaSet controller: count the active pods the ReplicaSet controls (ownerReferences), create
 * pods from the template or delete the least valuable ones until the count matches `replicas`,
 * then write status (replicas / ready / available).
 */
import {
  byteOrder,
  fromRFC3339,
  getCondition,
  isPodActive,
  isPodAvailable,
  isPodReady,
  matchesSelector,
  newControllerRef,
  objectKey,
  type Pod,
  type ReplicaSet,
  type SimTime,
} from '@shared/model';
import { BURST_REPLICAS, NAME_SUFFIX_ALPHABET, NAME_SUFFIX_LENGTH } from '../defaults';
import { create, remove, updateStatus, type Step } from '../requests';
import { randomString, type Rng } from '../rng';
import type { ClusterState } from '../state';
import { controllerEvent } from './events';
import { sameValue } from '../hash';

const COMPONENT = 'replicaset-controller';

/** The apiserver's SimpleNameGenerator: the base is cut to 63 - 5 characters before the random suffix. */
const MAX_GENERATED_NAME_LENGTH = 63 - NAME_SUFFIX_LENGTH;

export function generateName(base: string, rng: Rng): string {
  return `${base.slice(0, MAX_GENERATED_NAME_LENGTH)}${randomString(rng, NAME_SUFFIX_ALPHABET, NAME_SUFFIX_LENGTH)}`;
}

export function podFromTemplate(rs: ReplicaSet & { metadata: { uid: string } }, rng: Rng): Pod {
  const template = rs.spec.template;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: generateName(`${rs.metadata.name}-`, rng),
      namespace: rs.metadata.namespace ?? 'default',
      labels: { ...template.metadata?.labels },
      ...(template.metadata?.annotations ? { annotations: { ...template.metadata.annotations } } : {}),
      ownerReferences: [newControllerRef(rs)],
    },
    spec: structuredClone(template.spec),
    status: { phase: 'Pending' },
  };
}

const PHASE_RANK: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };
const DELETION_COST_ANNOTATION = 'controller.kubernetes.io/pod-deletion-cost';

const assigned = (p: Pod): number => (p.spec.nodeName ? 1 : 0);
const phaseRank = (p: Pod): number => PHASE_RANK[p.status?.phase ?? ''] ?? 0;
/** The most restarts of any one container (maxContainerRestarts), not the sum. */
const maxRestarts = (p: Pod): number => Math.max(0, ...(p.status?.containerStatuses ?? []).map((c) => c.restartCount));
/** When the pod became ready (its Ready condition's lastTransitionTime), undefined when unknown. */
function readyTime(p: Pod): number | undefined {
  const t = getCondition(p.status?.conditions, 'Ready')?.lastTransitionTime;
  return t === undefined ? undefined : fromRFC3339(t);
}
const createdAt = (p: Pod): number | undefined => (p.metadata.creationTimestamp ? fromRFC3339(p.metadata.creationTimestamp) : undefined);
/** afterOrZero: a missing time sorts first, then the later time. Negative when `a` goes first. */
function laterFirst(a: number | undefined, b: number | undefined): number {
  if (a === b) return 0;
  if (a === undefined || b === undefined) return a === undefined ? -1 : 1;
  return b - a;
}
/** pod-deletion-cost: an int32; anything else counts 0. */
function deletionCost(p: Pod): number {
  const text = p.metadata.annotations?.[DELETION_COST_ANNOTATION];
  const n = text !== undefined && /^[+-]?\d+$/.test(text) ? Number(text) : 0;
  return n >= -(2 ** 31) && n < 2 ** 31 ? n : 0;
}
const readyRank = (p: Pod): number => Number(isPodReady(p));

/**
 * controller.ActivePods: the order in which pods are worth least (first) to most. Unassigned
 * before assigned, Pending < Unknown < Running, not ready before ready, ready more recently
 * first, more restarts first, newer first. The name breaks remaining ties, so the order is stable.
 */
export function deletionOrder(a: Pod, b: Pod): number {
  return (
    assigned(a) - assigned(b) ||
    phaseRank(a) - phaseRank(b) ||
    readyRank(a) - readyRank(b) ||
    (isPodReady(a) && isPodReady(b) ? laterFirst(readyTime(a), readyTime(b)) : 0) ||
    maxRestarts(b) - maxRestarts(a) ||
    laterFirst(createdAt(a), createdAt(b)) ||
    byteOrder(objectKey(a), objectKey(b))
  );
}

/** floor(log2(now - t)), -1 when not in the past: LogarithmicScaleDown's buckets. */
function logBucket(t: number, now: SimTime): number {
  const d = (now - t) * 1e6; // nanoseconds, as the Go code measures them
  return d > 0 ? Math.floor(Math.log2(d)) : -1;
}

/** Pods on the same node first, then ready or created more recently by log2 buckets, ties by uid. */
function byTime(a: Pod, b: Pod, ta: number | undefined, tb: number | undefined, now: SimTime): number {
  if (ta === tb) return 0;
  if (ta === undefined || tb === undefined) return laterFirst(ta, tb);
  const diff = logBucket(ta, now) - logBucket(tb, now);
  if (diff !== 0) return diff;
  const ua = a.metadata.uid ?? '';
  const ub = b.metadata.uid ?? '';
  return ua < ub ? -1 : ua > ub ? 1 : 0;
}

/**
 * ActivePodsWithRanks.Less as a comparison (negative: `a` goes first), the order the ReplicaSet
 * controller deletes in (getPodsToDelete): like ActivePods, but a lower pod-deletion-cost goes
 * first, then the pod whose node holds more of the set's active pods (its rank), and ready and
 * creation times compare in log2 buckets of their age, a tie broken by uid. 0 when Kubernetes
 * finds them equivalent.
 */
export function compareForDeletion(a: Pod, rankA: number, b: Pod, rankB: number, now: SimTime): number {
  return (
    assigned(a) - assigned(b) ||
    phaseRank(a) - phaseRank(b) ||
    readyRank(a) - readyRank(b) ||
    deletionCost(a) - deletionCost(b) ||
    rankB - rankA ||
    (isPodReady(a) && isPodReady(b) ? byTime(a, b, readyTime(a), readyTime(b), now) : 0) ||
    maxRestarts(b) - maxRestarts(a) ||
    byTime(a, b, createdAt(a), createdAt(b), now)
  );
}

/** The `count` pods to delete first; `related` are the active pods that count towards a node's rank. */
export function podsToDelete(active: readonly Pod[], related: readonly Pod[], count: number, now: SimTime): Pod[] {
  const onNode = new Map<string, number>();
  for (const p of related) if (isPodActive(p)) onNode.set(p.spec.nodeName ?? '', (onNode.get(p.spec.nodeName ?? '') ?? 0) + 1);
  const rank = (p: Pod): number => onNode.get(p.spec.nodeName ?? '') ?? 0;
  // The name breaks what Kubernetes leaves tied, so a replay deletes the same pods.
  const order = (a: Pod, b: Pod): number => compareForDeletion(a, rank(a), b, rank(b), now) || byteOrder(objectKey(a), objectKey(b));
  return [...active].sort(order).slice(0, count);
}

/** The active pods `rs` controls. */
export function activePodsOf(state: ClusterState, rs: ReplicaSet): Pod[] {
  const uid = rs.metadata.uid;
  if (uid === undefined) return [];
  return state.podsOwnedBy(uid).filter((p) => isPodActive(p));
}

/** getIndirectlyRelatedPods: the pods of every ReplicaSet its Deployment owns (only its own without one). */
function relatedPods(state: ClusterState, rs: ReplicaSet, own: readonly Pod[]): readonly Pod[] {
  const owner = rs.metadata.ownerReferences?.find((r) => r.controller);
  if (!owner) return own;
  return state.replicaSetsOwnedBy(owner.uid).flatMap((sibling) => (sibling.metadata.uid ? state.podsOwnedBy(sibling.metadata.uid) : []));
}

/** The ReplicaSet controller's event for a pod it created (`SuccessfulCreate`) or deleted (`SuccessfulDelete`). */
export function podEvent(rs: ReplicaSet, pod: Pod, reason: 'SuccessfulCreate' | 'SuccessfulDelete', now: SimTime, rng: Rng): Step {
  const message = `${reason === 'SuccessfulCreate' ? 'Created' : 'Deleted'} pod: ${pod.metadata.name}`;
  return create(controllerEvent(rs, COMPONENT, 'Normal', reason, message, now, rng), `event: ${message.toLowerCase().replace(' pod:', '')}`);
}

export function reconcileReplicaSet(state: ClusterState, rs: ReplicaSet, now: SimTime, rng: Rng): Step[] {
  const uid = rs.metadata.uid;
  if (uid === undefined || rs.metadata.deletionTimestamp !== undefined) return [];
  const name = rs.metadata.name;
  const activeCount = state.activePodsOwnedBy(uid)?.active ?? 0;
  const desired = rs.spec.replicas ?? 1;
  const diff = activeCount - desired;
  const steps: Step[] = [];
  if (diff < 0) {
    const count = Math.min(-diff, BURST_REPLICAS);
    for (let i = 0; i < count; i++) {
      const pod = podFromTemplate({ ...rs, metadata: { ...rs.metadata, uid } }, rng);
      steps.push(create(pod, `${name} has ${activeCount} of ${desired} pods: create ${pod.metadata.name}`));
      steps.push(podEvent(rs, pod, 'SuccessfulCreate', now, rng));
    }
  } else if (diff > 0) {
    const active = activePodsOf(state, rs);
    for (const pod of podsToDelete(active, relatedPods(state, rs, active), Math.min(diff, BURST_REPLICAS), now)) {
      steps.push(remove(pod, `${name} has ${activeCount} of ${desired} pods: delete ${pod.metadata.name}`));
      steps.push(podEvent(rs, pod, 'SuccessfulDelete', now, rng));
    }
  }
  steps.push(...replicaSetStatusStepsOf(state, rs, now));
  return steps;
}

/** What a ReplicaSet's status counts of its active pods. */
interface ActiveCounts {
  replicas: number;
  fullyLabeled: number;
  ready: number;
  available: number;
}

function statusSteps(rs: ReplicaSet, counts: ActiveCounts): Step[] {
  const desired = rs.spec.replicas ?? 1;
  const status: NonNullable<ReplicaSet['status']> = {
    ...rs.status,
    replicas: counts.replicas,
    fullyLabeledReplicas: counts.fullyLabeled,
    readyReplicas: counts.ready,
    availableReplicas: counts.available,
    observedGeneration: rs.metadata.generation ?? 1,
  };
  if (sameValue(status, rs.status ?? {})) return [];
  return [updateStatus(rs, { ...rs, status }, `${rs.metadata.name}: ${status.readyReplicas}/${desired} ready, ${status.availableReplicas} available`)];
}

/** The ReplicaSet's status write (counts of its active pods), if the counts changed. */
export function replicaSetStatusSteps(rs: ReplicaSet, active: readonly Pod[], now: SimTime): Step[] {
  const minReady = rs.spec.minReadySeconds ?? 0;
  const labels = rs.spec.template.metadata?.labels ?? {};
  return statusSteps(rs, {
    replicas: active.length,
    fullyLabeled: active.filter((p) => matchesSelector({ matchLabels: labels }, p.metadata.labels)).length,
    ready: active.filter((p) => isPodReady(p)).length,
    available: active.filter((p) => isPodAvailable(p, minReady, now)).length,
  });
}

/**
 * The same write, from the state's running counts of the set's active pods: no pod is read, unless
 * availability waits on minReadySeconds (then it depends on each pod's ready time and `now`).
 */
export function replicaSetStatusStepsOf(state: ClusterState, rs: ReplicaSet, now: SimTime): Step[] {
  const uid = rs.metadata.uid;
  if (uid === undefined || (rs.spec.minReadySeconds ?? 0) > 0) return replicaSetStatusSteps(rs, activePodsOf(state, rs), now);
  const owned = state.activePodsOwnedBy(uid);
  const labels = rs.spec.template.metadata?.labels ?? {};
  let fullyLabeled = 0;
  for (const group of owned?.byLabels.values() ?? []) if (matchesSelector({ matchLabels: labels }, group.labels)) fullyLabeled += group.count;
  // With minReadySeconds 0 a pod is available exactly when it is ready.
  return statusSteps(rs, { replicas: owned?.active ?? 0, fullyLabeled, ready: owned?.ready ?? 0, available: owned?.ready ?? 0 });
}

/** Every ReplicaSet, or only those in `only` (keys `namespace/name`). */
export function reconcileReplicaSets(state: ClusterState, now: SimTime, rng: Rng, only?: Iterable<string>): Step[] {
  const sets = only ? [...only].map((k) => state.get('ReplicaSet', k)).filter((r): r is ReplicaSet => r !== undefined) : [...state.list('ReplicaSet')];
  return sets.flatMap((rs) => reconcileReplicaSet(state, rs, now, rng));
}

