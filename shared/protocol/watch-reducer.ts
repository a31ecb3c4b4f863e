/**
 * A watcher's view of the cluster: a snapshot, then the watch events after it, applied in order.
 * Clients and the server's tests use this one reducer, so "every client sees what the store holds"
 * can be checked by comparing states. Pure and immutable: a new state per batch, unchanged kinds
 * shared with the previous state (cheap for Svelte's `$state.raw`).
 */
import { objectKey, type Kind, type KubeObject, type ObjectOfKind } from '../model';
import type { Snapshot, WatchEvent } from './events';

/** Objects of one kind, keyed as Kubernetes' cache keys them: `namespace/name`, or `name`. */
export type ObjectsByKey = ReadonlyMap<string, KubeObject>;

export interface ClusterState {
  /** The classroom's resourceVersion this state reflects ("0" before any snapshot). */
  readonly resourceVersion: string;
  /** kind -> key -> object. */
  readonly kinds: ReadonlyMap<string, ObjectsByKey>;
}

export const EMPTY_CLUSTER_STATE: ClusterState = Object.freeze({ resourceVersion: '0', kinds: new Map() });

/** resourceVersions are decimal strings that grow without bound: compare them as integers. */
export function compareResourceVersions(a: string, b: string): -1 | 0 | 1 {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** A fresh state from a (re)list: whatever was held before is dropped, as an informer's Replace does. */
export function applySnapshot(snapshot: Snapshot): ClusterState {
  const kinds = new Map<string, Map<string, KubeObject>>();
  for (const object of snapshot.objects) {
    let objects = kinds.get(object.kind);
    if (!objects) kinds.set(object.kind, (objects = new Map()));
    objects.set(objectKey(object), object);
  }
  return { resourceVersion: snapshot.resourceVersion, kinds };
}

/**
 * Applies a batch of watch events in order. An event at or below the state's resourceVersion was
 * already seen (a resync overlapping a live batch, a duplicate after reconnect) and is skipped.
 * Returns the same state object when nothing applied.
 */
export function applyWatchEvents(state: ClusterState, events: readonly WatchEvent[]): ClusterState {
  let resourceVersion = state.resourceVersion;
  let kinds: Map<string, ObjectsByKey> | null = null;
  const copied = new Set<string>();
  for (const event of events) {
    if (compareResourceVersions(event.resourceVersion, resourceVersion) <= 0) continue;
    resourceVersion = event.resourceVersion;
    kinds ??= new Map(state.kinds);
    const kind = event.object.kind;
    // Copy each touched kind once per batch; later events of the batch write into the copy.
    const objects = copied.has(kind) ? (kinds.get(kind) as Map<string, KubeObject>) : new Map(kinds.get(kind));
    if (!copied.has(kind)) {
      kinds.set(kind, objects);
      copied.add(kind);
    }
    const key = objectKey(event.object);
    if (event.type === 'DELETED') objects.delete(key);
    else objects.set(key, event.object);
  }
  return kinds ? { resourceVersion, kinds } : state;
}

/** Every object of a kind, in key order (stable for rendering and comparing). */
export function listObjects<K extends Kind>(state: ClusterState, kind: K): ObjectOfKind<K>[] {
  const objects = state.kinds.get(kind);
  if (!objects) return [];
  return [...objects.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, o]) => o as ObjectOfKind<K>);
}

/** One object by kind and name (namespace defaults to `default` for namespaced kinds). */
export function getObject<K extends Kind>(state: ClusterState, kind: K, name: string, namespace?: string): ObjectOfKind<K> | undefined {
  const objects = state.kinds.get(kind);
  return (objects?.get(namespace ? `${namespace}/${name}` : name) ?? objects?.get(`default/${name}`)) as ObjectOfKind<K> | undefined;
}


/** Every object held, kind by kind: e.g. to build another cache (the control loops' state) from this one. */
export function allObjects(state: ClusterState): KubeObject[] {
  return [...state.kinds.values()].flatMap((objects) => [...objects.values()]);
}
