/**
 * Strategic merge patch for the fields ClusterPlay models (k8s.io/apimachinery strategicpatch):
 * lists of containers, ports, env, volumes, conditions and addresses merge item by item on their
 * merge key (`patchMergeKey` in the API types) instead of being replaced; `$patch: delete` removes
 * an item or a map, `$patch: replace` replaces it; `$setElementOrder` and `$retainKeys` directives
 * are accepted and only ordering/retention hints, so they are dropped. Everything else merges as a
 * JSON merge patch (null removes a field).
 */
import { isPlainObject } from '../store/merge-patch';

/** The merge key of each list field that merges by key in the kinds we serve. */
const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  ports: 'containerPort',
  conditions: 'type',
  addresses: 'type',
  tolerations: 'key',
  ownerReferences: 'uid',
  imagePullSecrets: 'name',
};
/** Service ports merge on `port` (ServiceSpec.ports' patchMergeKey), container ports on `containerPort`. */
const mergeKeyOf = (field: string, items: readonly unknown[]): string | undefined =>
  field === 'ports' && items.some((i) => isPlainObject(i) && 'port' in i && !('containerPort' in i)) ? 'port' : MERGE_KEYS[field];

function mergeList(field: string, current: unknown, patch: unknown[]): unknown[] {
  const key = mergeKeyOf(field, patch);
  if (!key || !Array.isArray(current)) return patch.filter((item) => !(isPlainObject(item) && item['$patch'] === 'delete'));
  const result = current.map((item: unknown) => item);
  for (const item of patch) {
    if (!isPlainObject(item)) continue;
    const index = result.findIndex((existing) => isPlainObject(existing) && existing[key] === item[key]);
    if (item['$patch'] === 'delete') {
      if (index >= 0) result.splice(index, 1);
      continue;
    }
    if (index >= 0) result[index] = applyStrategicMergePatch(result[index], item);
    else result.push(applyStrategicMergePatch(undefined, item));
  }
  return result;
}

export function applyStrategicMergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return patch;
  if (patch['$patch'] === 'replace') return stripDirectives(patch);
  if (patch['$patch'] === 'delete') return undefined;
  const result: Record<string, unknown> = isPlainObject(target) ? { ...target } : {};
  for (const [field, value] of Object.entries(patch)) {
    if (field.startsWith('$')) continue;
    if (value === null) delete result[field];
    else if (Array.isArray(value)) result[field] = mergeList(field, result[field], value);
    else {
      const merged = applyStrategicMergePatch(result[field], value);
      if (merged === undefined) delete result[field];
      else result[field] = merged;
    }
  }
  return result;
}

function stripDirectives(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([field]) => !field.startsWith('$')));
}
