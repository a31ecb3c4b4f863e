/**
 * The API server's write rules as one pure function: given the stored object (or none) and a
 * request, what to store. The deterministic harness (shared/sim/api-server.ts) applies the result
 * to its state; the Redis store commits it with one compare-and-swap. Each accepted request is at
 * most one new version; the writer stamps resourceVersion (and a new object's uid).
 */
import { alreadyExists, badRequest, conflict, isNamespaced, notFound, type KubeObject, type SimTime, type StatusError } from '@shared/model';
import type { ApiRequest } from '../requests';
import type { WatchEventType } from '../state';
import { bind } from './binding';
import { refuse, type Decision } from './decision';
import { remove } from './deletion';
import { equalJson } from './equal';
import { preconditionFailed, targetMismatch } from './errors';
import { namespaceLifecycle } from './namespace-lifecycle';
import { create, update, updateStatus } from './rules';

type WithoutReason<T> = T extends unknown ? Omit<T, 'reason'> : never;

/**
 * A request as the API server admits it: a loop's ApiRequest (its `reason` is for people only),
 * optionally with a uid precondition (DeleteOptions.preconditions.uid, a Binding's metadata.uid).
 * The precondition is `resourceVersion`; a resourceVersion inside `object` is ignored. A delete may
 * also ignore finalizers (the store's remove-at-once, for a classroom reset).
 */
export type AdmissionRequest = WithoutReason<ApiRequest> & { uid?: string; ignoreFinalizers?: boolean };

/**
 * Accepted: the watch event to record and the object to store (a DELETED one: its last state).
 * `changed: false` means there is nothing to write and no event to send (an update equal to the
 * stored object, as etcd3's GuaranteedUpdate skips it; a second delete of a terminating pod).
 */
export type Admission = { ok: true; type: WatchEventType; object: KubeObject; changed: boolean } | { ok: false; error: StatusError };

export function admit(current: KubeObject | undefined, req: AdmissionRequest, now: SimTime): Admission {
  const decision = decide(current, req, now);
  if (!decision.ok) return decision;
  const changed = current === undefined || decision.type === 'DELETED' || !equalJson(decision.object, current);
  return { ...decision, changed };
}

function decide(current: KubeObject | undefined, req: AdmissionRequest, now: SimTime): Decision {
  const mismatch = targetMismatchOf(req);
  if (mismatch) return refuse(mismatch);
  if (req.verb === 'create') {
    // Every create passes here (kubectl's, the instructor's, the game's moves): none lands in a namespace the cluster lacks.
    const missing = namespaceLifecycle(req.kind, req.namespace ?? req.object.metadata.namespace);
    if (missing) return refuse(missing);
    return current ? refuse(alreadyExists(req.kind, req.name)) : create(req.object, now);
  }
  if (!current) return refuse(notFound(req.kind, req.name));
  const failed = preconditionsFailed(current, req);
  if (failed) return refuse(failed);
  switch (req.verb) {
    case 'update':
      return update(current, req.object);
    case 'updateStatus':
      return updateStatus(current, req.object);
    case 'bind':
      return current.kind === 'Pod' ? bind(current, req.node, now) : refuse(badRequest(`only pods can be bound, not ${current.kind}`));
    case 'delete':
      return remove(current, req, now);
  }
}

/** The object sent must be the one the request names: the store files it under the request's key. */
function targetMismatchOf(req: AdmissionRequest): StatusError | undefined {
  if (!('object' in req)) return undefined;
  const { kind, metadata } = req.object;
  if (kind !== req.kind) return targetMismatch('kind', kind, req.kind);
  if (metadata.name !== req.name) return targetMismatch('name', metadata.name, req.name);
  if (isNamespaced(kind) && req.namespace !== undefined && metadata.namespace !== undefined && metadata.namespace !== req.namespace) {
    return targetMismatch('namespace', metadata.namespace, req.namespace);
  }
  return undefined;
}

/**
 * Storage preconditions: the uid first, then the resourceVersion, as etcd3 checks them. A delete
 * words a stale version as its precondition failing; the other verbs as the optimistic-lock
 * Conflict every client knows.
 */
function preconditionsFailed(current: KubeObject, req: Exclude<AdmissionRequest, { verb: 'create' }>): StatusError | undefined {
  const { kind, name } = req;
  if (req.uid !== undefined && req.uid !== current.metadata.uid) return preconditionFailed(kind, name, 'UID', req.uid, current.metadata.uid);
  const rv = req.resourceVersion;
  if (rv === undefined || rv === current.metadata.resourceVersion) return undefined;
  return req.verb === 'delete' ? preconditionFailed(kind, name, 'ResourceVersion', rv, current.metadata.resourceVersion) : conflict(kind, name);
}
