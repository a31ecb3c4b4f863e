/**
 * The store writes the rulebook's objects without validating them again (they are built from
 * validated state and from actions checked at the boundary; see server/store/object-store.ts
 * `apply`): validation must accept each one and change nothing in it. Tests pass the requests the
 * rulebook made; the answer lists what validation would refuse or change (empty when none).
 */
import { validateObject } from '../../model';
import type { ApiRequest } from '../requests';

export function revalidated(requests: readonly ApiRequest[]): string[] {
  return requests.flatMap((request) => {
    if (!('object' in request)) return [];
    const checked = validateObject(request.object);
    if (!checked.ok) return [`${request.verb} ${request.kind} ${request.name}: ${checked.message}`];
    // Key order and undefined fields aside, the same JSON.
    return sameJson(checked.object, request.object) ? [] : [`${request.verb} ${request.kind} ${request.name}: validation changes it`];
  });
}

const sameJson = (a: unknown, b: unknown): boolean => JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)).map(([k, v]) => [k, sortKeys(v)]));
}
