import { crossfade, scale } from 'svelte/transition';
import { cubicOut } from 'svelte/easing';

/**
 * Svelte runs its transitions as Web Animations, which the stylesheet's reduced-motion rule does not reach,
 * so each transition asks the media query itself, when it starts (the setting can change while the page is open).
 */
export function prefersReducedMotion(): boolean {
  return typeof matchMedia === 'function' && matchMedia('(prefers-reduced-motion: reduce)').matches;
}

/** Pods fly from the scheduling queue to their node (and between nodes) on the cluster map. */
export const [sendPod, receivePod] = crossfade({
  duration: () => (prefersReducedMotion() ? 0 : 450),
  easing: cubicOut,
  fallback: (node) => scale(node, { start: 0.6, duration: prefersReducedMotion() ? 0 : 250 }),
});

/** How long a pod's slide to its new place in a list takes. */
export function podFlipMs(): number {
  return prefersReducedMotion() ? 0 : 300;
}
