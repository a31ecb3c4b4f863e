import type { RoundMarkKind, RoundTimelineMark } from '@shared/protocol';

/** How a timeline mark's kind is named on screen (legend, list). */
export const MARK_TEXT: Readonly<Record<RoundMarkKind, string>> = { phase: 'Round', step: 'Step', fault: 'Fault', refusal: 'Refused', goal: 'Goal' };

/** Who a mark names after its text: the instructor or the scenario by what made it, the cluster's marks by the players' names (none for the round's own). */
export function markWho(mark: Pick<RoundTimelineMark, 'by' | 'actor'>): string | undefined {
  return mark.by === 'instructor' || mark.by === 'scenario' ? mark.by : mark.actor;
}
