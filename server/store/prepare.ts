/**
 * What the API server sets and keeps on a write (k8s.io/apiserver rest.BeforeCreate / BeforeUpdate
 * and the kinds' strategies), applied to an already validated object:
 * - create: defaults, a new uid, creationTimestamp from the classroom's simulated clock,
 *   generation 1; a submitted deletionTimestamp is dropped. A submitted status is kept, so a
 *   scenario can seed a running cluster in one write (Kubernetes resets Pod and Deployment status).
 * - update: for kinds with a status subresource, the stored status is kept (status changes go
 *   through updateStatus); uid and creationTimestamp are the stored ones; generation grows by one
 *   when spec changes; once deletionTimestamp is set it cannot be changed or removed.
 * - updateStatus: only `.status` is taken from the request; everything else stays as stored.
 */
import {
  OBJECT_SCHEMAS,
  RESOURCE,
  applyDefaults,
  badRequest,
  invalid,
  toRFC3339,
  type Kind,
  type KubeObject,
  type Persisted,
  type SimTime,
} from '@shared/model';
import { ApiError } from './api-error';
import { jsonEqual } from './encoding';

export type Subresource = 'main' | 'status';

/** Kinds whose schema has a status have the status subresource (Pod, Node, Deployment, ReplicaSet, Service). */
export function hasStatusSubresource(kind: Kind): boolean {
  return 'status' in OBJECT_SCHEMAS[kind].shape;
}

/** The persisted form minus the resourceVersion, which the write script sets. */
export function prepareForCreate(object: KubeObject, uid: string, simTime: SimTime): KubeObject {
  if (object.metadata.resourceVersion !== undefined) {
    throw new ApiError(badRequest('resourceVersion should not be set on objects to be created'));
  }
  const defaulted = applyDefaults(object);
  const { deletionTimestamp: _at, deletionGracePeriodSeconds: _grace, ...metadata } = defaulted.metadata;
  return { ...defaulted, metadata: { ...metadata, uid, creationTimestamp: toRFC3339(simTime), generation: 1 } } as KubeObject;
}

function specOf(object: KubeObject): unknown {
  return 'spec' in object ? object.spec : undefined;
}

export function prepareForUpdate(stored: Persisted<KubeObject>, incoming: KubeObject, subresource: Subresource): Persisted<KubeObject> {
  const kind = stored.kind;
  const name = stored.metadata.name;
  const uid = incoming.metadata.uid;
  if (uid !== undefined && uid !== stored.metadata.uid) {
    throw new ApiError(invalid(kind, name, [{ field: 'metadata.uid', body: `Invalid value: ${JSON.stringify(uid)}: field is immutable` }]));
  }
  if (subresource === 'status') {
    if (!hasStatusSubresource(kind)) throw new ApiError(badRequest(`${RESOURCE[kind]} have no status subresource`));
    const next: Record<string, unknown> = { ...stored, status: 'status' in incoming ? incoming.status : undefined };
    if (next['status'] === undefined) delete next['status'];
    return next as Persisted<KubeObject>;
  }
  const defaulted: Record<string, unknown> & KubeObject = { ...applyDefaults(incoming) };
  if (hasStatusSubresource(kind)) {
    if ('status' in stored && stored.status !== undefined) defaulted['status'] = stored.status;
    else delete defaulted['status'];
  }
  const old = stored.metadata;
  const metadata: Record<string, unknown> = {
    ...defaulted.metadata,
    uid: old.uid,
    resourceVersion: old.resourceVersion,
    creationTimestamp: old.creationTimestamp,
    generation: jsonEqual(specOf(defaulted), specOf(stored)) ? old.generation : old.generation + 1,
  };
  if (old.deletionTimestamp !== undefined) {
    metadata['deletionTimestamp'] = old.deletionTimestamp;
    metadata['deletionGracePeriodSeconds'] = old.deletionGracePeriodSeconds;
  }
  for (const key of Object.keys(metadata)) if (metadata[key] === undefined) delete metadata[key];
  return { ...defaulted, metadata } as Persisted<KubeObject>;
}
