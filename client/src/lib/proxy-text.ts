/**
 * The cluster map's badge for a node whose kube-proxy rules no longer match the Endpoints (`stale`,
 * `namespace/name` each), or null when they all match. A stopped kube-proxy leaves them stale; a
 * running one syncs them shortly; while the class stands still (paused, or a round ended before a
 * student's kube-proxy synced) nothing syncs, so the badge says they wait instead of "syncing".
 */
export function staleRulesBadge(node: string, stale: readonly string[], stopped: boolean, paused: boolean): { text: string; tone: 'bad' | 'warn' | ''; title: string } | null {
  if (!stale.length) return null;
  const title = `Rules on ${node} that no longer match the Endpoints: ${stale.join(', ')}`;
  if (stopped) return { text: `stale rules: ${stale.length}`, tone: 'bad', title };
  if (paused) return { text: `rules to sync: ${stale.length}`, tone: '', title: `${title}. The class stands still: kube-proxy syncs them when it runs again.` };
  return { text: `rules syncing: ${stale.length}`, tone: 'warn', title };
}

/**
 * kube-proxy's error rate, told as what it is: every request routed from the node so far, refused
 * or failed ones among them. Said bare ("Error rate: 92% refused or failed"), the rolling update's
 * kube-proxy student read it as now, with three pods serving: clients send requests from the round's
 * start, when no pod existed yet, and the share falls only slowly from there.
 */
export function errorRateText(node: string, routed: number, bad: number): { rate: string; detail: string } {
  if (!routed) return { rate: 'no requests yet', detail: '' };
  return { rate: `${Math.round((bad / routed) * 100)}% refused or failed`, detail: `${bad} of the ${routed} requests routed from ${node} so far` };
}
