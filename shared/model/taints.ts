/** Taints and tolerations (core/v1 helper ToleratesTaint, FindMatchingUntoleratedTaint). */
import type { Taint } from './node';
import type { Pod, TaintEffect, Toleration } from './pod';

export const TAINT_NODE_NOT_READY = 'node.kubernetes.io/not-ready';
export const TAINT_NODE_UNREACHABLE = 'node.kubernetes.io/unreachable';
export const TAINT_NODE_UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';
/** --default-not-ready-toleration-seconds / --default-unreachable-toleration-seconds */
export const DEFAULT_TOLERATION_SECONDS = 300;

/** The tolerations the DefaultTolerationSeconds admission plugin adds to every pod. */
export const DEFAULT_TOLERATIONS: readonly Toleration[] = Object.freeze([
  Object.freeze({ key: TAINT_NODE_NOT_READY, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: DEFAULT_TOLERATION_SECONDS } as const),
  Object.freeze({ key: TAINT_NODE_UNREACHABLE, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: DEFAULT_TOLERATION_SECONDS } as const),
]);

/**
 * Toleration.ToleratesTaint: the effect must match unless the toleration's is empty; the key must
 * match unless the toleration's is empty; then `Exists` matches any value and `Equal` (the default)
 * needs the same value. So empty key + Exists tolerates every taint.
 */
export function tolerates(toleration: Toleration, taint: Taint): boolean {
  if (toleration.effect && toleration.effect !== taint.effect) return false;
  if (toleration.key && toleration.key !== taint.key) return false;
  switch (toleration.operator ?? 'Equal') {
    case 'Exists':
      return true;
    case 'Equal':
      return (toleration.value ?? '') === (taint.value ?? '');
  }
}

export function toleratesTaint(tolerations: readonly Toleration[] | undefined, taint: Taint): boolean {
  return (tolerations ?? []).some((t) => tolerates(t, taint));
}

/**
 * The first taint with one of `effects` that no toleration tolerates, or undefined.
 * The scheduler's TaintToleration filter looks at NoSchedule and NoExecute (the default here).
 */
export function untoleratedTaint(
  tolerations: readonly Toleration[] | undefined,
  taints: readonly Taint[] | undefined,
  effects: readonly TaintEffect[] = ['NoSchedule', 'NoExecute'],
): Taint | undefined {
  return (taints ?? []).find((taint) => effects.includes(taint.effect) && !toleratesTaint(tolerations, taint));
}

/**
 * Adds the default not-ready/unreachable tolerations unless the pod already tolerates
 * those NoExecute taints (as the DefaultTolerationSeconds plugin does). Returns a new pod.
 */
export function withDefaultTolerations(pod: Pod): Pod {
  const existing = pod.spec.tolerations ?? [];
  const covers = (key: string): boolean =>
    existing.some((t) => (t.key === key || !t.key) && (t.effect === 'NoExecute' || !t.effect));
  const missing = DEFAULT_TOLERATIONS.filter((d) => !covers(d.key ?? ''));
  if (missing.length === 0) return pod;
  return { ...pod, spec: { ...pod.spec, tolerations: [...existing, ...missing.map((t) => ({ ...t }))] } };
}
