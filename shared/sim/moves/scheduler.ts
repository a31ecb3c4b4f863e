/** The scheduler's moves: bind a pending pod to a node that passes every filter, preempt lower-priority pods, or record why none fits. */
import type { Pod, SimTime } from '@shared/model';
import { seededRng } from '../rng';
import { bindSteps, checkBinding, decisionSteps, schedulePod, schedulingQueue, sortedNodes } from '../scheduler/scheduler';
import type { ClusterState } from '../state';
import type { PlannedMove, PlannedMoves, WaitingMove } from './types';

/**
 * What the moves are asked for: all of them (a screen), only those of one pod, or of one pod and
 * node (checking a sent action), or only up to the first move that makes progress (a bot's next
 * move). Each pod's moves depend on that pod alone, so a narrower question gets the same answers.
 */
export interface SchedulerScope {
  pod?: string;
  /** The namespace of `pod` (default). */
  namespace?: string;
  node?: string;
  firstProgress?: boolean;
}

function queueOf(state: ClusterState, { pod, namespace = 'default' }: SchedulerScope): readonly Pod[] {
  if (pod === undefined) return schedulingQueue(state);
  const key = `${namespace}/${pod}`;
  const found = state.pod(key);
  return found && state.pendingPods.has(key) ? [found] : [];
}

export function schedulerMoves(state: ClusterState, now: SimTime, scope: SchedulerScope = {}): PlannedMoves {
  const moves: PlannedMove[] = [];
  const waiting: WaitingMove[] = [];
  const nodes = sortedNodes(state);
  for (const pod of queueOf(state, scope)) {
    if (scope.firstProgress && moves.some((m) => m.progress)) break;
    const name = pod.metadata.name;
    const resourceVersion = pod.metadata.resourceVersion ?? '';
    // The scheduler's own pick goes first; ties are broken by a fixed seed so every screen agrees.
    const best = schedulePod(state, pod, nodes, seededRng(0));
    if (!best.node) {
      const message = best.message ?? '';
      waiting.push({ kind: 'bind', pod: name, label: `Bind ${name}`, reason: message });
      const preemption = best.preemption;
      if (preemption?.kind === 'candidate') {
        const { node, victims } = preemption.candidate;
        const names = victims.map((v) => `${v.metadata.name} (priority ${v.spec.priority ?? 0})`).join(', ');
        moves.push({
          action: { kind: 'preempt', pod: name, node, resourceVersion },
          label: `Preempt on ${node} for ${name}`,
          why: `no node fits ${name} (priority ${pod.spec.priority ?? 0}), but evicting ${names} on ${node} makes room: the fewest, least important victims; ${name} is nominated to ${node}`,
          progress: true,
          plan: (rng) => decisionSteps(pod, best, now, rng),
        });
        continue;
      }
      if (decisionSteps(pod, best, now, seededRng(0)).length > 0) {
        moves.push({
          action: { kind: 'markUnschedulable', pod: name, resourceVersion },
          label: `Mark ${name} Unschedulable`,
          why: `no node fits ${name}: record PodScheduled=False and a FailedScheduling event (${message})`,
          progress: true,
          plan: (rng) => decisionSteps(pod, best, now, rng),
        });
      }
      continue;
    }
    const first = best.node.metadata.name;
    const candidates = scope.firstProgress ? [first] : [first, ...nodes.map((n) => n.metadata.name).filter((n) => n !== first)];
    for (const node of scope.node === undefined ? candidates : candidates.filter((n) => n === scope.node)) {
      const check = checkBinding(state, pod, node);
      if (!check.ok) continue;
      const why = node === first ? best.explanation : `${check.explanation} (the scheduler's own pick would be ${first})`;
      moves.push({
        action: { kind: 'bind', pod: name, node, resourceVersion },
        label: `Bind ${name} to ${node}`,
        why,
        // Only the scheduler's pick moves the class on; other fitting nodes are legal, not advised.
        progress: node === first,
        plan: (rng) => bindSteps(pod, node, why, now, rng),
      });
    }
  }
  return { moves, waiting };
}
