/**
 * Redis keys of the API server's storage. Every key of a classroom carries `{<classroom>}` as a
 * hash tag, so a Redis Cluster keeps the classroom (and each Lua script touching its keys) on one shard.
 */
import type { Kind } from '@shared/model';

export interface StoreKeys {
  /** hash: `<namespace>/<name>` (or `<name>` when cluster-scoped) -> object JSON */
  objects(kind: Kind): string;
  /** counter: the classroom's last resourceVersion */
  rv: string;
  /** stream: one entry per committed change, entry id `<resourceVersion>-0` */
  log: string;
  /** stream: the API request log (accepted and refused requests), capped */
  requests: string;
  /**
   * stream: the rest of the session record beside the change log (requests, room changes, round
   * markers), entry id `<resourceVersion>-<n>` (n >= 1): after change N, before change N+1.
   */
  record: string;
  /** hash: ClusterIP -> `<namespace>/<name>` of the Service holding it (the service range's allocations) */
  clusterIPs: string;
  /** shard channel (Redis Cluster only): each commit's resourceVersion, for the watchers of the classroom */
  logNotify: string;
}

export function storeKeys(prefix: string, classroom: string): StoreKeys {
  const base = `${prefix}:{${classroom}}`;
  return {
    objects: (kind) => `${base}:objects:${kind}`,
    rv: `${base}:rv`,
    log: `${base}:log`,
    requests: `${base}:requests`,
    record: `${base}:record`,
    clusterIPs: `${base}:cluster-ips`,
    logNotify: `${base}:log-notify`,
  };
}
