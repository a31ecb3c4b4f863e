/**
 * The write table of every kind: what `.status` is to the API server. One table for the
 * deterministic harness (shared/sim/api-server.ts) and the Redis store, so both write alike.
 */
import type { Kind } from '@shared/model';

/**
 * - `subresource`: `update` keeps the stored status and `updateStatus` writes only the status
 *   (the core/v1 and apps/v1 kinds that have one).
 * - `whole`: the status is an ordinary field that `update` writes with the rest, and there is no
 *   `updateStatus` (ClusterPlay's node-local kinds of clusterplay.dev/v1alpha1, as a
 *   CustomResourceDefinition without `subresources.status`): one request, one version.
 * - `none`: the kind has no status.
 */
export type StatusRule = 'subresource' | 'whole' | 'none';

export const STATUS_RULE = {
  Node: 'subresource',
  Pod: 'subresource',
  Deployment: 'subresource',
  ReplicaSet: 'subresource',
  Service: 'subresource',
  Endpoints: 'none',
  Event: 'none',
  Lease: 'none',
  PriorityClass: 'none',
  ContainerRuntime: 'whole',
  ProxyTable: 'whole',
} as const satisfies Record<Kind, StatusRule>;

export function hasStatusSubresource(kind: Kind): boolean {
  return STATUS_RULE[kind] === 'subresource';
}
