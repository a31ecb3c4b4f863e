/**
 * kube-controller-manager's moves, controller by controller: the Deployment controller syncs a
 * Deployment; the ReplicaSet controller creates or deletes one pod and updates a ReplicaSet's
 * status; the node lifecycle controller marks a silent node Unknown, taints and untaints it, and
 * evicts what no longer tolerates its taints; the Endpoints controller updates a Service's endpoints;
 * the garbage collector deletes what lost its owners and finishes orphan and foreground deletions.
 */
import { GARBAGE_KINDS, type ClusterAction } from '@shared/protocol';
import { byteOrder, controllerRef, getCondition, type Deployment, type Endpoints, type Node, type ReplicaSet, type Service, type SimTime, type Taint } from '@shared/model';
import { reconcileDeployment } from '../controllers/deployment';
import { reconcileService } from '../controllers/endpoints';
import { collectionOf, garbageCollections, type Collection } from '../controllers/garbage-collector';
import { evictionSteps, evictionTime, heartbeatDeadline, lastHeartbeat, markUnknownSteps, taintChanges, taintEvictionEvent } from '../controllers/node-lifecycle';
import { activePodsOf, deletionOrder, podEvent, podFromTemplate, replicaSetStatusStepsOf } from '../controllers/replicaset';
import { NODE_LEASE_RENEW_SECONDS, NODE_MONITOR_GRACE_SECONDS } from '../defaults';
import { create, isApiRequest, remove, update } from '../requests';
import { seededRng } from '../rng';
import type { ClusterState } from '../state';
import { secondsUntil, type PlannedMove, type PlannedMoves, type WaitingMove } from './types';

/** kube-controller-manager's controllers, in the order their moves are listed. */
export const CONTROLLERS = ['deployment', 'replicaset', 'nodelifecycle', 'endpoint', 'garbagecollector'] as const;
export type Controller = (typeof CONTROLLERS)[number];

/** The controller that makes a controller-manager move. */
export function controllerOf(action: ClusterAction): Controller {
  switch (action.kind) {
    case 'syncDeployment':
      return 'deployment';
    case 'createPod':
    case 'deletePod':
    case 'updateReplicaSetStatus':
      return 'replicaset';
    case 'updateEndpoints':
      return 'endpoint';
    case 'collectGarbage':
      return 'garbagecollector';
    default:
      return 'nodelifecycle';
  }
}

const taintText = (t: Taint): string => `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`;

export function replicaSetMoves(state: ClusterState, rs: ReplicaSet, now: SimTime, moves: PlannedMove[]): void {
  const uid = rs.metadata.uid;
  if (uid === undefined || rs.metadata.deletionTimestamp !== undefined) return;
  const name = rs.metadata.name;
  const count = state.activePodsOwnedBy(uid)?.active ?? 0;
  const desired = rs.spec.replicas ?? 1;
  if (count < desired) {
    moves.push({
      action: { kind: 'createPod', replicaSet: name },
      label: `Create a pod for ${name}`,
      why: `${name} has ${count} of ${desired} pods: create one from its pod template`,
      progress: true,
      plan: (rng) => {
        const pod = podFromTemplate({ ...rs, metadata: { ...rs.metadata, uid } }, rng);
        return [create(pod, `${name} has ${count} of ${desired} pods: create ${pod.metadata.name}`), podEvent(rs, pod, 'SuccessfulCreate', now, rng)];
      },
    });
  } else if (count > desired) {
    const victim = activePodsOf(state, rs).sort(deletionOrder)[0];
    if (victim) {
      const pod = victim.metadata.name;
      moves.push({
        action: { kind: 'deletePod', pod, resourceVersion: victim.metadata.resourceVersion ?? '' },
        label: `Delete ${pod}`,
        why: `${name} has ${count} of ${desired} pods: delete the one it ranks first to go (not ready, unscheduled, newest)`,
        progress: true,
        plan: (rng) => [remove(victim, `${name} has ${count} of ${desired} pods: delete ${pod}`), podEvent(rs, victim, 'SuccessfulDelete', now, rng)],
      });
    }
  }
  const status = replicaSetStatusStepsOf(state, rs, now);
  const first = status[0];
  if (first && isApiRequest(first)) {
    moves.push({ action: { kind: 'updateReplicaSetStatus', replicaSet: name }, label: `Update status of ${name}`, why: first.reason, progress: true, plan: () => status });
  }
}

export function nodeMoves(state: ClusterState, node: Node, now: SimTime, moves: PlannedMove[], waiting: WaitingMove[]): void {
  const name = node.metadata.name;
  const rv = node.metadata.resourceVersion ?? '';
  const ready = getCondition(node.status?.conditions, 'Ready')?.status;
  const deadline = heartbeatDeadline(state, node);
  const silent = Math.floor((now - lastHeartbeat(state, node)) / 1000);
  if (ready !== 'Unknown') {
    if (now >= deadline) {
      moves.push({
        action: { kind: 'setNodeCondition', node: name, status: 'Unknown', resourceVersion: rv },
        label: `Mark ${name} Ready=Unknown`,
        why: `${name} has sent no heartbeat for ${silent} s (node-monitor-grace-period ${NODE_MONITOR_GRACE_SECONDS} s): the kubelet stopped posting node status`,
        progress: true,
        plan: (rng) => markUnknownSteps(state, node, now, rng),
      });
    } else if (silent > 2 * NODE_LEASE_RENEW_SECONDS) {
      waiting.push({ kind: 'setNodeCondition', node: name, label: `Mark ${name} Ready=Unknown`, reason: `${name} last renewed its Lease ${silent} s ago: Unknown only after ${NODE_MONITOR_GRACE_SECONDS} s without a heartbeat, in about ${secondsUntil(deadline, now)} s`, until: deadline });
    }
  }
  const { add, remove: drop } = taintChanges(node, now);
  for (const taint of add) {
    const { timeAdded: _added, ...plain } = taint;
    moves.push({
      action: { kind: 'taintNode', node: name, taint: plain, resourceVersion: rv },
      label: `Taint ${name} ${taintText(taint)}`,
      why: `${name} is Ready=${ready ?? 'Unknown'}: it gets ${taintText(taint)}, so ${taint.effect === 'NoExecute' ? 'pods that do not tolerate it are evicted' : 'no new pod lands on it'}`,
      progress: true,
      plan: () => [update(node, { ...node, spec: { ...node.spec, taints: [...(node.spec.taints ?? []), taint] } }, `${name}: taint ${taintText(taint)}`)],
    });
  }
  for (const taint of drop) {
    moves.push({
      action: { kind: 'untaintNode', node: name, key: taint.key, effect: taint.effect, resourceVersion: rv },
      label: `Untaint ${name} ${taintText(taint)}`,
      why: `${name} is Ready=${ready ?? 'True'} again: remove ${taintText(taint)}`,
      progress: true,
      plan: () => [update(node, { ...node, spec: { ...node.spec, taints: (node.spec.taints ?? []).filter((t) => !(t.key === taint.key && t.effect === taint.effect)) } }, `${name}: remove taint ${taintText(taint)}`)],
    });
  }
  const noExecute = (node.spec.taints ?? []).filter((t) => t.effect === 'NoExecute');
  if (noExecute.length === 0) return;
  for (const pod of state.podsOn(name)) {
    if (pod.metadata.deletionTimestamp !== undefined) continue;
    const at = evictionTime(pod, noExecute, now);
    if (at === undefined) continue;
    const podName = pod.metadata.name;
    if (at > now) {
      waiting.push({ kind: 'evictPod', pod: podName, node: name, label: `Evict ${podName}`, reason: `${podName} tolerates the taint of ${name} for about ${secondsUntil(at, now)} s more (tolerationSeconds)`, until: at });
      continue;
    }
    moves.push({
      action: { kind: 'evictPod', pod: podName, resourceVersion: pod.metadata.resourceVersion ?? '' },
      label: `Evict ${podName}`,
      why: `${podName} does not tolerate the NoExecute taint of ${name} any longer: mark it DisruptionTarget and delete it`,
      progress: true,
      // The event after the writes it reports: a status write that meets the kubelet's is then decided again with nothing written twice.
      plan: (rng) => [...evictionSteps(pod, now, `evict ${podName}: NoExecute taint on ${name}`), taintEvictionEvent(pod, now, rng)],
    });
  }
}

/** The Deployment controller's move for `d`, if its sync would write anything. */
export function deploymentMove(state: ClusterState, d: Deployment, now: SimTime): PlannedMove | undefined {
  // Whether the controller would write anything does not depend on the random pod-name suffixes.
  const preview = reconcileDeployment(state, d, now, seededRng(0)).filter(isApiRequest);
  if (preview.length === 0) return undefined;
  return {
    action: { kind: 'syncDeployment', deployment: d.metadata.name },
    label: `Sync deployment ${d.metadata.name}`,
    why: preview.filter((s) => s.kind !== 'Event').map((s) => s.reason).join('; '),
    progress: true,
    plan: (rng) => reconcileDeployment(state, d, now, rng),
  };
}

/** The Endpoints controller's move for a Service (its endpoints differ from its ready pods). */
export function serviceMove(state: ClusterState, service: Service, now: SimTime): PlannedMove | undefined {
  const steps = reconcileService(state, service, now);
  const first = steps[0];
  if (!first || !isApiRequest(first)) return undefined;
  return { action: { kind: 'updateEndpoints', service: service.metadata.name }, label: `Update endpoints of ${service.metadata.name}`, why: first.reason, progress: true, plan: () => steps };
}

/** The Endpoints controller's move for Endpoints whose Service is gone. */
export function orphanEndpointsMove(state: ClusterState, endpoints: Endpoints): PlannedMove | undefined {
  if (state.get('Service', `${endpoints.metadata.namespace ?? 'default'}/${endpoints.metadata.name}`)) return undefined;
  const service = endpoints.metadata.name;
  return { action: { kind: 'updateEndpoints', service }, label: `Delete endpoints of ${service}`, why: `service ${service} is gone: delete its Endpoints`, progress: true, plan: () => [remove(endpoints, `service ${service} is gone`)] };
}

/** The garbage collector's move for one collection (objects of the default namespace, of the kinds a student can name). */
export function garbageMove(c: Collection): PlannedMove | undefined {
  const objectKind = GARBAGE_KINDS.find((k) => k === c.object.kind);
  // Only the default namespace is played; other kinds never get owners here.
  if (!objectKind || (c.object.metadata.namespace ?? 'default') !== 'default') return undefined;
  const name = c.object.metadata.name;
  return { action: { kind: 'collectGarbage', objectKind, name }, label: `Collect garbage: ${objectKind.toLowerCase()}/${name}`, why: c.why, progress: true, plan: () => c.steps };
}

/**
 * The moves of the one object `action` names: a sent action is checked against these alone (no
 * other object's moves can be the same move). Empty when it names nothing the controllers have.
 */
export function controllerManagerMovesFor(state: ClusterState, action: ClusterAction, now: SimTime, namespace: string): PlannedMoves {
  const moves: PlannedMove[] = [];
  const waiting: WaitingMove[] = [];
  const add = (m: PlannedMove | undefined): void => void (m && moves.push(m));
  const ofReplicaSet = (name: string): void => {
    const rs = state.get('ReplicaSet', `${namespace}/${name}`);
    if (rs) replicaSetMoves(state, rs, now, moves);
  };
  const ofNode = (name: string | undefined): void => {
    const node = name === undefined ? undefined : state.node(name);
    if (node) nodeMoves(state, node, now, moves, waiting);
  };
  switch (action.kind) {
    case 'syncDeployment': {
      const d = state.get('Deployment', `${namespace}/${action.deployment}`);
      add(d && deploymentMove(state, d, now));
      break;
    }
    case 'createPod':
    case 'updateReplicaSetStatus':
      ofReplicaSet(action.replicaSet);
      break;
    case 'deletePod': {
      const owner = controllerRef(state.pod(`${namespace}/${action.pod}`) ?? { metadata: {} });
      if (owner?.kind === 'ReplicaSet') ofReplicaSet(owner.name);
      break;
    }
    case 'evictPod':
      ofNode(state.pod(`${namespace}/${action.pod}`)?.spec.nodeName);
      break;
    case 'setNodeCondition':
    case 'taintNode':
    case 'untaintNode':
      ofNode(action.node);
      break;
    case 'updateEndpoints': {
      const service = state.get('Service', `${namespace}/${action.service}`);
      const endpoints = state.get('Endpoints', `${namespace}/${action.service}`);
      add(service && serviceMove(state, service, now));
      add(endpoints && orphanEndpointsMove(state, endpoints));
      break;
    }
    case 'collectGarbage': {
      const obj = state.get(action.objectKind, action.objectKind === 'Node' ? action.name : `${namespace}/${action.name}`);
      const collection = obj && collectionOf(state, obj, now);
      add(collection && garbageMove(collection));
      break;
    }
    default:
      break;
  }
  return { moves, waiting };
}

export function controllerManagerMoves(state: ClusterState, now: SimTime): PlannedMoves {
  const moves: PlannedMove[] = [];
  const waiting: WaitingMove[] = [];
  const add = (m: PlannedMove | undefined): void => void (m && moves.push(m));
  for (const d of state.list('Deployment')) add(deploymentMove(state, d, now));
  for (const rs of state.list('ReplicaSet')) replicaSetMoves(state, rs, now, moves);
  for (const node of [...state.list('Node')].sort((a, b) => byteOrder(a.metadata.name, b.metadata.name))) nodeMoves(state, node, now, moves, waiting);
  for (const service of state.services()) add(serviceMove(state, service, now));
  for (const endpoints of state.list('Endpoints')) add(orphanEndpointsMove(state, endpoints));
  for (const c of garbageCollections(state, now)) add(garbageMove(c));
  return { moves, waiting };
}
