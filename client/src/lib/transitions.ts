import { crossfade, scale } from 'svelte/transition';
import { cubicOut } from 'svelte/easing';

/** Pods fly from the scheduling queue to their node (and between nodes) on the cluster map. */
export const [sendPod, receivePod] = crossfade({ duration: 450, easing: cubicOut, fallback: (node) => scale(node, { start: 0.6, duration: 250 }) });
