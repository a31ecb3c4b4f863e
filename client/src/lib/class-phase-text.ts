import type { ClassroomPhase, RoundView } from '@shared/protocol';
import { PHASE_TEXT } from './round-clock';

export const CLASS_PHASE_TEXT: Readonly<Record<ClassroomPhase, string>> = { lobby: 'In the lobby', running: 'Running', paused: 'Paused', closed: 'Closed' };

/**
 * What the header says the class is doing, and its badge's tone. A scenario's briefing keeps the
 * class's clock waiting (in the lobby, or paused after an earlier round), so the round says what is
 * happening, by its name; a round that ended stops the clock, and "Paused" beside "Won" would read
 * as the instructor's pause: the header then says what the round card says ("Won", "Time is up").
 */
export function classPhase(phase: ClassroomPhase, round: Pick<RoundView, 'phase' | 'title'> | null): { text: string; tone: '' | 'ok' | 'warn' } {
  if (round?.phase === 'briefing') return { text: `Briefing: ${round.title}`, tone: '' };
  if (phase === 'paused' && (round?.phase === 'won' || round?.phase === 'lost')) return { text: PHASE_TEXT[round.phase], tone: '' };
  return { text: CLASS_PHASE_TEXT[phase], tone: phase === 'running' ? 'ok' : phase === 'paused' ? 'warn' : '' };
}
