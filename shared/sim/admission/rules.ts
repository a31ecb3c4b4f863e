/**
 * create, update and updateStatus: what the API server sets and keeps on a write
 * (k8s.io/apiserver rest.BeforeCreate / BeforeUpdate and the kinds' strategies).
 * - create: defaults; creationTimestamp from the simulated clock; generation 1; a submitted uid,
 *   resourceVersion or deletionTimestamp is dropped (the writer stamps uid and resourceVersion).
 *   A submitted status is kept, so a scenario can seed a running cluster in one write
 *   (Kubernetes resets Pod and Deployment status).
 * - update: defaults; the status per STATUS_RULE; uid and creationTimestamp immutable;
 *   deletionTimestamp only ever set by a delete; generation + 1 only when spec changes; an update
 *   that removes the last finalizer of an object marked for deletion (grace 0) deletes it.
 * - updateStatus: only `.status` is taken from the request; spec and metadata stay as stored.
 */
import { applyDefaults, invalid, toRFC3339, type KubeObject, type SimTime } from '@shared/model';
import { equalJson } from './equal';
import { refuse, specOf, withMetadata, write, type Decision } from './decision';
import { noStatusSubresource } from './errors';
import { STATUS_RULE } from './kinds';
import { clusterIPErrors, updateClusterIP } from './cluster-ip';

/** Endpoints have no generation: their strategy's PrepareForCreate sets none (pkg/registry/core/endpoint/strategy.go). */
const generationOf = (kind: KubeObject['kind'], generation: number): { generation?: number } => (kind === 'Endpoints' ? {} : { generation });

export function create(object: KubeObject, now: SimTime): Decision {
  // The ClusterIP was allocated before (it needs every Service's): here it is only validated.
  const ipErrors = object.kind === 'Service' ? clusterIPErrors(object) : [];
  if (ipErrors.length) return refuse(invalid('Service', object.metadata.name, ipErrors));
  const defaulted = applyDefaults(object);
  const { uid: _uid, resourceVersion: _rv, deletionTimestamp: _at, deletionGracePeriodSeconds: _grace, generation: _generation, ...metadata } = defaulted.metadata;
  return write('ADDED', withMetadata(defaulted, { ...metadata, creationTimestamp: toRFC3339(now), ...generationOf(defaulted.kind, 1) }));
}

/** A uid in the body must be the stored one: it names the incarnation, it cannot be changed. */
function immutableUid(current: KubeObject, object: KubeObject): Decision | undefined {
  const uid = object.metadata.uid;
  if (uid === undefined || uid === current.metadata.uid) return undefined;
  return refuse(invalid(current.kind, current.metadata.name, [{ field: 'metadata.uid', body: `Invalid value: ${JSON.stringify(uid)}: field is immutable` }]));
}

function withStatusOf(object: KubeObject, source: KubeObject): KubeObject {
  const next: Record<string, unknown> = { ...object };
  if ('status' in source && source.status !== undefined) next['status'] = source.status;
  else delete next['status'];
  return next as KubeObject;
}

export function update(current: KubeObject, object: KubeObject): Decision {
  const refused = immutableUid(current, object);
  if (refused) return refused;
  const ip = current.kind === 'Service' && object.kind === 'Service' ? updateClusterIP(current, object) : undefined;
  if (ip && !ip.ok) return refuse(ip.error);
  const body = ip?.ok ? ip.service : object;
  const sent = STATUS_RULE[current.kind] === 'subresource' ? withStatusOf(body, current) : body;
  const defaulted = applyDefaults(sent);
  const old = current.metadata;
  const generation = old.generation ?? 1;
  const { generation: _generation, ...sentMetadata } = defaulted.metadata;
  const next = withMetadata(defaulted, {
    ...sentMetadata,
    uid: old.uid,
    resourceVersion: old.resourceVersion,
    creationTimestamp: old.creationTimestamp,
    deletionTimestamp: old.deletionTimestamp,
    deletionGracePeriodSeconds: old.deletionGracePeriodSeconds,
    ...generationOf(current.kind, equalJson(specOf(defaulted), specOf(current)) ? generation : generation + 1),
  });
  // The last finalizer of an object marked for deletion (grace over) is gone: the store removes it.
  const released = old.deletionTimestamp !== undefined && (old.deletionGracePeriodSeconds ?? 0) === 0 && !next.metadata.finalizers?.length;
  return write(released ? 'DELETED' : 'MODIFIED', next);
}

export function updateStatus(current: KubeObject, object: KubeObject): Decision {
  if (STATUS_RULE[current.kind] !== 'subresource') return refuse(noStatusSubresource(current.kind));
  const refused = immutableUid(current, object);
  if (refused) return refused;
  return write('MODIFIED', applyDefaults(withStatusOf(current, object)));
}
