/**
 * The kubelet's heartbeat: its Lease in kube-node-lease, renewed every 10 s (40 s duration), and the
 * node's Ready condition set back to True when it was marked otherwise (after a restart).
 */
import {
  NODE_LEASE_NAMESPACE,
  fromRFC3339,
  getCondition,
  makeLease,
  setCondition,
  toMicroTime,
  toRFC3339,
  type Node,
  type SimTime,
} from '@shared/model';
import { NODE_LEASE_DURATION_SECONDS, NODE_LEASE_RENEW_SECONDS } from '../defaults';
import { create, timer, update, updateStatus, type Step } from '../requests';
import type { ClusterState } from '../state';
import { makeTimer } from '../timers';

export function renewLease(state: ClusterState, node: string, now: SimTime): Step[] {
  const lease = state.nodeLease(node);
  const next = (at: SimTime): Step => timer(makeTimer('leaseRenew', at + NODE_LEASE_RENEW_SECONDS * 1000, { node }), `${node} renews its Lease`);
  if (!lease) {
    return [create(makeLease(node, NODE_LEASE_NAMESPACE, node, NODE_LEASE_DURATION_SECONDS, now), `${node} takes its node Lease (heartbeat)`), next(now)];
  }
  const renewed = lease.spec.renewTime === undefined ? 0 : fromRFC3339(lease.spec.renewTime);
  if (now - renewed < NODE_LEASE_RENEW_SECONDS * 1000) return [next(renewed)];
  const spec = { ...lease.spec, holderIdentity: node, renewTime: toMicroTime(now) };
  return [update(lease, { ...lease, spec }, `${node} renews its Lease (heartbeat)`), next(now)];
}

const READY = { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' } as const;
const PRESSURE = [
  { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory', message: 'kubelet has sufficient memory available' },
  { type: 'DiskPressure', status: 'False', reason: 'KubeletHasNoDiskPressure', message: 'kubelet has no disk pressure' },
  { type: 'PIDPressure', status: 'False', reason: 'KubeletHasSufficientPID', message: 'kubelet has sufficient PID available' },
] as const;

/** Node status as the kubelet posts it: only written when Ready is not True (status is reported on change). */
export function postNodeStatus(node: Node, now: SimTime): Step[] {
  if (getCondition(node.status?.conditions, 'Ready')?.status === 'True') return [];
  let conditions = node.status?.conditions ?? [];
  for (const c of [...PRESSURE, READY]) conditions = setCondition(conditions, { ...c, lastHeartbeatTime: toRFC3339(now) }, now);
  return [updateStatus(node, { ...node, status: { ...node.status, conditions } }, `${node.metadata.name} kubelet posts Ready=True`)];
}
