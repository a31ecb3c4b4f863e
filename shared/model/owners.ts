/** Owner references (metav1.GetControllerOf, IsControlledBy, NewControllerRef). */
import type { ObjectMeta, OwnerReference } from './schemas-common';

interface HasMeta {
  metadata: Pick<ObjectMeta, 'ownerReferences'>;
}

interface Owner {
  apiVersion: string;
  kind: string;
  metadata: { name: string; uid?: string | undefined };
}

/** The owner reference with `controller: true`, if any. */
export function controllerRef(obj: HasMeta): OwnerReference | undefined {
  return obj.metadata.ownerReferences?.find((ref) => ref.controller === true);
}

/** True when `obj`'s controller reference points at `owner`'s uid. */
export function isControlledBy(obj: HasMeta, owner: { metadata: { name?: string; uid?: string | undefined } }): boolean {
  const ref = controllerRef(obj);
  return ref !== undefined && owner.metadata.uid !== undefined && ref.uid === owner.metadata.uid;
}

/** The reference a controller puts on what it creates. The owner must be persisted (have a uid). */
export function newControllerRef(owner: Owner & { metadata: { uid: string } }): OwnerReference {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata.name,
    uid: owner.metadata.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** DeleteOptions.propagationPolicy: what happens to an object's dependents when it is deleted. */
export const PROPAGATION_POLICIES = ['Orphan', 'Background', 'Foreground'] as const;
export type PropagationPolicy = (typeof PROPAGATION_POLICIES)[number];

/** metav1.FinalizerOrphanDependents: the garbage collector removes the owner's references from its dependents first. */
export const ORPHAN_FINALIZER = 'orphan';
/** metav1.FinalizerDeleteDependents: the owner stays until its blocking dependents are gone. */
export const FOREGROUND_FINALIZER = 'foregroundDeletion';

export function hasFinalizer(obj: { metadata: Pick<ObjectMeta, 'finalizers'> }, finalizer: string): boolean {
  return obj.metadata.finalizers?.includes(finalizer) ?? false;
}
