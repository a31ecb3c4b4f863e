/**
 * Deployment controller: one ReplicaSet per pod template (`<deployment>-<pod-template-hash>`), a
 * rolling update that honours maxSurge / maxUnavailable (or Recreate), old ReplicaSets kept up to
 * revisionHistoryLimit, rollback to an earlier revision, and status with Available / Progressing.
 */
import {
  byteOrder,
  POD_TEMPLATE_HASH_LABEL,
  REVISION_ANNOTATION,
  fromRFC3339,
  newControllerRef,
  resolveFenceposts,
  toRFC3339,
  type Deployment,
  type DeploymentCondition,
  type PodTemplateSpec,
  type ReplicaSet,
  type SimTime,
} from '@shared/model';
import { canonicalJson, fnv32a, sameValue } from '../hash';
import { create, remove, update, updateStatus, type ApiRequest, type Step } from '../requests';
import type { Rng } from '../rng';
import type { ClusterState } from '../state';
import { activePodsOf } from './replicaset';
import { controllerEvent } from './events';

const COMPONENT = 'deployment-controller';
const SAFE_ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

/** rand.SafeEncodeString: each character mapped into an alphabet without vowels (no bad words). */
function safeEncode(s: string): string {
  return [...s].map((ch) => SAFE_ALPHANUMS[ch.charCodeAt(0) % SAFE_ALPHANUMS.length] ?? '').join('');
}

/** controller.ComputeHash: FNV-32a of the template (and collisionCount), safe-encoded: up to 10 of `4-9bcdf`. */
export function podTemplateHash(template: PodTemplateSpec, collisionCount?: number): string {
  const text = canonicalJson(template) + (collisionCount === undefined ? '' : String(collisionCount));
  return safeEncode(String(fnv32a(text)));
}

function withoutHash(template: PodTemplateSpec): PodTemplateSpec {
  const labels = { ...template.metadata?.labels };
  delete labels[POD_TEMPLATE_HASH_LABEL];
  return { ...template, metadata: { ...template.metadata, labels } };
}

// Objects in the state are never mutated, so a template's canonical text can be kept per object.
const canonical = new WeakMap<PodTemplateSpec, string>();
function templateText(t: PodTemplateSpec): string {
  let text = canonical.get(t);
  if (text === undefined) canonical.set(t, (text = canonicalJson(withoutHash(t))));
  return text;
}

/** EqualIgnoreHash: the same template but for the pod-template-hash label. */
export function sameTemplate(a: PodTemplateSpec, b: PodTemplateSpec): boolean {
  return templateText(a) === templateText(b);
}

const revisionOf = (rs: ReplicaSet): number => Number(rs.metadata.annotations?.[REVISION_ANNOTATION] ?? '0');
const replicasOf = (rs: ReplicaSet): number => rs.spec.replicas ?? 0;
const byAge = (a: ReplicaSet, b: ReplicaSet): number =>
  byteOrder(a.metadata.creationTimestamp ?? '', b.metadata.creationTimestamp ?? '') || byteOrder(a.metadata.name, b.metadata.name);

function newReplicaSet(d: Deployment & { metadata: { uid: string } }, hash: string, replicas: number, revision: number): ReplicaSet {
  const labels = { ...d.spec.template.metadata?.labels, [POD_TEMPLATE_HASH_LABEL]: hash };
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `${d.metadata.name}-${hash}`,
      namespace: d.metadata.namespace ?? 'default',
      labels,
      annotations: { [REVISION_ANNOTATION]: String(revision) },
      ownerReferences: [newControllerRef(d)],
    },
    spec: {
      replicas,
      selector: { ...d.spec.selector, matchLabels: { ...d.spec.selector.matchLabels, [POD_TEMPLATE_HASH_LABEL]: hash } },
      template: { ...d.spec.template, metadata: { ...d.spec.template.metadata, labels } },
      ...(d.spec.minReadySeconds === undefined ? {} : { minReadySeconds: d.spec.minReadySeconds }),
    },
  };
}

function scaleTo(rs: ReplicaSet, replicas: number, d: Deployment, now: SimTime, rng: Rng, extra?: Partial<ReplicaSet['metadata']>): Step[] {
  const from = replicasOf(rs);
  const verb = replicas > from ? 'up' : 'down';
  const message = `Scaled ${verb} replica set ${rs.metadata.name} from ${from} to ${replicas}`;
  return [
    update(rs, { ...rs, metadata: { ...rs.metadata, ...extra }, spec: { ...rs.spec, replicas } }, `${d.metadata.name}: ${message}`),
    create(controllerEvent(d, COMPONENT, 'Normal', 'ScalingReplicaSet', message, now, rng), `event: ${message}`),
  ];
}

export function reconcileDeployment(state: ClusterState, d: Deployment, now: SimTime, rng: Rng): Step[] {
  const uid = d.metadata.uid;
  if (uid === undefined || d.metadata.deletionTimestamp !== undefined) return [];
  const owned = state.replicaSetsOwnedBy(uid).filter((rs) => rs.metadata.deletionTimestamp === undefined).sort(byAge);
  const current = owned.find((rs) => sameTemplate(rs.spec.template, d.spec.template));
  const old = owned.filter((rs) => rs !== current);
  const desired = d.spec.replicas ?? 1;
  const maxRevision = owned.reduce((m, rs) => Math.max(m, revisionOf(rs)), 0);
  const recreate = d.spec.strategy?.type === 'Recreate';
  const { maxSurge, maxUnavailable } = recreate ? { maxSurge: 0, maxUnavailable: desired } : resolveFenceposts(d.spec.strategy?.rollingUpdate?.maxSurge, d.spec.strategy?.rollingUpdate?.maxUnavailable, desired);
  const total = owned.reduce((n, rs) => n + replicasOf(rs), 0);

  if (!current) {
    const hash = podTemplateHash(withoutHash(d.spec.template));
    const oldActive = old.reduce((n, rs) => n + activePodsOf(state, rs).length, 0);
    const replicas = recreate ? (oldActive === 0 && total === 0 ? desired : 0) : Math.max(0, Math.min(desired, desired + maxSurge - total));
    const rs = newReplicaSet({ ...d, metadata: { ...d.metadata, uid } }, hash, replicas, maxRevision + 1);
    const message = `Scaled up replica set ${rs.metadata.name} from 0 to ${replicas}`;
    return [
      create(rs, `${d.metadata.name}: new pod template, new ReplicaSet ${rs.metadata.name} (revision ${maxRevision + 1}) with ${replicas} replicas`),
      create(controllerEvent(d, COMPONENT, 'Normal', 'ScalingReplicaSet', message, now, rng), `event: ${message}`),
    ];
  }

  // A rollback made an old ReplicaSet current again: it takes the next revision number.
  const bump = revisionOf(current) < maxRevision ? { annotations: { ...current.metadata.annotations, [REVISION_ANNOTATION]: String(maxRevision + 1) } } : undefined;
  const steps: Step[] = recreate ? recreateStep(state, d, current, old, desired, now, rng, bump) : rollingStep(d, current, old, desired, maxSurge, maxUnavailable, total, now, rng, bump);
  if (steps.length === 0) steps.push(...cleanupOldReplicaSets(state, d, current, old, desired));
  steps.push(...statusSteps(d, current, owned, desired, maxUnavailable, now));
  return steps;
}

function rollingStep(
  d: Deployment,
  current: ReplicaSet,
  old: ReplicaSet[],
  desired: number,
  maxSurge: number,
  maxUnavailable: number,
  total: number,
  now: SimTime,
  rng: Rng,
  bump: Partial<ReplicaSet['metadata']> | undefined,
): Step[] {
  const newReplicas = replicasOf(current);
  if (newReplicas < desired) {
    const up = Math.min(desired + maxSurge - total, desired - newReplicas);
    if (up > 0) return scaleTo(current, newReplicas + up, d, now, rng, bump);
  } else if (newReplicas > desired) {
    return scaleTo(current, desired, d, now, rng, bump);
  }
  if (bump) return [update(current, { ...current, metadata: { ...current.metadata, ...bump } }, `${d.metadata.name}: ${current.metadata.name} is the current revision again`)];
  const active = old.filter((rs) => replicasOf(rs) > 0);
  if (active.length === 0) return [];
  const minAvailable = desired - maxUnavailable;
  const newUnavailable = newReplicas - (current.status?.availableReplicas ?? 0);
  const maxScaledDown = total - minAvailable - newUnavailable;
  if (maxScaledDown <= 0) return [];
  const targets = new Map<ReplicaSet, number>(active.map((rs) => [rs, replicasOf(rs)]));
  // First the old pods that are not available anyway (cleanupUnhealthyReplicas) ...
  let cleaned = 0;
  for (const rs of active) {
    if (cleaned >= maxScaledDown) break;
    const unhealthy = replicasOf(rs) - (rs.status?.availableReplicas ?? 0);
    const down = Math.min(maxScaledDown - cleaned, Math.max(0, unhealthy));
    targets.set(rs, replicasOf(rs) - down);
    cleaned += down;
  }
  // ... then available ones, keeping at least minAvailable available.
  const available = [current, ...active].reduce((n, rs) => n + Math.min(rs.status?.availableReplicas ?? 0, targets.get(rs) ?? replicasOf(rs)), 0);
  let budget = Math.max(0, Math.min(available - minAvailable, maxScaledDown - cleaned));
  for (const rs of active) {
    const left = targets.get(rs) ?? 0;
    const down = Math.min(left, budget);
    targets.set(rs, left - down);
    budget -= down;
  }
  return active.filter((rs) => targets.get(rs) !== replicasOf(rs)).flatMap((rs) => scaleTo(rs, targets.get(rs) ?? 0, d, now, rng));
}

function recreateStep(
  state: ClusterState,
  d: Deployment,
  current: ReplicaSet,
  old: ReplicaSet[],
  desired: number,
  now: SimTime,
  rng: Rng,
  bump: Partial<ReplicaSet['metadata']> | undefined,
): Step[] {
  const running = old.filter((rs) => replicasOf(rs) > 0);
  if (running.length > 0) return running.flatMap((rs) => scaleTo(rs, 0, d, now, rng));
  if (old.some((rs) => activePodsOf(state, rs).length > 0)) return [];
  if (replicasOf(current) !== desired) return scaleTo(current, desired, d, now, rng, bump);
  return [];
}

/** Old ReplicaSets scaled to zero beyond revisionHistoryLimit are deleted, oldest first. */
function cleanupOldReplicaSets(state: ClusterState, d: Deployment, current: ReplicaSet, old: ReplicaSet[], desired: number): Step[] {
  if (replicasOf(current) !== desired) return [];
  const idle = old.filter((rs) => replicasOf(rs) === 0 && activePodsOf(state, rs).length === 0);
  const limit = d.spec.revisionHistoryLimit ?? 10;
  return idle.slice(0, Math.max(0, idle.length - limit)).map((rs) => remove(rs, `${d.metadata.name}: revision history is limited to ${limit}, delete ${rs.metadata.name}`));
}

function setDeploymentCondition(list: DeploymentCondition[], c: DeploymentCondition, now: SimTime): DeploymentCondition[] {
  const at = toRFC3339(now);
  const prev = list.find((x) => x.type === c.type);
  if (prev && prev.status === c.status && prev.reason === c.reason && prev.message === c.message) return list;
  const next = { ...c, lastUpdateTime: at, lastTransitionTime: prev && prev.status === c.status ? (prev.lastTransitionTime ?? at) : at };
  return prev ? list.map((x) => (x.type === c.type ? next : x)) : [...list, next];
}

function statusSteps(d: Deployment, current: ReplicaSet, owned: ReplicaSet[], desired: number, maxUnavailable: number, now: SimTime): Step[] {
  const sum = (f: (rs: ReplicaSet) => number): number => owned.reduce((n, rs) => n + f(rs), 0);
  const available = sum((rs) => rs.status?.availableReplicas ?? 0);
  const updated = current.status?.replicas ?? 0;
  const complete = replicasOf(current) === desired && updated === desired && (current.status?.availableReplicas ?? 0) === desired && sum(replicasOf) === desired;
  let conditions = d.status?.conditions ?? [];
  conditions = setDeploymentCondition(
    conditions,
    available >= desired - maxUnavailable
      ? { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' }
      : { type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.' },
    now,
  );
  const rsName = current.metadata.name;
  const progressing = conditions.find((c) => c.type === 'Progressing');
  const deadline = (d.spec.progressDeadlineSeconds ?? 600) * 1000;
  const since = progressing?.lastUpdateTime ? fromRFC3339(progressing.lastUpdateTime) : now;
  conditions = setDeploymentCondition(
    conditions,
    complete
      ? { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${rsName}" has successfully progressed.` }
      : progressing?.reason === 'ProgressDeadlineExceeded' || now - since > deadline
        ? { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: `ReplicaSet "${rsName}" has timed out progressing.` }
        : { type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', message: `ReplicaSet "${rsName}" is progressing.` },
    now,
  );
  const status: NonNullable<Deployment['status']> = {
    ...d.status,
    observedGeneration: d.metadata.generation ?? 1,
    replicas: sum((rs) => rs.status?.replicas ?? 0),
    updatedReplicas: updated,
    readyReplicas: sum((rs) => rs.status?.readyReplicas ?? 0),
    availableReplicas: available,
    unavailableReplicas: Math.max(0, sum(replicasOf) - available),
    conditions,
  };
  if (sameValue(status, d.status ?? {})) return [];
  return [updateStatus(d, { ...d, status }, `${d.metadata.name}: ${status.updatedReplicas} updated, ${status.availableReplicas}/${desired} available`)];
}

export function reconcileDeployments(state: ClusterState, now: SimTime, rng: Rng, only?: Iterable<string>): Step[] {
  const list = only ? [...only].map((k) => state.get('Deployment', k)).filter((x): x is Deployment => x !== undefined) : [...state.deployments()];
  return list.flatMap((d) => reconcileDeployment(state, d, now, rng));
}

export type RollbackPlan = { ok: true; request: ApiRequest } | { ok: false; message: string };

/** `kubectl rollout undo [--to-revision]`: copy an earlier ReplicaSet's template back into the Deployment. */
export function rollback(state: ClusterState, d: Deployment, toRevision?: number): RollbackPlan {
  const owned = d.metadata.uid === undefined ? [] : state.replicaSetsOwnedBy(d.metadata.uid);
  const byRevision = [...owned].sort((a, b) => revisionOf(b) - revisionOf(a));
  const target = toRevision === undefined ? byRevision[1] : byRevision.find((rs) => revisionOf(rs) === toRevision);
  if (!target) return { ok: false, message: toRevision === undefined ? 'no rollout history found' : `unable to find specified revision ${toRevision} in history` };
  const template = withoutHash(target.spec.template);
  return { ok: true, request: update(d, { ...d, spec: { ...d.spec, template } }, `${d.metadata.name}: roll back to revision ${revisionOf(target)}`) };
}
