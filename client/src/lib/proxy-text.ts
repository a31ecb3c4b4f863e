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
