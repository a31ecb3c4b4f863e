import type { GoalAchiever, RoundGoalView, RoundScore } from '@shared/protocol';
import { formatClock } from './round-clock';

/**
 * Who reached a goal, one entry per component in the order first named: the students by name and
 * the bots counted, so a projector line reads "kubelet (Kim, 2 bots)" rather than the raw list
 * "kubelet (bot (kubelet:node-2)), kubelet (bot (kubelet:node-3)), kubelet (Kim)".
 */
export function achieversText(achievers: readonly GoalAchiever[] | undefined): string {
  const byComponent = new Map<string, { people: string[]; bots: number }>();
  for (const a of achievers ?? []) {
    const entry = byComponent.get(a.component) ?? { people: [], bots: 0 };
    if (a.memberId === null) entry.bots += 1;
    else if (!entry.people.includes(a.name)) entry.people.push(a.name);
    byComponent.set(a.component, entry);
  }
  if (byComponent.size === 0) return 'nobody yet';
  return [...byComponent]
    .map(([component, { people, bots }]) => {
      const who = [...people, ...(bots === 0 ? [] : [bots === 1 ? (people.length ? '1 bot' : 'bot') : `${bots} bots`])];
      return `${component} (${who.join(', ')})`;
    })
    .join(', ');
}

/** A bot's score row: its member id is `bot:<role>` (a student's is their member id). */
export const isBotScore = (score: RoundScore): boolean => score.memberId.startsWith('bot:');

/**
 * The debrief's line under a goal: who reached it, or why nobody in the class did (it held when it
 * began to count, the scenario's own step or the instructor met it), or what it still waited for.
 */
export function goalWho(goal: Pick<RoundGoalView, 'met' | 'achievedBy' | 'heldFromStart' | 'metAtSeconds' | 'waitsFor' | 'metBy'>): string {
  if (goal.waitsFor !== undefined) return `never counted (waited for: ${goal.waitsFor})`;
  if (goal.met && goal.metBy === 'scenario') return "the scenario's own step made it true: nobody in the class reached it";
  if (goal.met && goal.metBy === 'instructor') return 'the instructor made it true: nobody in the class reached it';
  if (goal.heldFromStart) return goal.metAtSeconds ? `already true when it began to count at ${formatClock(goal.metAtSeconds)}: nobody had to reach it` : 'true from the start: nobody had to reach it';
  return achieversText(goal.achievedBy);
}
