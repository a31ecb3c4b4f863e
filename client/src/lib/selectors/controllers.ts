import {
  NODE_LEASE_NAMESPACE,
  TAINT_NODE_UNREACHABLE,
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
 * The controller manager's view: desired vs observed, computed from the watch alone, with what
 * differs turned into to-dos. The grace period is the node lifecycle controller's default.
 */
export const NODE_MONITOR_GRACE_MS = 50_000;

export interface WorkloadRow {
  name: string;
  desired: number;
  current: number;
  ready: number;
  /** What the controller should do next, in words; null when observed equals desired. */
  todo: string | null;
}

export function replicaSetRows(replicaSets: readonly ReplicaSet[], pods: readonly Pod[]): WorkloadRow[] {
  return replicaSets.map((rs) => {
    const owned = pods.filter((p) => isControlledBy(p, rs) && isPodActive(p));
    const desired = rs.spec.replicas ?? 1;
    const current = owned.length;
    const diff = desired - current;
    return {
      name: rs.metadata.name,
      desired,
      current,
      ready: owned.filter(isPodReady).length,
      todo: diff > 0 ? `create ${diff} pod${diff > 1 ? 's' : ''}` : diff < 0 ? `delete ${-diff} pod${diff < -1 ? 's' : ''}` : null,
    };
  });
}

export function deploymentRows(deployments: readonly Deployment[], replicaSets: readonly ReplicaSet[], pods: readonly Pod[]): WorkloadRow[] {
  return deployments.map((d) => {
    const owned = replicaSets.filter((rs) => isControlledBy(rs, d));
    const desired = d.spec.replicas ?? 1;
    const ownedPods = pods.filter((p) => isPodActive(p) && owned.some((rs) => isControlledBy(p, rs)));
    const scaled = owned.reduce((sum, rs) => sum + (rs.spec.replicas ?? 0), 0);
    const todo = owned.length === 0 ? 'create its ReplicaSet' : scaled !== desired ? `scale ReplicaSets to ${desired} in total (now ${scaled})` : null;
    return { name: d.metadata.name, desired, current: ownedPods.length, ready: ownedPods.filter(isPodReady).length, todo };
  });
}

export interface NodeHealthRow {
  name: string;
  ready: string;
  /** Simulated ms since the last heartbeat (Lease renewal, else the Ready condition's), or null if none seen. */
  sinceHeartbeat: number | null;
  unreachableTaint: boolean;
  todo: string | null;
}

export function nodeHealthRows(nodes: readonly Node[], leases: readonly Lease[], simNow: number): NodeHealthRow[] {
  return nodes.map((node) => {
    const name = node.metadata.name;
    const lease = leases.find((l) => l.metadata.namespace === NODE_LEASE_NAMESPACE && l.metadata.name === name);
    const readyCondition = getCondition(node.status?.conditions, 'Ready');
    const beat = lease?.spec.renewTime ?? readyCondition?.lastHeartbeatTime;
    const sinceHeartbeat = beat ? Math.max(0, simNow - fromRFC3339(beat)) : null;
    const ready = readyCondition?.status ?? 'Unknown';
    const unreachableTaint = (node.spec.taints ?? []).some((t) => t.key === TAINT_NODE_UNREACHABLE);
    const late = sinceHeartbeat !== null && sinceHeartbeat > NODE_MONITOR_GRACE_MS;
    let todo: string | null = null;
    if (late && ready !== 'Unknown') todo = 'no heartbeat for 50 s: set Ready=Unknown';
    else if (ready === 'Unknown' && !unreachableTaint) todo = `taint ${TAINT_NODE_UNREACHABLE}:NoExecute`;
    else if (ready === 'True' && unreachableTaint) todo = `remove the ${TAINT_NODE_UNREACHABLE} taint`;
    return { name, ready, sinceHeartbeat, unreachableTaint, todo };
  });
}

export interface ServiceRow {
  name: string;
  selector: string;
  /** IPs of the ready pods the selector matches: what the Endpoints should hold. */
  expected: string[];
  /** IPs the Endpoints object holds now. */
  actual: string[];
  todo: string | null;
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
    const same = expected.length === actual.length && expected.every((ip, i) => ip === actual[i]);
    return {
      name: svc.metadata.name,
      selector: Object.entries(selector ?? {})
        .map(([k, v]) => `${k}=${v}`)
        .join(','),
      expected,
      actual,
      todo: same ? null : 'update its endpoints',
    };
  });
}
