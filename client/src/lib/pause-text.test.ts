import { describe, expect, it } from 'vitest';
import { pausedText } from './pause-text';

describe('why the class stands still', () => {
  it('after a round ends the server paused it: the text says the round ended, how, and what comes next', () => {
    expect(pausedText('won')).toEqual({
      status: 'The round is won: every goal was met. The cluster stands still while the class reads the debrief, until the instructor starts the next round.',
      moves: 'The round is over: moves wait for the next round.',
    });
    expect(pausedText('lost').status).toBe('The round is lost: time ran out before every goal was met. The cluster stands still while the class reads the debrief, until the instructor starts the next round.');
  });

  it('during a round or with none, a pause is the instructor’s', () => {
    for (const phase of ['paused', 'running', undefined] as const) {
      expect(pausedText(phase)).toEqual({ status: 'The instructor paused the class: time stands still.', moves: 'Paused: moves wait until the instructor resumes.' });
    }
  });
});
