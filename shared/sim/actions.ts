/**
 * A student's move, checked against the rules and turned into the requests to write: what the
 * gateway calls after the schema and role checks. Refusals carry the protocol's error code and a
 * message in Kubernetes' words; accepted moves carry the steps (requests and timers) to apply.
 */
import { getCondition, isPodActive, setCondition, type Node, type Pod, type SimTime } from '@shared/model';
import type { ClusterAction, ErrorCode } from '@shared/protocol';
import { reconcileDeployment } from './controllers/deployment';
import { reconcileService } from './controllers/endpoints';
import { evictionSteps, evictionTime, lastHeartbeat, nodeNotReadyEvent, taintEvictionEvent } from './controllers/node-lifecycle';
import { activePodsOf, podEvent, podFromTemplate } from './controllers/replicaset';
import { NODE_LEASE_RENEW_SECONDS, NODE_MONITOR_GRACE_SECONDS } from './defaults';
import { renewLease } from './kubelet/heartbeat';
import { eventFollows, isEventStep } from './kubelet/events';
import { reconcileKubelet } from './kubelet/kubelet';
import { routeRequest, syncProxyRules, type RouteOutcome } from './proxy/proxy';
import { create, isApiRequest, remove, update, updateStatus, type Step } from './requests';
import type { Rng } from './rng';
import { answerCri } from './runtime/runtime';
import { bindSteps, checkBinding } from './scheduler/scheduler';
import type { ClusterState } from './state';

export type ActionPlan =
  | { ok: true; steps: Step[]; message: string; route?: RouteOutcome }
  | { ok: false; code: ErrorCode; message: string };

const refuse = (code: ErrorCode, message: string): ActionPlan => ({ ok: false, code, message });
const accept = (steps: Step[], message: string): ActionPlan => ({ ok: true, steps, message });

function stale(expected: string | undefined, seen: string, resource: string, name: string): ActionPlan | undefined {
  if (expected === undefined || expected === seen) return undefined;
  return refuse('Conflict', `Operation cannot be fulfilled on ${resource} "${name}": the object has been modified; please apply your changes to the latest version and try again`);
}

/**
 * The kubelet's moves are the steps its own loop would take now: a move is accepted when the
 * kubelet bot would make a request of that kind for that pod, and then it makes exactly those.
 */
function kubeletMove(state: ClusterState, node: string, pod: string | undefined, now: SimTime, wanted: (s: Step) => boolean, what: string): ActionPlan {
  const steps = reconcileKubelet(state, node, now);
  const writes = steps.filter((s) => isApiRequest(s) && wanted(s) && !isEventStep(s));
  // The events ride on the writes kept: what this move does is recorded, nothing else.
  const relevant = steps.filter((s) => !isApiRequest(s) || writes.includes(s) || eventFollows(s, writes));
  if (!relevant.some((s) => isApiRequest(s))) return refuse('Invalid', `nothing to ${what}${pod ? ` for ${pod}` : ''} on ${node} right now`);
  return accept(relevant, relevant.filter(isApiRequest).map((s) => s.reason).join('; '));
}

function podOn(state: ClusterState, node: string, name: string): Pod | undefined {
  return state.podsOn(node).find((p) => p.metadata.name === name);
}

function mentions(step: Step, pod: string, call?: string): boolean {
  return isApiRequest(step) && step.reason.includes(pod) && (call === undefined || step.reason.includes(call));
}

export function planAction(state: ClusterState, action: ClusterAction, now: SimTime, rng: Rng, namespace = 'default'): ActionPlan {
  switch (action.kind) {
    case 'bind': {
      const pod = state.pod(`${namespace}/${action.pod}`);
      if (!pod) return refuse('NotFound', `pods "${action.pod}" not found`);
      const conflict = stale(action.resourceVersion, pod.metadata.resourceVersion ?? '', 'pods', action.pod);
      if (conflict) return conflict;
      const check = checkBinding(state, pod, action.node);
      if (!check.ok) return refuse('Unschedulable', `${check.message} (${check.explanation})`);
      return accept(bindSteps(pod, action.node, check.explanation, now, rng), check.explanation);
    }
    case 'pullImage':
      return kubeletMove(state, action.node, action.pod, now, (s) => mentions(s, action.pod, 'PullImage'), 'pull');
    case 'startContainer':
      return kubeletMove(state, action.node, action.pod, now, (s) => mentions(s, action.pod, 'Container'), 'start');
    case 'restartContainer':
      return kubeletMove(state, action.node, action.pod, now, (s) => mentions(s, action.pod, 'restart'), 'restart');
    case 'killPod':
      return kubeletMove(state, action.node, action.pod, now, (s) => mentions(s, action.pod), 'stop');
    case 'reportReady':
    case 'syncPodStatus': {
      const pod = podOn(state, action.node, action.pod);
      if (!pod) return refuse('NotFound', `pods "${action.pod}" not found on ${action.node}`);
      const conflict = stale(action.resourceVersion, pod.metadata.resourceVersion ?? '', 'pods', action.pod);
      if (conflict) return conflict;
      return kubeletMove(state, action.node, action.pod, now, (s) => isApiRequest(s) && s.kind === 'Pod' && s.name === action.pod && s.verb === 'updateStatus', 'report');
    }
    case 'renewLease': {
      const steps = renewLease(state, action.node, now);
      if (!steps.some(isApiRequest)) return refuse('Invalid', `${action.node} renewed its Lease less than ${NODE_LEASE_RENEW_SECONDS}s ago`);
      return accept(steps, `${action.node} renews its Lease`);
    }
    case 'answerCri': {
      const answer = answerCri(state, action.node, action.callId, now);
      return answer.ok ? accept(answer.steps, `CRI call ${action.callId} taken`) : refuse('Invalid', answer.message);
    }
    case 'createPod': {
      const rs = state.get('ReplicaSet', `${namespace}/${action.replicaSet}`);
      if (!rs?.metadata.uid) return refuse('NotFound', `replicasets.apps "${action.replicaSet}" not found`);
      const active = activePodsOf(state, rs).length;
      const desired = rs.spec.replicas ?? 1;
      if (active >= desired) return refuse('Invalid', `${action.replicaSet} already has ${active} of ${desired} pods`);
      const pod = podFromTemplate({ ...rs, metadata: { ...rs.metadata, uid: rs.metadata.uid } }, rng);
      const steps = [create(pod, `${action.replicaSet} has ${active} of ${desired} pods: create ${pod.metadata.name}`), podEvent(rs, pod, 'SuccessfulCreate', now, rng)];
      return accept(steps, `create ${pod.metadata.name}`);
    }
    case 'deletePod': {
      const pod = state.pod(`${namespace}/${action.pod}`);
      if (!pod) return refuse('NotFound', `pods "${action.pod}" not found`);
      const conflict = stale(action.resourceVersion, pod.metadata.resourceVersion ?? '', 'pods', action.pod);
      if (conflict) return conflict;
      const owner = pod.metadata.ownerReferences?.find((r) => r.controller);
      const rs = owner ? state.get('ReplicaSet', `${namespace}/${owner.name}`) : undefined;
      if (rs && isPodActive(pod) && activePodsOf(state, rs).length <= (rs.spec.replicas ?? 1)) {
        return refuse('Invalid', `${rs.metadata.name} wants ${rs.spec.replicas ?? 1} pods and has exactly that many: deleting ${action.pod} is not the ReplicaSet controller's move`);
      }
      // Deleting a surplus pod is the ReplicaSet controller's move, and it records it.
      const steps = [remove(pod, `delete ${action.pod}`), ...(rs && isPodActive(pod) ? [podEvent(rs, pod, 'SuccessfulDelete', now, rng)] : [])];
      return accept(steps, `delete ${action.pod}`);
    }
    case 'scale': {
      const obj = state.get(action.target, `${namespace}/${action.name}`);
      if (!obj) return refuse('NotFound', `${action.target === 'Deployment' ? 'deployments.apps' : 'replicasets.apps'} "${action.name}" not found`);
      const conflict = stale(action.resourceVersion, obj.metadata.resourceVersion ?? '', action.target === 'Deployment' ? 'deployments.apps' : 'replicasets.apps', action.name);
      if (conflict) return conflict;
      const next = { ...obj, spec: { ...obj.spec, replicas: action.replicas } };
      return accept([update(obj, next, `scale ${action.name} to ${action.replicas}`)], `scale ${action.name} to ${action.replicas}`);
    }
    case 'syncDeployment': {
      const d = state.get('Deployment', `${namespace}/${action.deployment}`);
      if (!d) return refuse('NotFound', `deployments.apps "${action.deployment}" not found`);
      const steps = reconcileDeployment(state, d, now, rng);
      return steps.some(isApiRequest) ? accept(steps, `sync ${action.deployment}`) : refuse('Invalid', `${action.deployment} is already in its desired state`);
    }
    case 'setNodeCondition':
      return setNodeCondition(state, action.node, action.status, action.resourceVersion, now, rng);
    case 'taintNode': {
      const node = state.node(action.node);
      if (!node) return refuse('NotFound', `nodes "${action.node}" not found`);
      const taints = [...(node.spec.taints ?? []).filter((t) => !(t.key === action.taint.key && t.effect === action.taint.effect)), { ...action.taint }];
      return accept([update(node, { ...node, spec: { ...node.spec, taints } }, `taint ${action.node} ${action.taint.key}:${action.taint.effect}`)], 'tainted');
    }
    case 'untaintNode': {
      const node = state.node(action.node);
      if (!node) return refuse('NotFound', `nodes "${action.node}" not found`);
      const taints = (node.spec.taints ?? []).filter((t) => t.key !== action.key);
      if (taints.length === (node.spec.taints ?? []).length) return refuse('NotFound', `taint "${action.key}" not found`);
      return accept([update(node, { ...node, spec: { ...node.spec, taints } }, `remove taint ${action.key} from ${action.node}`)], 'untainted');
    }
    case 'evictPod': {
      const pod = state.pod(`${namespace}/${action.pod}`);
      const node = pod?.spec.nodeName === undefined ? undefined : state.node(pod.spec.nodeName);
      if (!pod || !node) return refuse('NotFound', `pods "${action.pod}" not found on any node`);
      const at = evictionTime(pod, node.spec.taints ?? [], now);
      if (at === undefined || at > now) {
        const why = at === undefined ? 'tolerates every NoExecute taint of its node' : `tolerates the taint for ${Math.ceil((at - now) / 1000)}s more`;
        return refuse('Invalid', `${action.pod} ${why}`);
      }
      return accept([taintEvictionEvent(pod, now, rng), ...evictionSteps(pod, now, `evict ${action.pod}: NoExecute taint on ${node.metadata.name}`)], `evict ${action.pod}`);
    }
    case 'updateEndpoints': {
      const service = state.get('Service', `${namespace}/${action.service}`);
      if (!service) return refuse('NotFound', `services "${action.service}" not found`);
      const steps = reconcileService(state, service, now);
      return steps.length ? accept(steps, `update endpoints of ${action.service}`) : refuse('Invalid', `endpoints of ${action.service} are already up to date`);
    }
    case 'syncProxyRules': {
      const answer = syncProxyRules(state, action.node, `${namespace}/${action.service}`, now);
      return answer.ok ? accept(answer.steps, `programmed ${action.service} on ${action.node}`) : refuse('Invalid', answer.message);
    }
    case 'routeRequest': {
      const { outcome, steps } = routeRequest(state, action.node, `${namespace}/${action.service}`);
      return { ok: true, steps, message: outcome.message, route: outcome };
    }
  }
}

/** Node lifecycle by hand: Unknown only after the grace period without heartbeat; True only with a fresh one. */
function setNodeCondition(state: ClusterState, name: string, status: 'True' | 'False' | 'Unknown', rv: string, now: SimTime, rng: Rng): ActionPlan {
  const node: Node | undefined = state.node(name);
  if (!node) return refuse('NotFound', `nodes "${name}" not found`);
  const conflict = stale(rv, node.metadata.resourceVersion ?? '', 'nodes', name);
  if (conflict) return conflict;
  const silent = Math.floor((now - lastHeartbeat(state, node)) / 1000);
  if (status === 'Unknown' && silent < NODE_MONITOR_GRACE_SECONDS) {
    return refuse('Invalid', `${name} sent a heartbeat ${silent}s ago; it becomes Unknown only after ${NODE_MONITOR_GRACE_SECONDS}s without one`);
  }
  if (status !== 'Unknown' && silent >= NODE_MONITOR_GRACE_SECONDS) return refuse('Invalid', `${name} has sent no heartbeat for ${silent}s`);
  const current = getCondition(node.status?.conditions, 'Ready');
  if (current?.status === status) return refuse('Invalid', `${name} is already Ready=${status}`);
  const ready = status === 'Unknown' ? { reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' } : {};
  const conditions = setCondition(node.status?.conditions, { ...current, type: 'Ready' as const, status, ...ready }, now);
  const steps: Step[] = [updateStatus(node, { ...node, status: { ...node.status, conditions } }, `${name}: Ready=${status}`)];
  if (current?.status === 'True') steps.push(nodeNotReadyEvent(node, now, rng));
  return accept(steps, `${name} Ready=${status}`);
}
