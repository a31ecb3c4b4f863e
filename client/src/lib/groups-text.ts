import type { GroupView } from '@shared/protocol';
import { PHASE_TEXT } from './round-clock';

/** A group's round state in words: its phase, or that no round was picked. */
export const groupPhaseText = (group: GroupView): string => (group.round ? PHASE_TEXT[group.round.phase] : 'No round');

/**
 * What the class header says while the class is split: how many groups, and their state (one word
 * when they all agree, else each group's, by its letter).
 */
export function splitSummary(groups: readonly GroupView[]): string {
  const phases = groups.map(groupPhaseText);
  const state = new Set(phases).size === 1 ? phases[0] : groups.map((g, i) => `${g.name.replace(/^Group /, '')} ${phases[i]}`).join(', ');
  return `Split into ${groups.length} groups · ${state}`;
}
