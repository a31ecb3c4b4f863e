/**
 * The store hands out one decoded object to many holders: the version cache, every watcher of the
 * classroom in this process (informers, socket feeds) and the writer's answer. They must only read
 * it: a change made in place would be written back by the next write served from the cache, and
 * seen by every watcher without a watch event. With CLUSTERPLAY_CACHE_MUTATION_DETECTOR=true (the
 * test runs set it, as client-go's KUBE_CACHE_MUTATION_DETECTOR does for its informers) every shared
 * object is deep-frozen, so such a change throws where it is made. Off by default: freezing costs a
 * walk of every object.
 */
const detecting = process.env.CLUSTERPLAY_CACHE_MUTATION_DETECTOR === 'true';

function deepFreeze(value: unknown): void {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return;
  Object.freeze(value);
  for (const child of Object.values(value)) deepFreeze(child);
}

/** `object`, frozen when the detector is on: it is about to be shared. */
export function shared<T>(object: T): T {
  if (detecting) deepFreeze(object);
  return object;
}
