import { compareResourceVersions, type Role } from '@shared/protocol';
import { roleMoves, type Move, type RoleMoves } from '@shared/sim';
import { classroom } from './classroom.svelte';
import { cluster } from './cluster.svelte';
import { connection } from './connection.svelte';

/**
 * What this tab's role can do now, straight from the rulebook the API server checks with
 * (`roleMoves` in shared/sim): the buttons are its moves, the first progress move highlighted.
 * After a move is sent the buttons wait for its answer and for the watch to bring what it wrote,
 * so a student never clicks twice on a picture that is already out of date.
 */
class MovesStore {
  /** A move is on its way to the API server. */
  sending = $state(false);
  /** The resourceVersion an accepted move wrote, until the watch has brought it. */
  #awaiting = $state<string | null>(null);

  settled = $derived(!this.sending && (this.#awaiting === null || compareResourceVersions(cluster.state.resourceVersion, this.#awaiting) >= 0));

  of(role: Role): RoleMoves {
    return roleMoves(role, cluster.sim, classroom.simNow);
  }

  async make(move: Move): Promise<boolean> {
    if (!this.settled) return false;
    this.sending = true;
    try {
      const ack = await connection.act(move.action, move.label);
      this.#awaiting = ack.ok && 'resourceVersion' in ack && typeof ack.resourceVersion === 'string' ? ack.resourceVersion : null;
      return ack.ok;
    } finally {
      this.sending = false;
    }
  }
}

export const moves = new MovesStore();
