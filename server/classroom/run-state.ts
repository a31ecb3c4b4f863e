import { simNow, type ClassroomPhase, type SimClock } from '@shared/protocol';

/** The classroom's phase and simulated clock, changed together so they never disagree. */
export interface RunState {
  phase: ClassroomPhase;
  clock: SimClock;
}

export type RunCommand =
  | { kind: 'start' }
  | { kind: 'pause' }
  | { kind: 'resume' }
  | { kind: 'setTimeScale'; timeScale: number }
  | { kind: 'close' };

/**
 * The lobby: the clock stands still until the instructor starts the class. It stands at the moment the
 * classroom was made (to the second), so timestamps read as dates of today. (kubectl, which computes
 * some ages itself against its own clock, is served them moved onto real time: kube-api/served-time.ts.)
 */
export function lobbyRunState(wallNow: number): RunState {
  return { phase: 'lobby', clock: { simAtWall: Math.floor(wallNow / 1000) * 1000, wall: wallNow, timeScale: 1, paused: true } };
}

/** The simulated time a classroom created at `createdAt` (wall ms) began at: where its lobby clock started. */
export const simTimeAtCreation = (createdAt: number): number => lobbyRunState(createdAt).clock.simAtWall;

/** Re-anchors the clock at `wallNow` so a later change (pause, new scale) never moves the past. */
function anchored(clock: SimClock, wallNow: number, changes: Partial<SimClock>): SimClock {
  return { ...clock, simAtWall: simNow(clock, wallNow), wall: wallNow, ...changes };
}

/** The next run state, or why the command makes no sense now. */
export function applyRunCommand(run: RunState, command: RunCommand, wallNow: number): RunState | { refused: string } {
  if (run.phase === 'closed') return { refused: 'the classroom is closed' };
  switch (command.kind) {
    case 'start':
      if (run.phase !== 'lobby') return { refused: `the class has already started (it is ${run.phase})` };
      return { phase: 'running', clock: anchored(run.clock, wallNow, { paused: false }) };
    case 'pause':
      if (run.phase !== 'running') return { refused: `only a running class can be paused (it is ${run.phase})` };
      return { phase: 'paused', clock: anchored(run.clock, wallNow, { paused: true }) };
    case 'resume':
      if (run.phase !== 'paused') return { refused: `only a paused class can be resumed (it is ${run.phase})` };
      return { phase: 'running', clock: anchored(run.clock, wallNow, { paused: false }) };
    case 'setTimeScale':
      return { phase: run.phase, clock: anchored(run.clock, wallNow, { timeScale: command.timeScale }) };
    case 'close':
      return { phase: 'closed', clock: anchored(run.clock, wallNow, { paused: true }) };
  }
}
