import { describe, expect, it } from 'vitest';
import { classPhase } from './class-phase-text';

describe("the header's class phase", () => {
  it("names the round's briefing while the class waits for it, in the lobby or paused after an earlier round", () => {
    expect(classPhase('lobby', { phase: 'briefing', title: 'First deployment' })).toEqual({ text: 'Briefing: First deployment', tone: '' });
    expect(classPhase('paused', { phase: 'briefing', title: 'A worker node dies' })).toEqual({ text: 'Briefing: A worker node dies', tone: '' });
  });

  it("says how the round ended, as the round's card does, while the class stands still under its debrief", () => {
    expect(classPhase('paused', { phase: 'won', title: 'First deployment' })).toEqual({ text: 'Won', tone: '' });
    expect(classPhase('paused', { phase: 'lost', title: 'First deployment' })).toEqual({ text: 'Time is up', tone: '' });
  });

  it("says the class's own phase otherwise", () => {
    expect(classPhase('lobby', null)).toEqual({ text: 'In the lobby', tone: '' });
    expect(classPhase('running', { phase: 'running', title: 'First deployment' })).toEqual({ text: 'Running', tone: 'ok' });
    expect(classPhase('paused', { phase: 'paused', title: 'First deployment' })).toEqual({ text: 'Paused', tone: 'warn' });
    expect(classPhase('closed', null)).toEqual({ text: 'Closed', tone: '' });
  });
});
