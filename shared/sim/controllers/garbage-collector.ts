/**
 * The garbage collector of kube-controller-manager (pkg/controller/garbagecollector): ownerReferences
 * drive cascading deletion. For each object it looks at:
 * - marked for deletion with the `orphan` finalizer: remove the owner's reference from every
 *   dependent, then the finalizer (attemptToOrphan);
 * - marked with `foregroundDeletion`: once no dependent with blockOwnerDeletion is left, remove the
 *   finalizer so the owner goes (processDeletingDependentsItem);
 * - with ownerReferences (attemptToDeleteItem): an owner that is gone (or another incarnation) is
 *   dangling, one being deleted in the foreground is waiting; with a solid owner left, only the
 *   dangling and waiting references are removed; with none, the object is deleted (Foreground when
 *   an owner waits and the object has dependents of its own, else as its finalizers say,
 *   else Background).
 * A reference the API does not serve (unknown kind, other apiVersion) cannot be resolved: the
 * object is left alone, as Kubernetes leaves it when its REST mapping fails. The loop returns the
 * requests it wants; like any controller it only reads the cache.
 */
import {
  API_VERSION,
  FOREGROUND_FINALIZER,
  ORPHAN_FINALIZER,
  hasFinalizer,
  isKind,
  isNamespaced,
  objectKey,
  toRFC3339,
  type Event,
  type KubeObject,
  type OwnerReference,
  type PropagationPolicy,
  type SimTime,
} from '@shared/model';
import { fnv32a } from '../hash';
import { create, update, type ApiRequest, type Step } from '../requests';
import { awaitsGarbageCollector, objectHandle, type ClusterState } from '../state';

export const GARBAGE_COLLECTOR = 'garbage-collector-controller';

/** One object's collection: what the garbage collector does for it now, and why. */
export interface Collection {
  object: KubeObject;
  steps: Step[];
  why: string;
}

type Owner = { ref: OwnerReference; state: 'solid' | 'dangling' | 'waiting' };

const describe = (obj: KubeObject): string => `${obj.kind.toLowerCase()}/${obj.metadata.name}`;
const refText = (ref: OwnerReference): string => `${ref.kind.toLowerCase()}/${ref.name}`;

/**
 * The event the graph builder records for a reference whose owner exists elsewhere: a namespaced
 * owner in another namespace, or any namespaced owner of a cluster-scoped object (TestConflictingData).
 * Named from the two uids, so the loop records it once.
 */
function invalidNamespaceEvent(child: KubeObject, ref: OwnerReference, now: SimTime): Event {
  const ns = child.metadata.namespace ?? '';
  const at = toRFC3339(now);
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `${child.metadata.name}.${fnv32a(`${child.metadata.uid ?? ''}/${ref.uid}`).toString(16)}`, namespace: child.metadata.namespace ?? 'default' },
    involvedObject: { apiVersion: child.apiVersion, kind: child.kind, name: child.metadata.name, ...(child.metadata.namespace ? { namespace: child.metadata.namespace } : {}), ...(child.metadata.uid ? { uid: child.metadata.uid } : {}) },
    reason: 'OwnerRefInvalidNamespace',
    message: `ownerRef [${ref.apiVersion}/${ref.kind}, namespace: ${ns}, name: ${ref.name}, uid: ${ref.uid}] does not exist in namespace "${ns}"`,
    type: 'Warning',
    source: { component: GARBAGE_COLLECTOR },
    firstTimestamp: at,
    lastTimestamp: at,
    count: 1,
    reportingComponent: GARBAGE_COLLECTOR,
  };
}

/**
 * The owner a reference names and its state; no `owner` when the reference cannot be resolved.
 * `event` when the uid names an object in another namespace (recorded once).
 */
function resolve(state: ClusterState, child: KubeObject, ref: OwnerReference, now: SimTime): { owner?: Owner; event?: Event } {
  const kind = ref.kind;
  if (!isKind(kind) || API_VERSION[kind] !== ref.apiVersion) return {};
  const ns = child.metadata.namespace;
  const elsewhere = (): Event | undefined => {
    const found = [...state.list(kind)].some((o) => o.metadata.uid === ref.uid && o.metadata.namespace !== ns);
    const event = invalidNamespaceEvent(child, ref, now);
    return found && !state.get('Event', objectKey(event)) ? event : undefined;
  };
  const withEvent = (result: { owner?: Owner }): { owner?: Owner; event?: Event } => {
    const event = elsewhere();
    return event ? { ...result, event } : result;
  };
  // A cluster-scoped object cannot be owned by a namespaced one: never collected.
  if (isNamespaced(kind) && ns === undefined) return withEvent({});
  const owner = state.get(kind, isNamespaced(kind) ? `${ns ?? 'default'}/${ref.name}` : ref.name);
  if (!owner || owner.metadata.uid !== ref.uid) return withEvent({ owner: { ref, state: 'dangling' } });
  const waiting = owner.metadata.deletionTimestamp !== undefined && hasFinalizer(owner, FOREGROUND_FINALIZER);
  return { owner: { ref, state: waiting ? 'waiting' : 'solid' } };
}

/** A delete as the garbage collector sends it: with the uid precondition, no resourceVersion. */
function collect(obj: KubeObject, policy: PropagationPolicy, reason: string): ApiRequest {
  const { namespace, uid } = obj.metadata;
  return { verb: 'delete', kind: obj.kind, name: obj.metadata.name, ...(namespace === undefined ? {} : { namespace }), ...(uid === undefined ? {} : { uid }), propagationPolicy: policy, reason };
}

function withoutOwners(obj: KubeObject, uids: ReadonlySet<string>): KubeObject {
  const refs = (obj.metadata.ownerReferences ?? []).filter((r) => !uids.has(r.uid));
  const { ownerReferences: _refs, ...metadata } = obj.metadata;
  return { ...obj, metadata: refs.length ? { ...metadata, ownerReferences: refs } : metadata } as KubeObject;
}

function withoutFinalizer(obj: KubeObject, finalizer: string): KubeObject {
  const rest = (obj.metadata.finalizers ?? []).filter((f) => f !== finalizer);
  const { finalizers: _f, ...metadata } = obj.metadata;
  return { ...obj, metadata: rest.length ? { ...metadata, finalizers: rest } : metadata } as KubeObject;
}

/** GenerateDeleteOwnerRefStrategicMergeBytes, as data: the object without the references to `uids`. */
export const removeOwnerReferences = withoutOwners;

/** unblockOwnerReferencesStrategicMergePatch: every reference that sets blockOwnerDeletion now says false. */
export function unblockOwnerReferences(refs: readonly OwnerReference[]): OwnerReference[] {
  return refs.map((r) => (r.blockOwnerDeletion === undefined ? r : { ...r, blockOwnerDeletion: false }));
}

function orphan(state: ClusterState, owner: KubeObject): Collection {
  const uid = owner.metadata.uid ?? '';
  const dependents = state.dependentsOf(uid);
  const steps: Step[] = dependents.map((d) => update(d, withoutOwners(d, new Set([uid])), `orphan ${describe(d)}: remove its ownerReference to ${describe(owner)}`));
  steps.push(update(owner, withoutFinalizer(owner, ORPHAN_FINALIZER), `${describe(owner)}: its dependents are orphaned, remove the orphan finalizer`));
  const why = dependents.length
    ? `${describe(owner)} was deleted with propagationPolicy Orphan: remove its ownerReference from ${dependents.map(describe).join(', ')}, then its orphan finalizer`
    : `${describe(owner)} was deleted with propagationPolicy Orphan and has no dependents left: remove its orphan finalizer`;
  return { object: owner, steps, why };
}

function deletingDependents(state: ClusterState, owner: KubeObject): Collection | undefined {
  const uid = owner.metadata.uid ?? '';
  const blocking = state.dependentsOf(uid).filter((d) => d.metadata.ownerReferences?.some((r) => r.uid === uid && r.blockOwnerDeletion === true));
  if (blocking.length) return undefined;
  return {
    object: owner,
    steps: [update(owner, withoutFinalizer(owner, FOREGROUND_FINALIZER), `${describe(owner)}: no blocking dependent is left, remove the foregroundDeletion finalizer`)],
    why: `${describe(owner)} is deleted in the foreground and no dependent blocks it any more: remove its foregroundDeletion finalizer`,
  };
}

function attemptToDelete(state: ClusterState, item: KubeObject, now: SimTime): Collection | undefined {
  const refs = item.metadata.ownerReferences ?? [];
  if (refs.length === 0) return undefined;
  const owners: Owner[] = [];
  const events: Step[] = [];
  for (const ref of refs) {
    const { owner, event } = resolve(state, item, ref, now);
    if (event) events.push(create(event, `event: ${event.message ?? ''}`));
    // An owner the API cannot look up: the object is left alone (Kubernetes requeues it).
    if (!owner) return events.length ? { object: item, steps: events, why: `${describe(item)}: ${event?.message ?? ''}` } : undefined;
    owners.push(owner);
  }
  const solid = owners.filter((o) => o.state === 'solid');
  const gone = owners.filter((o) => o.state !== 'solid');
  if (solid.length) {
    if (gone.length === 0) return events.length ? { object: item, steps: events, why: 'owner reference in the wrong namespace' } : undefined;
    const names = gone.map((o) => refText(o.ref)).join(', ');
    return {
      object: item,
      steps: [...events, update(item, withoutOwners(item, new Set(gone.map((o) => o.ref.uid))), `${describe(item)}: remove its references to ${names}`)],
      why: `${describe(item)} still has an owner (${solid.map((o) => refText(o.ref)).join(', ')}): only its references to ${names}, gone or being deleted, are removed`,
    };
  }
  const waiting = owners.some((o) => o.state === 'waiting');
  const policy: PropagationPolicy =
    waiting && state.dependentsOf(item.metadata.uid ?? '').length > 0 ? 'Foreground' : hasFinalizer(item, ORPHAN_FINALIZER) ? 'Orphan' : hasFinalizer(item, FOREGROUND_FINALIZER) ? 'Foreground' : 'Background';
  const names = owners.map((o) => `${refText(o.ref)} (${o.state === 'waiting' ? 'being deleted in the foreground' : 'gone'})`).join(', ');
  return {
    object: item,
    steps: [...events, collect(item, policy, `${describe(item)}: its owners are gone (${names}), delete it (${policy})`)],
    why: `${describe(item)} has no owner left (${names}): delete it with propagationPolicy ${policy}`,
  };
}

/** What the garbage collector does now for `obj`, if anything. */
export function collectionOf(state: ClusterState, obj: KubeObject, now: SimTime): Collection | undefined {
  if (obj.metadata.deletionTimestamp !== undefined) {
    if (!awaitsGarbageCollector(obj)) return undefined;
    return hasFinalizer(obj, ORPHAN_FINALIZER) ? orphan(state, obj) : deletingDependents(state, obj);
  }
  return attemptToDelete(state, obj, now);
}

/** Every object the collector should look at: those with owners, and those waiting for it. */
function allHandles(state: ClusterState): Set<string> {
  const handles = new Set<string>(state.finalizing);
  for (const set of state.dependentsByOwner.values()) for (const h of set) handles.add(h);
  return handles;
}

/**
 * The collections to make now, one per object, in a stable order. `scope` names the objects (as
 * `objectHandle`s) whose owners or dependents changed; the objects waiting for the collector are
 * always looked at (their dependents may have gone).
 */
export function garbageCollections(state: ClusterState, now: SimTime, scope?: Iterable<string>): Collection[] {
  const handles = scope === undefined ? allHandles(state) : new Set([...scope, ...state.finalizing]);
  const out: Collection[] = [];
  for (const handle of [...handles].sort()) {
    const obj = state.byHandle(handle);
    const c = obj && collectionOf(state, obj, now);
    if (c) out.push(c);
  }
  return out;
}

export function reconcileGarbageCollector(state: ClusterState, now: SimTime, scope?: Iterable<string>): Step[] {
  return garbageCollections(state, now, scope).flatMap((c) => c.steps);
}

export { objectHandle };
