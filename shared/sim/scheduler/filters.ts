/**
 * The scheduler's filter plugins, in the default profile's order. A node fails at the first
 * plugin that rejects it (as the framework stops there); NodeResourcesFit may give several reasons.
 * Reason strings are Kubernetes' own, the detail is for the class.
 */
import {
  LABEL_HOSTNAME,
  TAINT_NODE_NOT_READY,
  TAINT_NODE_UNREACHABLE,
  TAINT_NODE_UNSCHEDULABLE,
  formatCpu,
  formatMemory,
  getCondition,
  matchesNodeAffinity,
  matchesSelector,
  toleratesTaint,
  untoleratedTaint,
  type Node,
  type Pod,
  type PodAffinityTerm,
  type Taint,
} from '@shared/model';
import type { ClusterState, NodeUsage } from '../state';
import { allocatableOf as nodeAllocatable, requestsOf as podRequests } from '../resources';

export const REASON = {
  unschedulable: 'node(s) were unschedulable',
  nodeName: "node(s) didn't match the requested node name",
  nodeAffinity: "node(s) didn't match Pod's node affinity/selector",
  tooManyPods: 'Too many pods',
  insufficientCpu: 'Insufficient cpu',
  insufficientMemory: 'Insufficient memory',
  antiAffinity: "node(s) didn't match pod anti-affinity rules",
  existingAntiAffinity: "node(s) didn't satisfy existing pods anti-affinity rules",
  untoleratedTaint: (t: Taint): string => `node(s) had untolerated taint {${t.key}: ${t.value ?? ''}}`,
} as const;

export interface FilterFailure {
  plugin: string;
  /** Kubernetes' reason strings, counted in the FailedScheduling message. */
  reasons: string[];
  /** UnschedulableAndUnresolvable: evicting pods could not help (preemption is not tried there). */
  unresolvable: boolean;
  /** For the class: `Insufficient cpu (requested 500m, free 200m)`. */
  detail: string;
}

/** What the pass has already placed on a node but the state does not show yet (the scheduler's assumed pods). */
export interface Assumed {
  usage: NodeUsage;
  pods: Pod[];
  /** The subset of `pods` with required anti-affinity (the only ones that can repel a newcomer). */
  antiAffinityPods: Pod[];
}

/** The NoSchedule taint TaintNodesByCondition puts on a node whose Ready condition is not True. */
function conditionTaint(node: Node): Taint | undefined {
  const ready = getCondition(node.status?.conditions, 'Ready');
  if (ready?.status === 'True') return undefined;
  const key = ready?.status === 'Unknown' ? TAINT_NODE_UNREACHABLE : TAINT_NODE_NOT_READY;
  return (node.spec.taints ?? []).some((t) => t.key === key && t.effect === 'NoSchedule') ? undefined : { key, effect: 'NoSchedule' };
}

export function effectiveTaints(node: Node): Taint[] {
  const implied = conditionTaint(node);
  return implied ? [...(node.spec.taints ?? []), implied] : (node.spec.taints ?? []);
}

function nodeUnschedulable(pod: Pod, node: Node): FilterFailure | undefined {
  if (!node.spec.unschedulable) return undefined;
  if (toleratesTaint(pod.spec.tolerations, { key: TAINT_NODE_UNSCHEDULABLE, effect: 'NoSchedule' })) return undefined;
  return { plugin: 'NodeUnschedulable', reasons: [REASON.unschedulable], unresolvable: true, detail: 'cordoned (spec.unschedulable)' };
}

function nodeName(pod: Pod, node: Node): FilterFailure | undefined {
  if (pod.spec.nodeName === undefined || pod.spec.nodeName === node.metadata.name) return undefined;
  return { plugin: 'NodeName', reasons: [REASON.nodeName], unresolvable: true, detail: `the pod asks for node ${pod.spec.nodeName}` };
}

function taintToleration(pod: Pod, node: Node): FilterFailure | undefined {
  const taint = untoleratedTaint(pod.spec.tolerations, effectiveTaints(node));
  if (!taint) return undefined;
  const shown = `${taint.key}${taint.value ? `=${taint.value}` : ''}:${taint.effect}`;
  return { plugin: 'TaintToleration', reasons: [REASON.untoleratedTaint(taint)], unresolvable: true, detail: `taint ${shown} not tolerated` };
}

function nodeAffinity(pod: Pod, node: Node): FilterFailure | undefined {
  if (matchesNodeAffinity(pod, node)) return undefined;
  return { plugin: 'NodeAffinity', reasons: [REASON.nodeAffinity], unresolvable: true, detail: 'labels do not match the nodeSelector / node affinity' };
}

function resourcesFit(pod: Pod, node: Node, used: NodeUsage): FilterFailure | undefined {
  const alloc = nodeAllocatable(node);
  const want = podRequests(pod);
  const reasons: string[] = [];
  const details: string[] = [];
  if (used.pods + 1 > alloc.pods) {
    reasons.push(REASON.tooManyPods);
    details.push(`Too many pods (${used.pods} of ${alloc.pods})`);
  }
  if (want.cpuMillis > 0 && want.cpuMillis > alloc.cpuMillis - used.cpuMillis) {
    reasons.push(REASON.insufficientCpu);
    details.push(`Insufficient cpu (requested ${formatCpu(want.cpuMillis)}, free ${formatCpu(Math.max(0, alloc.cpuMillis - used.cpuMillis))})`);
  }
  if (want.memoryBytes > 0 && want.memoryBytes > alloc.memoryBytes - used.memoryBytes) {
    reasons.push(REASON.insufficientMemory);
    details.push(
      `Insufficient memory (requested ${formatMemory(want.memoryBytes)}, free ${formatMemory(Math.max(0, alloc.memoryBytes - used.memoryBytes))})`,
    );
  }
  return reasons.length === 0 ? undefined : { plugin: 'NodeResourcesFit', reasons, unresolvable: false, detail: details.join(', ') };
}

function termNamespaces(term: PodAffinityTerm, owner: Pod): string[] {
  return term.namespaces?.length ? term.namespaces : [owner.metadata.namespace ?? 'default'];
}

function termMatches(term: PodAffinityTerm, owner: Pod, other: Pod): boolean {
  return termNamespaces(term, owner).includes(other.metadata.namespace ?? 'default') && matchesSelector(term.labelSelector, other.metadata.labels);
}

/** Only `kubernetes.io/hostname` topology is modelled: one node is one domain. */
export function hostnameTerms(pod: Pod): PodAffinityTerm[] {
  return (pod.spec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).filter((t) => t.topologyKey === LABEL_HOSTNAME);
}

function interPodAffinity(pod: Pod, node: Node, state: ClusterState, assumed: Assumed | undefined): FilterFailure | undefined {
  const name = node.metadata.name;
  const terms = hostnameTerms(pod);
  if (terms.length > 0) {
    const others = [...state.podsOn(name), ...(assumed?.pods ?? [])];
    // Terminating pods still count, as for existing pods' anti-affinity: the plugin has no deletionTimestamp check.
    const clash = others.find((other) => terms.some((t) => termMatches(t, pod, other)));
    if (clash) {
      return { plugin: 'InterPodAffinity', reasons: [REASON.antiAffinity], unresolvable: false, detail: `anti-affinity: ${clash.metadata.name} already runs there` };
    }
  }
  const existing: Pod[] = [...(assumed?.antiAffinityPods ?? [])];
  for (const key of state.antiAffinityPodsByNode.get(name) ?? []) {
    const other = state.pod(key);
    if (other) existing.push(other);
  }
  const repelled = existing.find((other) => hostnameTerms(other).some((t) => termMatches(t, other, pod)));
  if (repelled) {
    return {
      plugin: 'InterPodAffinity',
      reasons: [REASON.existingAntiAffinity],
      unresolvable: false,
      detail: `${repelled.metadata.name} there has anti-affinity against this pod`,
    };
  }
  return undefined;
}

/** Runs the filters for one node; undefined when the node fits. */
export function filterNode(state: ClusterState, pod: Pod, node: Node, assumed?: Assumed): FilterFailure | undefined {
  const used = assumed ? assumed.usage : state.usageOf(node.metadata.name);
  return (
    nodeUnschedulable(pod, node) ??
    nodeName(pod, node) ??
    taintToleration(pod, node) ??
    nodeAffinity(pod, node) ??
    resourcesFit(pod, node, used) ??
    interPodAffinity(pod, node, state, assumed)
  );
}
