import { describe, expect, it } from 'vitest';
import { highlightedMove, idleText } from './moves-text';

describe('idleText', () => {
  it('says the work is done only when nothing waits either', () => {
    expect(idleText([])).toBe('Nothing to do right now: everything you look after is as its objects ask.');
  });

  it('names the move that comes next and why it waits, when a move waits on another component', () => {
    expect(idleText([{ kind: 'startContainer', node: 'node-1', pod: 'web-1', container: 'web', label: 'Start container web', reason: 'waiting for the container runtime to take the StartContainer web call' }])).toBe(
      'Nothing to click yet: "Start container web" comes next (waiting for the container runtime to take the StartContainer web call).',
    );
  });

  it('says nothing once the round is won or lost: the round-over note stands alone', () => {
    expect(idleText([], 'won')).toBeNull();
    expect(idleText([], 'lost')).toBeNull();
    expect(idleText([], 'paused')).toBe('Nothing to do right now: everything you look after is as its objects ask.');
  });
});

describe('highlightedMove', () => {
  it('[etcd read-only] highlights no move while etcd takes no writes: the API server must refuse each with 503', () => {
    expect(highlightedMove(['Sync deployment web', 'Update status of web-1'], true)).toBeUndefined();
  });

  it('highlights the first move that makes progress while etcd takes writes, and none when there is none', () => {
    expect(highlightedMove(['Sync deployment web', 'Update status of web-1'], false)).toBe('Sync deployment web');
    expect(highlightedMove([], false)).toBeUndefined();
  });
});
