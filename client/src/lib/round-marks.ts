import type { RoundMarkKind } from '@shared/protocol';

/** How a timeline mark's kind is named on screen (legend, list). */
export const MARK_TEXT: Readonly<Record<RoundMarkKind, string>> = { phase: 'Round', step: 'Step', fault: 'Fault', refusal: 'Refused', goal: 'Goal' };
