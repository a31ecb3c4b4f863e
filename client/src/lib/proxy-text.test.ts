import { describe, expect, it } from 'vitest';
import { errorRateText, staleRulesBadge } from './proxy-text';

describe('staleRulesBadge', () => {
  it('says rules are syncing only while the class runs: a paused class (a won round freezes it) syncs nothing', () => {
    expect(staleRulesBadge('node-1', ['default/web'], false, false)).toEqual({ text: 'rules syncing: 1', tone: 'warn', title: 'Rules on node-1 that no longer match the Endpoints: default/web' });
    expect(staleRulesBadge('node-1', ['default/web'], false, true)).toEqual({
      text: 'rules to sync: 1',
      tone: '',
      title: 'Rules on node-1 that no longer match the Endpoints: default/web. The class stands still: kube-proxy syncs them when it runs again.',
    });
  });

  it('calls a stopped kube-proxy’s rules stale, paused or not, and shows nothing when every rule matches', () => {
    expect(staleRulesBadge('node-2', ['default/web', 'default/api'], true, true)?.text).toBe('stale rules: 2');
    expect(staleRulesBadge('node-2', [], false, false)).toBeNull();
  });
});

describe('errorRateText', () => {
  it('tells the share with what it counts: every request routed from the node so far (the rolling update routes from its start, before any pod)', () => {
    expect(errorRateText('node-1', 250, 230)).toEqual({ rate: '92% refused or failed', detail: '230 of the 250 requests routed from node-1 so far' });
  });

  it('says no requests yet before the first', () => {
    expect(errorRateText('node-1', 0, 0)).toEqual({ rate: 'no requests yet', detail: '' });
  });
});
