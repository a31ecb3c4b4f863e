/**
 * Which component just acted, for the map's flash: a counter per component id bumps on each
 * act, and the map restarts a CSS animation when it changes (no timers to clean up).
 * Ids: `api-server`, `etcd`, and the role names (`scheduler`, `kubelet:node-1`, …).
 */
class Activity {
  counts = $state<Record<string, number>>({});

  note(component: string): void {
    this.counts[component] = (this.counts[component] ?? 0) + 1;
  }
}

export const activity = new Activity();
