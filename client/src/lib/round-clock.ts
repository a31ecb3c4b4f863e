import type { RoundView } from '@shared/protocol';

/** Simulated seconds since the round started, run from the classroom's SimClock (so it stands still while paused). */
export function roundElapsedSeconds(round: RoundView, simNowMs: number): number {
  if (round.startedAtSim === null) return 0;
  const until = round.endedAtSim ?? simNowMs;
  // Never behind what the server last said (a view can arrive before the clock it was measured on),
  // never past the time limit (the server ends the round there; its word may be a moment away).
  return Math.min(round.timeLimitSeconds, Math.max(round.elapsedSeconds, Math.floor((until - round.startedAtSim) / 1000)));
}

/** `m:ss` (or `h:mm:ss`) of a number of seconds. */
export function formatClock(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

export const PHASE_TEXT: Readonly<Record<RoundView['phase'], string>> = {
  briefing: 'Briefing',
  running: 'Running',
  paused: 'Paused',
  won: 'Won',
  lost: 'Time is up',
};
