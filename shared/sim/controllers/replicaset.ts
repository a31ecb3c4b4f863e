/**
 * ReplicaSet controller: count the active pods the ReplicaSet controls (ownerReferences), create
 * pods from the template or delete the least valuable ones until the count matches `replicas`,
 * then write status (replicas / ready / available).
 */
import {
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

/** controller.ActivePods ordering: the pods to delete first come first. */
export function deletionOrder(a: Pod, b: Pod): number {
  const assigned = (p: Pod): number => (p.spec.nodeName === undefined ? 0 : 1);
  const restarts = (p: Pod): number => (p.status?.containerStatuses ?? []).reduce((n, c) => n + c.restartCount, 0);
  return (
    assigned(a) - assigned(b) ||
    (PHASE_RANK[a.status?.phase ?? 'Pending'] ?? 0) - (PHASE_RANK[b.status?.phase ?? 'Pending'] ?? 0) ||
    Number(isPodReady(a)) - Number(isPodReady(b)) ||
    restarts(b) - restarts(a) ||
    // newer pods go first
    (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? '') ||
    objectKey(a).localeCompare(objectKey(b))
  );
}

/** The active pods `rs` controls. */
export function activePodsOf(state: ClusterState, rs: ReplicaSet): Pod[] {
  const uid = rs.metadata.uid;
  if (uid === undefined) return [];
  return state.podsOwnedBy(uid).filter((p) => isPodActive(p));
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
  const active = state.podsOwnedBy(uid).filter((p) => isPodActive(p));
  const desired = rs.spec.replicas ?? 1;
  const diff = active.length - desired;
  const steps: Step[] = [];
  if (diff < 0) {
    const count = Math.min(-diff, BURST_REPLICAS);
    for (let i = 0; i < count; i++) {
      const pod = podFromTemplate({ ...rs, metadata: { ...rs.metadata, uid } }, rng);
      steps.push(create(pod, `${name} has ${active.length} of ${desired} pods: create ${pod.metadata.name}`));
      steps.push(podEvent(rs, pod, 'SuccessfulCreate', now, rng));
    }
  } else if (diff > 0) {
    for (const pod of [...active].sort(deletionOrder).slice(0, Math.min(diff, BURST_REPLICAS))) {
      steps.push(remove(pod, `${name} has ${active.length} of ${desired} pods: delete ${pod.metadata.name}`));
      steps.push(podEvent(rs, pod, 'SuccessfulDelete', now, rng));
    }
  }
  steps.push(...replicaSetStatusSteps(rs, active, now));
  return steps;
}

/** The ReplicaSet's status write (counts of its active pods), if the counts changed. */
export function replicaSetStatusSteps(rs: ReplicaSet, active: readonly Pod[], now: SimTime): Step[] {
  const desired = rs.spec.replicas ?? 1;
  const minReady = rs.spec.minReadySeconds ?? 0;
  const labels = rs.spec.template.metadata?.labels ?? {};
  const status: NonNullable<ReplicaSet['status']> = {
    ...rs.status,
    replicas: active.length,
    fullyLabeledReplicas: active.filter((p) => matchesSelector({ matchLabels: labels }, p.metadata.labels)).length,
    readyReplicas: active.filter((p) => isPodReady(p)).length,
    availableReplicas: active.filter((p) => isPodAvailable(p, minReady, now)).length,
    observedGeneration: rs.metadata.generation ?? 1,
  };
  if (sameValue(status, rs.status ?? {})) return [];
  return [updateStatus(rs, { ...rs, status }, `${rs.metadata.name}: ${status.readyReplicas}/${desired} ready, ${status.availableReplicas} available`)];
}

/** Every ReplicaSet, or only those in `only` (keys `namespace/name`). */
export function reconcileReplicaSets(state: ClusterState, now: SimTime, rng: Rng, only?: Iterable<string>): Step[] {
  const sets = only ? [...only].map((k) => state.get('ReplicaSet', k)).filter((r): r is ReplicaSet => r !== undefined) : [...state.list('ReplicaSet')];
  return sets.flatMap((rs) => reconcileReplicaSet(state, rs, now, rng));
}

