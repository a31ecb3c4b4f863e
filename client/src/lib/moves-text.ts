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

/** What every moves panel says while etcd takes no writes (scenario 7's fault, or the instructor's). */
export const ETCD_READ_ONLY_TEXT =
  'etcd takes no writes: the API server answers every write with 503 Service Unavailable, so no move can be stored now. Wait until etcd takes writes again, then carry on where you stopped: what the cluster was asked for is still stored.';

/**
 * The move the screen highlights: the first that makes progress, and none while etcd takes no
 * writes. Every move is a write the API server must then refuse: highlighting one led a class
 * following the highlight into a wall of 503s (a controller-manager student pressed "Sync
 * deployment web" 34 times in 30 s).
 */
export function highlightedMove<M>(progress: readonly M[], etcdReadOnly: boolean): M | undefined {
  return etcdReadOnly ? undefined : progress[0];
}
