import {
  NODE_LEASE_NAMESPACE,
  fromRFC3339,
  getCondition,
  isControlledBy,
  isPodActive,
  isPodReady,
  matchesLabels,
  type Deployment,
  type Endpoints,
  type Lease,
  type Node,
  type Pod,
  type ReplicaSet,
  type Service,
} from '@shared/model';

/**
 * The controller manager's view: desired vs observed, computed from the watch alone. What to do
 * about a difference is the rulebook's to say (shared/sim's moves), not this view's.
 */

export interface WorkloadRow {
  name: string;
  desired: number;
  current: number;
  ready: number;
}

export function replicaSetRows(replicaSets: readonly ReplicaSet[], pods: readonly Pod[]): WorkloadRow[] {
  return replicaSets.map((rs) => {
    const owned = pods.filter((p) => isControlledBy(p, rs) && isPodActive(p));
    return { name: rs.metadata.name, desired: rs.spec.replicas ?? 1, current: owned.length, ready: owned.filter(isPodReady).length };
  });
}

export function deploymentRows(deployments: readonly Deployment[], replicaSets: readonly ReplicaSet[], pods: readonly Pod[]): WorkloadRow[] {
  return deployments.map((d) => {
    const owned = replicaSets.filter((rs) => isControlledBy(rs, d));
    const desired = d.spec.replicas ?? 1;
    const ownedPods = pods.filter((p) => isPodActive(p) && owned.some((rs) => isControlledBy(p, rs)));
    return { name: d.metadata.name, desired, current: ownedPods.length, ready: ownedPods.filter(isPodReady).length };
  });
}

/**
 * READY as `kubectl get deployments` and `kubectl get replicasets` print it: the status the
 * controllers last wrote, not the pods as they are now. The host screen shows these, so the room
 * reads the same count as the goal `deployment/web readyReplicas == 3`, which waits for the
 * controller manager to write it.
 */
export function reportedRows(workloads: readonly (Deployment | ReplicaSet)[]): WorkloadRow[] {
  return workloads.map((w) => ({ name: w.metadata.name, desired: w.spec.replicas ?? 1, current: w.status?.replicas ?? 0, ready: w.status?.readyReplicas ?? 0 }));
}

export interface NodeHealthRow {
  name: string;
  ready: string;
  /** Simulated ms since the last heartbeat (Lease renewal, else the Ready condition's), or null if none seen. */
  sinceHeartbeat: number | null;
  taints: string[];
}

export function nodeHealthRows(nodes: readonly Node[], leases: readonly Lease[], simNow: number): NodeHealthRow[] {
  return nodes.map((node) => {
    const name = node.metadata.name;
    const lease = leases.find((l) => l.metadata.namespace === NODE_LEASE_NAMESPACE && l.metadata.name === name);
    const readyCondition = getCondition(node.status?.conditions, 'Ready');
    const beat = lease?.spec.renewTime ?? readyCondition?.lastHeartbeatTime;
    const sinceHeartbeat = beat ? Math.max(0, simNow - fromRFC3339(beat)) : null;
    const ready = readyCondition?.status ?? 'Unknown';
    const taints = (node.spec.taints ?? []).map((t) => `${t.key}:${t.effect}`);
    return { name, ready, sinceHeartbeat, taints };
  });
}

export interface ServiceRow {
  name: string;
  selector: string;
  /** IPs of the ready pods the selector matches: what the Endpoints should hold. */
  expected: string[];
  /** IPs the Endpoints object holds now. */
  actual: string[];
}

export function endpointIPs(endpoints: Endpoints | undefined): string[] {
  return (endpoints?.subsets ?? []).flatMap((s) => (s.addresses ?? []).map((a) => a.ip)).sort();
}

export function serviceRows(services: readonly Service[], endpoints: readonly Endpoints[], pods: readonly Pod[]): ServiceRow[] {
  return services.map((svc) => {
    const selector = svc.spec.selector;
    const ns = svc.metadata.namespace ?? 'default';
    const expected = selector
      ? pods
          .filter((p) => (p.metadata.namespace ?? 'default') === ns && matchesLabels(selector, p.metadata.labels) && isPodReady(p) && p.status?.podIP && !p.metadata.deletionTimestamp)
          .map((p) => p.status?.podIP ?? '')
          .sort()
      : [];
    const actual = endpointIPs(endpoints.find((e) => e.metadata.name === svc.metadata.name && (e.metadata.namespace ?? 'default') === ns));
    return {
      name: svc.metadata.name,
      selector: Object.entries(selector ?? {})
        .map(([k, v]) => `${k}=${v}`)
        .join(','),
      expected,
      actual,
    };
  });
}
