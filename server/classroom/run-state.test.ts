import { describe, expect, it } from 'vitest';
import { simNow } from '@shared/protocol';
import { applyRunCommand, lobbyRunState, type RunState } from './run-state';

function apply(run: RunState, command: Parameters<typeof applyRunCommand>[1], wallNow: number): RunState {
  const next = applyRunCommand(run, command, wallNow);
  if ('refused' in next) throw new Error(next.refused);
  return next;
}

describe('simulated clock (DESIGN Time: simNow = simAtStart + (wallNow - wallAtStart) * timeScale, frozen while paused)', () => {
  it('stands in the lobby at the second the classroom was made, and runs from there once started', () => {
    const madeAt = Date.parse('2026-12-01T09:30:05.750Z');
    const lobby = lobbyRunState(madeAt);
    expect(new Date(simNow(lobby.clock, madeAt + 600_000)).toISOString()).toBe('2026-12-01T09:30:05.000Z');
    const running = apply(lobby, { kind: 'start' }, madeAt + 600_000);
    expect(new Date(simNow(running.clock, madeAt + 603_000)).toISOString()).toBe('2026-12-01T09:30:08.000Z');
  });

  it('freezes while paused and continues from the same simulated instant on resume', () => {
    const running = apply(lobbyRunState(0), { kind: 'start' }, 0);
    const paused = apply(running, { kind: 'pause' }, 4_000);
    expect(simNow(paused.clock, 60_000)).toBe(4_000);
    const resumed = apply(paused, { kind: 'resume' }, 60_000);
    expect(simNow(resumed.clock, 61_000)).toBe(5_000);
  });

  it('a new time scale applies from now on and never rewrites the simulated past', () => {
    const running = apply(lobbyRunState(0), { kind: 'start' }, 0);
    const faster = apply(running, { kind: 'setTimeScale', timeScale: 10 }, 2_000);
    expect(simNow(faster.clock, 2_000)).toBe(2_000);
    expect(simNow(faster.clock, 3_000)).toBe(12_000);
  });

  it('refuses transitions that make no sense and anything once closed', () => {
    const lobby = lobbyRunState(0);
    expect(applyRunCommand(lobby, { kind: 'pause' }, 1)).toEqual({ refused: 'only a running class can be paused (it is lobby)' });
    expect(applyRunCommand(lobby, { kind: 'resume' }, 1)).toHaveProperty('refused');
    const running = apply(lobby, { kind: 'start' }, 0);
    expect(applyRunCommand(running, { kind: 'start' }, 1)).toHaveProperty('refused');
    const closed = apply(running, { kind: 'close' }, 5_000);
    expect(closed.clock.paused).toBe(true);
    expect(simNow(closed.clock, 9_000)).toBe(5_000);
    expect(applyRunCommand(closed, { kind: 'setTimeScale', timeScale: 2 }, 6_000)).toEqual({ refused: 'the classroom is closed' });
  });
});
