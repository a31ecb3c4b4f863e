/**
 * get and list, answered from the classroom's informer cache (the loops' own copy, current with
 * every write this process made), as a real API server answers most reads from its watch cache.
 */
import { notFound, objectKey, type KubeObject } from '@shared/model';
import type { ClusterState } from '@shared/sim';
import { ApiError } from '../store';
import { groupVersion, type ServedResource } from './resources';
import type { Match } from './selectors';

const byKey = (a: KubeObject, b: KubeObject): number => {
  const ka = objectKey(a);
  const kb = objectKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
};

export function listObjects(state: ClusterState, resource: ServedResource, namespace: string | undefined, match: Match): KubeObject[] {
  return [...state.list(resource.kind)].filter((o) => (namespace === undefined || o.metadata.namespace === namespace) && match(o)).sort(byKey);
}

export function getObject(state: ClusterState, resource: ServedResource, namespace: string | undefined, name: string): KubeObject {
  const object = state.get(resource.kind, resource.namespaced ? `${namespace ?? 'default'}/${name}` : name);
  if (!object) throw new ApiError(notFound(resource.kind, name));
  return object;
}

/** `PodList`, `DeploymentList`: the objects and the version they were read at. */
export function listOf(resource: ServedResource, items: readonly KubeObject[], resourceVersion: string): object {
  return { kind: `${resource.kind}List`, apiVersion: groupVersion(resource.group), metadata: { resourceVersion }, items };
}
