/** intstr helpers for maxSurge / maxUnavailable. */
import type { IntOrString } from './schemas-common';

/**
 * intstr.GetScaledValueFromIntOrPercent: an integer is returned as is; `"25%"` of `total`
 * is rounded up (maxSurge) or down (maxUnavailable). Exact: no floating-point percentages.
 */
export function scaledValueFromIntOrPercent(value: IntOrString, total: number, roundUp: boolean): number {
  if (typeof value === 'number') return value;
  const match = /^([0-9]+)%$/.exec(value);
  if (match === null) throw new RangeError(`invalid value for IntOrString: invalid value ${JSON.stringify(value)}`);
  const product = Number(match[1]) * total;
  return roundUp ? Math.ceil(product / 100) : Math.floor(product / 100);
}

/**
 * deploymentutil.ResolveFenceposts: maxSurge rounded up, maxUnavailable rounded down,
 * and maxUnavailable becomes 1 when both are 0.
 */
export function resolveFenceposts(
  maxSurge: IntOrString | undefined,
  maxUnavailable: IntOrString | undefined,
  desired: number,
): { maxSurge: number; maxUnavailable: number } {
  const surge = scaledValueFromIntOrPercent(maxSurge ?? '25%', desired, true);
  const unavailable = scaledValueFromIntOrPercent(maxUnavailable ?? '25%', desired, false);
  return surge === 0 && unavailable === 0 ? { maxSurge: 0, maxUnavailable: 1 } : { maxSurge: surge, maxUnavailable: unavailable };
}
