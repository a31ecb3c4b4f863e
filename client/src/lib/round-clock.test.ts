import { describe, expect, it } from 'vitest';
import type { RoundView } from '@shared/protocol';
import { formatClock, roundElapsedSeconds } from './round-clock';

const round = (over: Partial<RoundView>): RoundView => ({
  scenario: 'first-deployment',
  title: 'First deployment',
  objective: '',
  briefing: '',
  phase: 'running',
  seed: 1,
  goals: [],
  startedAt: null,
  startedAtSim: 10_000,
  elapsedSeconds: 0,
  timeLimitSeconds: 300,
  scores: [],
  teams: [],
  activity: [],
  timeline: [],
  ...over,
});

describe('the round clock', () => {
  it('counts simulated seconds from startedAtSim on the classroom clock', () => {
    expect(roundElapsedSeconds(round({}), 10_000)).toBe(0);
    expect(roundElapsedSeconds(round({}), 75_999)).toBe(65);
  });

  it('stops at endedAtSim once the round is over, and reads 0 during the briefing', () => {
    expect(roundElapsedSeconds(round({ phase: 'won', endedAtSim: 40_000, elapsedSeconds: 30 }), 900_000)).toBe(30);
    expect(roundElapsedSeconds(round({ phase: 'briefing', startedAtSim: null }), 900_000)).toBe(0);
  });

  it('is never behind what the server last measured, nor past the time limit', () => {
    expect(roundElapsedSeconds(round({ elapsedSeconds: 42 }), 20_000)).toBe(42);
    expect(roundElapsedSeconds(round({}), 10_000 + 301_000)).toBe(300);
  });

  it('reads m:ss, and h:mm:ss from an hour on', () => {
    expect([formatClock(0), formatClock(9.7), formatClock(65), formatClock(600), formatClock(3725), formatClock(-3)]).toEqual(['0:00', '0:09', '1:05', '10:00', '1:02:05', '0:00']);
  });
});
