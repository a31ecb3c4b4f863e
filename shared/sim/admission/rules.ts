/**
 * create, update and updateStatus: what the API server sets and keeps on a write
 * (k8s.io/apiserver rest.BeforeCreate / BeforeUpdate and the kinds' strategies).
 * - create: defaults; creationTimestamp from the simulated clock; generation per GENERATION; a submitted uid,
 *   resourceVersion or deletionTimestamp is dropped (the writer stamps uid and resourceVersion).
 *   A submitted status is kept, so a scenario can seed a running cluster in one write
 *   (Kubernetes resets Pod and Deployment status).
 * - update: defaults; the status per STATUS_RULE; uid and creationTimestamp immutable;
 *   deletionTimestamp only ever set by a delete; generation + 1 where GENERATION says; an update
 *   that removes the last finalizer of an object marked for deletion (grace 0) deletes it.
 * - updateStatus: only `.status` is taken from the request; spec and metadata stay as stored.
 */
import { applyDefaults, invalid, toRFC3339, type Kind, type KubeObject, type SimTime } from '@shared/model';
import { equalJson } from './equal';
import { refuse, specOf, withMetadata, write, type Decision } from './decision';
import { noStatusSubresource } from './errors';
import { STATUS_RULE } from './kinds';
import { clusterIPErrors, updateClusterIP } from './cluster-ip';

/**
 * metadata.generation as each kind's 1.32 registry strategy sets it; the API server itself sets
 * none (rest.BeforeUpdate only keeps the stored one, and nothing wipes a submitted one on create):
 * - `none`: PrepareForCreate/PrepareForUpdate leave it (pkg/registry/core/{pod,node,service,endpoint,event}/strategy.go,
 *   coordination/lease/strategy.go). A Pod has one only from 1.33 (kubernetes#130181).
 * - `fixed`: 1 on create, never bumped (scheduling/priorityclass/strategy.go).
 * - `spec`: 1 on create, +1 when the spec changes (apps/replicaset/strategy.go; ClusterPlay's
 *   node-local kinds too, which kubectl is not served).
 * - `specOrAnnotations`: also when the annotations change, as they are copied to the ReplicaSets (apps/deployment/strategy.go).
 */
const GENERATION = {
  Pod: 'none',
  Node: 'none',
  Service: 'none',
  Endpoints: 'none',
  Event: 'none',
  Lease: 'none',
  PriorityClass: 'fixed',
  ReplicaSet: 'spec',
  Deployment: 'specOrAnnotations',
  ContainerRuntime: 'spec',
  ProxyTable: 'spec',
} as const satisfies Record<Kind, 'none' | 'fixed' | 'spec' | 'specOrAnnotations'>;

const withGeneration = (generation: number | undefined): { generation?: number } => (generation === undefined ? {} : { generation });

/** The generation an update stores: the stored one, bumped where the kind's strategy bumps it. */
function nextGeneration(current: KubeObject, next: KubeObject): number | undefined {
  const rule = GENERATION[current.kind];
  const stored = current.metadata.generation;
  if (rule === 'none' || rule === 'fixed') return stored;
  const changed = !equalJson(specOf(next), specOf(current)) || (rule === 'specOrAnnotations' && !equalJson(next.metadata.annotations ?? {}, current.metadata.annotations ?? {}));
  return changed ? (stored ?? 1) + 1 : stored;
}

export function create(object: KubeObject, now: SimTime): Decision {
  // The ClusterIP was allocated before (it needs every Service's): here it is only validated.
  const ipErrors = object.kind === 'Service' ? clusterIPErrors(object) : [];
  if (ipErrors.length) return refuse(invalid('Service', object.metadata.name, ipErrors));
  const defaulted = applyDefaults(object);
  const { uid: _uid, resourceVersion: _rv, deletionTimestamp: _at, deletionGracePeriodSeconds: _grace, generation: sent, ...metadata } = defaulted.metadata;
  return write('ADDED', withMetadata(defaulted, { ...metadata, creationTimestamp: toRFC3339(now), ...withGeneration(GENERATION[defaulted.kind] === 'none' ? sent : 1) }));
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
  const { generation: _generation, ...sentMetadata } = defaulted.metadata;
  const next = withMetadata(defaulted, {
    ...sentMetadata,
    uid: old.uid,
    resourceVersion: old.resourceVersion,
    creationTimestamp: old.creationTimestamp,
    deletionTimestamp: old.deletionTimestamp,
    deletionGracePeriodSeconds: old.deletionGracePeriodSeconds,
    ...withGeneration(nextGeneration(current, defaulted)),
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
