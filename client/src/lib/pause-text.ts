import type { RoundPhase } from '@shared/protocol';

/**
 * Why a paused class stands still, as a student reads it. The server pauses the class itself when
 * a round ends (its timers and bots freeze under the debrief): that is no instructor's doing.
 */
export function pausedText(round: RoundPhase | undefined): { status: string; moves: string } {
  if (round === 'won' || round === 'lost') {
    const outcome = round === 'won' ? 'The round is won: every goal was met.' : 'The round is lost: time ran out before every goal was met.';
    return { status: `${outcome} The cluster stands still while the class reads the debrief, until the instructor starts the next round.`, moves: 'The round is over: moves wait for the next round.' };
  }
  return { status: 'The instructor paused the class: time stands still.', moves: 'Paused: moves wait until the instructor resumes.' };
}
