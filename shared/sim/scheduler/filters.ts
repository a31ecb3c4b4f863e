/**
 * The scheduler's filter plugins, in the default profile's order. A node fails at the first
 * plugin that rejects it (as the framework stops there); NodeResourcesFit may give several reasons.
 * Reason strings are Kubernetes' own, the detail is for the class.
 */
import {
  TAINT_NODE_NOT_READY,
  TAINT_NODE_UNREACHABLE,
  TAINT_NODE_UNSCHEDULABLE,
  formatCpu,
  formatMemory,
  getCondition,
  matchesNodeAffinity,
  matchesSelector,
  nodeScalarAllocatable,
  podScalarRequests,
  toleratesTaint,
  untoleratedTaint,
  type Node,
  type Pod,
  type PodAffinityTerm,
  type Taint,
} from '@shared/model';
import { holdsResources, type ClusterState, type NodeUsage } from '../state';
import { allocatableOf as nodeAllocatable, requestsOf as podRequests, scalarRequestsOf } from '../resources';

export const REASON = {
  unschedulable: 'node(s) were unschedulable',
  nodeName: "node(s) didn't match the requested node name",
  nodeAffinity: "node(s) didn't match Pod's node affinity/selector",
  tooManyPods: 'Too many pods',
  insufficientCpu: 'Insufficient cpu',
  insufficientMemory: 'Insufficient memory',
  affinity: "node(s) didn't match pod affinity rules",
  antiAffinity: "node(s) didn't match pod anti-affinity rules",
  insufficient: (resource: string): string => `Insufficient ${resource}`,
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

// Nodes in the state are never mutated: a node's taints are worked out once per version.
const taintsOf = new WeakMap<Node, Taint[]>();

export function effectiveTaints(node: Node): Taint[] {
  let taints = taintsOf.get(node);
  if (!taints) {
    const implied = conditionTaint(node);
    taints = implied ? [...(node.spec.taints ?? []), implied] : (node.spec.taints ?? []);
    taintsOf.set(node, taints);
  }
  return taints;
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

function resourcesFit(state: ClusterState, pod: Pod, node: Node, used: NodeUsage, assumed: Assumed | undefined): FilterFailure | undefined {
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
  const scalar = scalarRequestsOf(pod);
  const names = Object.keys(scalar);
  if (names.length > 0) {
    const allocatable = nodeScalarAllocatable(node);
    const usedScalar = scalarUsage(state, node.metadata.name, assumed);
    for (const name of names.sort()) {
      const free = (allocatable[name] ?? 0) - (usedScalar[name] ?? 0);
      if ((scalar[name] ?? 0) > free) {
        reasons.push(REASON.insufficient(name));
        details.push(`Insufficient ${name} (requested ${scalar[name]}, free ${Math.max(0, free)})`);
      }
    }
  }
  return reasons.length === 0 ? undefined : { plugin: 'NodeResourcesFit', reasons, unresolvable: false, detail: details.join(', ') };
}

/** What the pods on a node request of the other resources: summed when a pod asks for one (rare, so not indexed). */
function scalarUsage(state: ClusterState, node: string, assumed: Assumed | undefined): Record<string, number> {
  const total: Record<string, number> = {};
  for (const p of [...state.podsOn(node).filter(holdsResources), ...(assumed?.pods ?? [])]) {
    for (const [name, n] of Object.entries(podScalarRequests(p))) total[name] = (total[name] ?? 0) + n;
  }
  return total;
}

function termNamespaces(term: PodAffinityTerm, owner: Pod): string[] {
  return term.namespaces?.length ? term.namespaces : [owner.metadata.namespace ?? 'default'];
}

function termMatches(term: PodAffinityTerm, owner: Pod, other: Pod): boolean {
  return termNamespaces(term, owner).includes(other.metadata.namespace ?? 'default') && matchesSelector(term.labelSelector, other.metadata.labels);
}

export function requiredAffinityTerms(pod: Pod): PodAffinityTerm[] {
  return pod.spec.affinity?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [];
}

export function requiredAntiAffinityTerms(pod: Pod): PodAffinityTerm[] {
  return pod.spec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [];
}

/** A topology domain: the value of the term's topologyKey label on a node (`zone=a`). */
const domain = (key: string, value: string): string => `${key}\u0000${value}`;

/**
 * InterPodAffinity's PreFilter: for each topology domain, how many placed pods satisfy the pod's
 * required affinity (only pods matching every term count), match one of its anti-affinity terms,
 * or have anti-affinity terms the pod matches. Any node label can be the topology key.
 */
export interface AffinityCounts {
  affinity: Map<string, number>;
  antiAffinity: Map<string, number>;
  existingAntiAffinity: Map<string, number>;
}

function bump(counts: Map<string, number>, node: Node | undefined, key: string): void {
  const value = node?.metadata.labels?.[key];
  if (value !== undefined) counts.set(domain(key, value), (counts.get(domain(key, value)) ?? 0) + 1);
}

/** Placed pods: those the state shows on a node, plus this pass's assumed ones. */
function placedPods(state: ClusterState, assumed: Iterable<Assumed>, only: 'all' | 'antiAffinity'): Pod[] {
  const out: Pod[] = [];
  if (only === 'all') {
    for (const p of state.list('Pod')) if (holdsResources(p)) out.push(p);
    for (const a of assumed) out.push(...a.pods);
  } else {
    for (const keys of state.antiAffinityPodsByNode.values()) {
      for (const key of keys) {
        const p = state.pod(key);
        if (p) out.push(p);
      }
    }
    for (const a of assumed) out.push(...a.antiAffinityPods);
  }
  return out;
}

export function affinityCounts(state: ClusterState, pod: Pod, assumed: Iterable<Assumed> = []): AffinityCounts {
  const counts: AffinityCounts = { affinity: new Map(), antiAffinity: new Map(), existingAntiAffinity: new Map() };
  const affinity = requiredAffinityTerms(pod);
  const anti = requiredAntiAffinityTerms(pod);
  const pending = [...assumed];
  if (affinity.length > 0 || anti.length > 0) {
    for (const other of placedPods(state, pending, 'all')) {
      const node = state.node(other.spec.nodeName ?? '');
      if (affinity.length > 0 && affinity.every((t) => termMatches(t, pod, other))) for (const t of affinity) bump(counts.affinity, node, t.topologyKey);
      for (const t of anti) if (termMatches(t, pod, other)) bump(counts.antiAffinity, node, t.topologyKey);
    }
  }
  for (const other of placedPods(state, pending, 'antiAffinity')) {
    const node = state.node(other.spec.nodeName ?? '');
    for (const t of requiredAntiAffinityTerms(other)) if (termMatches(t, other, pod)) bump(counts.existingAntiAffinity, node, t.topologyKey);
  }
  return counts;
}

function interPodAffinity(pod: Pod, node: Node, counts: AffinityCounts): FilterFailure | undefined {
  // Nothing placed repels or attracts this pod (most pods): no node can fail here.
  if (counts.existingAntiAffinity.size === 0 && !pod.spec.affinity) return undefined;
  const labels = node.metadata.labels ?? {};
  const affinity = requiredAffinityTerms(pod);
  if (affinity.length > 0) {
    const missing = affinity.find((t) => labels[t.topologyKey] === undefined);
    const found = missing === undefined && affinity.every((t) => (counts.affinity.get(domain(t.topologyKey, labels[t.topologyKey] ?? '')) ?? 0) > 0);
    // The first pod of a group that wants to be with its own kind may go anywhere with the topology labels.
    const first = missing === undefined && counts.affinity.size === 0 && affinity.every((t) => termMatches(t, pod, pod));
    if (!found && !first) {
      const detail = missing ? `the node has no ${missing.topologyKey} label` : 'no pod it must run with in this topology domain';
      return { plugin: 'InterPodAffinity', reasons: [REASON.affinity], unresolvable: true, detail: `affinity: ${detail}` };
    }
  }
  const clash = requiredAntiAffinityTerms(pod).find((t) => {
    const value = labels[t.topologyKey];
    return value !== undefined && (counts.antiAffinity.get(domain(t.topologyKey, value)) ?? 0) > 0;
  });
  if (clash) {
    return { plugin: 'InterPodAffinity', reasons: [REASON.antiAffinity], unresolvable: false, detail: `anti-affinity: a matching pod already runs in ${clash.topologyKey}=${labels[clash.topologyKey]}` };
  }
  for (const [key, value] of Object.entries(labels)) {
    if ((counts.existingAntiAffinity.get(domain(key, value)) ?? 0) > 0) {
      return {
        plugin: 'InterPodAffinity',
        reasons: [REASON.existingAntiAffinity],
        unresolvable: false,
        detail: `a pod in ${key}=${value} has anti-affinity against this pod`,
      };
    }
  }
  return undefined;
}

/**
 * Runs the filters for one node; undefined when the node fits. `counts` is InterPodAffinity's
 * PreFilter result for this pod, computed once per cycle by the caller (here when absent).
 */
export function filterNode(state: ClusterState, pod: Pod, node: Node, assumed?: Assumed, counts?: AffinityCounts): FilterFailure | undefined {
  const used = assumed ? assumed.usage : state.usageOf(node.metadata.name);
  return (
    nodeUnschedulable(pod, node) ??
    nodeName(pod, node) ??
    taintToleration(pod, node) ??
    nodeAffinity(pod, node) ??
    resourcesFit(state, pod, node, used, assumed) ??
    interPodAffinity(pod, node, counts ?? affinityCounts(state, pod, assumed ? [assumed] : []))
  );
}
