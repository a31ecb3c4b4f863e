import { describe, expect, it } from 'vitest';
import type { GroupView, RoundView } from '@shared/protocol';
import { splitSummary } from './groups-text';

const group = (name: string, phase: RoundView['phase'] | null): GroupView => ({
  id: name,
  name,
  members: [],
  nodes: [],
  round: phase === null ? null : ({ phase } as RoundView),
});

describe('splitSummary', () => {
  it('says how many groups and their state in one word when they agree', () => {
    expect(splitSummary([group('Group A', 'running'), group('Group B', 'running')])).toBe('Split into 2 groups · Running');
    expect(splitSummary([group('Group A', 'briefing'), group('Group B', 'briefing'), group('Group C', 'briefing')])).toBe('Split into 3 groups · Briefing');
  });
  it('names each group by its letter when they differ', () => {
    expect(splitSummary([group('Group A', 'won'), group('Group B', 'running'), group('Group C', null)])).toBe('Split into 3 groups · A Won, B Running, C No round');
  });
});
