import { describe, expect, it } from 'vitest';
import { roundTimelineMarkSchema } from '@shared/protocol';
import { markWho } from './round-marks';

describe('markWho: who the round timeline names after a mark', () => {
  it('the instructor and the scenario by what made the mark, the cluster by its players, the round by none', () => {
    expect(markWho({ by: 'instructor' })).toBe('instructor');
    expect(markWho({ by: 'scenario' })).toBe('scenario');
    expect(markWho({ by: 'cluster', actor: 'Kim, bot (scheduler)' })).toBe('Kim, bot (scheduler)');
    expect(markWho({ by: 'round' })).toBeUndefined();
  });

  it('a mark sent before `by` was added reads as it did: "(scenario)" after the scenario\'s step, a player by name', () => {
    const step = roundTimelineMarkSchema.parse({ atSeconds: 20, kind: 'fault', text: 'the kubelet on node-2 is stopped', actor: 'scenario' });
    const moment = roundTimelineMarkSchema.parse({ atSeconds: 61, kind: 'fault', text: 'node-2 Ready: Unknown', actor: 'bot (controller-manager)' });
    expect([markWho(step), markWho(moment)]).toEqual(['scenario', 'bot (controller-manager)']);
  });
});
