import type { RoundPhase } from '@shared/protocol';
import type { WaitingMove } from '@shared/sim';

/**
 * What the moves panel says when no button can be clicked. A role still waiting on another
 * component (the kubelet on its runtime) has work ahead: saying "everything is as its objects
 * ask" there told a kubelet student their pod was done while it was still ContainerCreating.
 * Nothing once the round is over: "The round is over: moves wait for the next round." says it all.
 */
export function idleText(waiting: readonly WaitingMove[], round?: RoundPhase): string | null {
  if (round === 'won' || round === 'lost') return null;
  const first = waiting[0];
  if (!first) return 'Nothing to do right now: everything you look after is as its objects ask.';
  return `Nothing to click yet: "${first.label}" comes next (${first.reason}).`;
}
