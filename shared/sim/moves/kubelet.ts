/** The kubelet's moves on its node: one CRI call for one container, one pod's status report, stopping one pod. */
import { fromRFC3339, type Pod, type SimTime } from '@shared/model';
import type { ClusterAction } from '@shared/protocol';
import { kubeletStopped, manualHeartbeat, stoppedMessage } from '../faults';
import { isApiRequest } from '../requests';
import { renewLease, postNodeStatus } from '../kubelet/heartbeat';
import { intentSteps, planKubelet, type KubeletIntent } from '../kubelet/kubelet';
import type { ClusterState } from '../state';
import { NODE_LEASE_RENEW_SECONDS } from '../defaults';
import { secondsUntil, type PlannedMove, type PlannedMoves, type WaitingMove } from './types';

function actionOf(node: string, i: KubeletIntent): ClusterAction {
  switch (i.move) {
    case 'pullImage':
    case 'createContainer':
    case 'startContainer':
    case 'restartContainer':
      return { kind: i.move, node, pod: i.pod, container: i.container ?? '' };
    case 'syncPodStatus':
    case 'killPod':
      return { kind: i.move, node, pod: i.pod };
  }
}

function imageOf(pod: Pod | undefined, container: string | undefined): string {
  return pod?.spec.containers.find((c) => c.name === container)?.image ?? 'its image';
}

/** A move's button text: the same whether the move can be made now or is still waiting. */
function labelOf(pod: Pod | undefined, move: KubeletIntent['move'], podName: string, container: string | undefined): string {
  const c = container ?? '';
  switch (move) {
    case 'pullImage':
      return `Pull ${imageOf(pod, container)}`;
    case 'createContainer':
      return `Create container ${c}`;
    case 'startContainer':
      return `Start container ${c}`;
    case 'restartContainer':
      return `Restart container ${c}`;
    case 'syncPodStatus':
      return `Report ${podName} status`;
    case 'killPod':
      return `Stop ${podName}`;
  }
}

function describe(state: ClusterState, node: string, i: KubeletIntent): { label: string; why: string } {
  const pod = state.podsOn(node).find((p) => p.metadata.name === i.pod);
  const c = i.container ?? '';
  const image = imageOf(pod, i.container);
  const label = labelOf(pod, i.move, i.pod, i.container);
  switch (i.move) {
    case 'pullImage':
      return { label, why: `${image} is not on ${node} yet: ask the runtime to pull it (PullImage)` };
    case 'createContainer':
      return { label, why: `${image} is on ${node}: ask the runtime to create container ${c} of ${i.pod} (CreateContainer)` };
    case 'startContainer':
      return { label, why: `container ${c} of ${i.pod} is created: ask the runtime to start it (StartContainer)` };
    case 'restartContainer':
      if (i.calls.some((c) => c.call === 'StopContainer')) return { label, why: i.notes.join('; ') };
      return { label, why: `${i.notes.join('; ')}: the back-off has passed, so create it again (restartPolicy ${pod?.spec.restartPolicy ?? 'Always'})` };
    case 'syncPodStatus':
      return { label: i.label ?? label, why: i.why };
    case 'killPod':
      return { label, why: i.why };
  }
}

/**
 * What the moves are asked for: all of them (a screen), or enough to find the first (a bot's next
 * move) or the one `action` names (a sent action); the moves listed are then the full list's first ones.
 */
export interface KubeletScope {
  firstProgress?: boolean;
  action?: ClusterAction;
}

/** A plan's stopping point for the scope: the intent that is (or makes) the move asked for. */
function enoughFor(scope: KubeletScope): ((i: KubeletIntent) => boolean) | undefined {
  const action = scope.action;
  if (action) {
    const a = action as Partial<Record<'pod' | 'container', string>>;
    return (i) => i.move === action.kind && i.pod === a.pod && (i.container ?? '') === (a.container ?? '');
  }
  return scope.firstProgress ? () => true : undefined;
}

export function kubeletMoves(state: ClusterState, node: string, now: SimTime, scope: KubeletScope = {}): PlannedMoves {
  if (!state.node(node)) return { moves: [], waiting: [] };
  if (kubeletStopped(state, node)) return { moves: [], waiting: [{ kind: 'syncPodStatus', node, label: 'Kubelet stopped', reason: stoppedMessage(node) }] };
  const plan = planKubelet(state, node, now, enoughFor(scope));
  const rt = state.runtime(node);
  const seen = new Set<string>();
  const moves: PlannedMove[] = [];
  for (const i of plan.intents) {
    const action = actionOf(node, i);
    const key = `${i.move}/${i.pod}/${i.container ?? ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    moves.push({ action, ...describe(state, node, i), progress: true, plan: () => intentSteps(rt, [i], now) });
  }
  const waiting: WaitingMove[] = plan.waits.map((w) => ({
    kind: w.move,
    node,
    pod: w.pod,
    ...(w.container === undefined ? {} : { container: w.container }),
    // The label its button will have once the move can be made, so the student knows which button to wait for.
    label: labelOf(state.podsOn(node).find((p) => p.metadata.name === w.pod), w.move, w.pod, w.container),
    reason: w.reason,
    ...(w.until === undefined ? {} : { until: w.until }),
  }));
  if (manualHeartbeat(state, node)) {
    const renew = renewLease(state, node, now);
    const nodeObject = state.node(node);
    if (renew.some(isApiRequest) && nodeObject) {
      const steps = [...renew, ...postNodeStatus(nodeObject, now)];
      moves.unshift({ action: { kind: 'renewLease', node }, label: 'Renew lease', why: `${node} renews its Lease in kube-node-lease: the heartbeat that keeps it Ready`, progress: true, plan: () => steps });
    } else {
      const renewed = state.nodeLease(node)?.spec.renewTime;
      const at = (renewed ? fromRFC3339(renewed) : now) + NODE_LEASE_RENEW_SECONDS * 1000;
      waiting.unshift({ kind: 'renewLease', node, label: 'Renew lease', reason: `renewed less than ${NODE_LEASE_RENEW_SECONDS}s ago: next renewal in about ${secondsUntil(at, now)} s`, until: at });
    }
  }
  return { moves, waiting };
}
