/** kube-proxy's moves on its node: program one Service's rules once its Endpoints changed, and probes through a Service from the node. */
import type { SimTime } from '@shared/model';
import { PROXY_SYNC_DELAY_SECONDS } from '../defaults';
import { kubeProxyStopped, kubeProxyStoppedMessage } from '../faults';
import { proxyChanges, routeRequest } from '../proxy/proxy';
import type { ClusterState } from '../state';
import { secondsUntil, type PlannedMove, type PlannedMoves, type WaitingMove } from './types';

const nameOf = (key: string): string => key.slice(key.indexOf('/') + 1);

/**
 * `probe`: only the request to this Service (`namespace/name`) is asked about (a sent routeRequest):
 * the rules to program are not worked out, as that move changes none.
 */
export function kubeProxyMoves(state: ClusterState, node: string, now: SimTime, { probe }: { probe?: string } = {}): PlannedMoves {
  const moves: PlannedMove[] = [];
  const probes: PlannedMove[] = [];
  const waiting: WaitingMove[] = [];
  if (!state.proxyTable(node)) return { moves, waiting };
  if (probe === undefined && kubeProxyStopped(state, node)) {
    // The rules stay in the kernel: requests from the node still follow them, stale or not.
    waiting.push({ kind: 'syncProxyRules', node, label: 'kube-proxy stopped', reason: kubeProxyStoppedMessage(node) });
  } else if (probe === undefined) {
    for (const change of proxyChanges(state, node, now)) {
      const service = nameOf(change.service);
      const label = `Sync ${service} on ${node}`;
      if (change.due > now) {
        waiting.push({ kind: 'syncProxyRules', node, service, label, reason: `Endpoints of ${service} changed less than ${PROXY_SYNC_DELAY_SECONDS}s ago (minSyncPeriod): sync in about ${secondsUntil(change.due, now)} s`, until: change.due });
        continue;
      }
      moves.push({ action: { kind: 'syncProxyRules', node, service }, label, why: `program ${change.rules} on ${node}`, progress: true, plan: () => change.steps });
    }
  }
  for (const svc of state.services()) {
    const service = svc.metadata.name;
    const key = `${svc.metadata.namespace ?? 'default'}/${service}`;
    if (probe !== undefined && key !== probe) continue;
    if (!state.proxyTable(node)?.status.services.some((s) => s.service === key)) continue;
    probes.push({
      action: { kind: 'routeRequest', node, service },
      label: `Send a request to ${service} from ${node}`,
      why: `route one request through the rules programmed on ${node}`,
      progress: false,
      plan: () => routeRequest(state, node, key).steps,
    });
  }
  return { moves: [...moves, ...probes], waiting };
}
