/** The container runtime's moves: take each pending CRI call its kubelet sent. Time finishes them. */
import { fromRFC3339, type CriCall, type SimTime } from '@shared/model';
import { kubeletStopped, stoppedMessage } from '../faults';
import { answerCri, callSeconds } from '../runtime/runtime';
import type { ClusterState } from '../state';
import { secondsUntil, type PlannedMove, type PlannedMoves, type WaitingMove } from './types';

export function describeCall(call: CriCall): string {
  return call.call === 'PullImage' ? `PullImage ${call.image ?? ''}` : `${call.call} ${call.pod ?? ''}/${call.container ?? ''}`;
}

/**
 * What the moves are asked for: all (a screen), the first (a bot's next move), or the one of the
 * call `callId` names (a sent action). Each call's answer is worked out on its own, so a narrower
 * question lists the full list's moves it is about, in the same order, and works out no other answer.
 */
export interface RuntimeScope {
  firstProgress?: boolean;
  callId?: string;
}

export function runtimeMoves(state: ClusterState, node: string, now: SimTime, scope: RuntimeScope = {}): PlannedMoves {
  const rt = state.runtime(node);
  if (!rt) return { moves: [], waiting: [] };
  if (kubeletStopped(state, node)) return { moves: [], waiting: [{ kind: 'answerCri', node, label: 'Runtime stopped', reason: stoppedMessage(node) }] };
  const moves: PlannedMove[] = [];
  const waiting: WaitingMove[] = [];
  for (const call of rt.status.calls) {
    if (scope.callId !== undefined && call.id !== scope.callId) continue;
    const what = describeCall(call);
    if (call.status === 'pending') {
      const answer = answerCri(state, node, call.id, now);
      if (!answer.ok) continue;
      moves.push({
        action: { kind: 'answerCri', node, callId: call.id },
        label: `Run ${what}`,
        why: `the kubelet asked for ${what}: take the call (it takes ${callSeconds(rt.status, call)} s)`,
        progress: true,
        plan: () => answer.steps,
      });
      if (scope.firstProgress) break;
    } else if (call.status === 'running') {
      const due = call.dueAt === undefined ? undefined : fromRFC3339(call.dueAt);
      waiting.push({
        kind: 'answerCri',
        node,
        callId: call.id,
        label: `Run ${what}`,
        reason: due === undefined ? `${what} is running` : `${what} is running: done in about ${secondsUntil(due, now)} s`,
        ...(due === undefined ? {} : { until: due }),
      });
    }
  }
  return { moves, waiting };
}
