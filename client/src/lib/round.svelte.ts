import type { RoundView } from '@shared/protocol';
import { classroom } from './classroom.svelte';
import { roundElapsedSeconds } from './round-clock';

/** The classroom's round, as the server's `round` events say, and its clock. */
class RoundStore {
  view = $state.raw<RoundView | null>(null);

  elapsedSeconds = $derived(this.view ? roundElapsedSeconds(this.view, classroom.simNow) : 0);
  remainingSeconds = $derived(this.view ? Math.max(0, this.view.timeLimitSeconds - this.elapsedSeconds) : 0);
  ended = $derived(this.view?.phase === 'won' || this.view?.phase === 'lost');
  goalsMet = $derived(this.view?.goals.filter((g) => g.met).length ?? 0);

  clear(): void {
    this.view = null;
  }
}

export const round = new RoundStore();
