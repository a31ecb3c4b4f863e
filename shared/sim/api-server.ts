/**
 * The API server for the deterministic harness: each request the loops return is admitted by the
 * shared write rules (./admission, the same the Redis store commits with), then stamped with the
 * next resourceVersion (and a new object's uid) and applied to a `ClusterState`.
 */
import type { KubeObject, SimTime, StatusError } from '@shared/model';
import { admit } from './admission';
import type { ApiRequest } from './requests';
import type { ClusterState, WatchEventType } from './state';

export interface ApiServerContext {
  now: SimTime;
  nextUid(): string;
  nextResourceVersion(): string;
}

export interface AppliedEvent {
  type: WatchEventType;
  object: KubeObject;
}

export type ApplyOutcome = { ok: true; event: AppliedEvent } | { ok: false; error: StatusError };

function keyOf(req: ApiRequest): string {
  return req.namespace === undefined ? req.name : `${req.namespace}/${req.name}`;
}

export function applyRequest(state: ClusterState, req: ApiRequest, ctx: ApiServerContext): ApplyOutcome {
  const admitted = admit(state.get(req.kind, keyOf(req)), req, ctx.now);
  if (!admitted.ok) return admitted;
  const { type, object } = admitted;
  // Nothing to write: the answer is the stored object, and no version is taken.
  if (!admitted.changed) return { ok: true, event: { type, object } };
  const uid = type === 'ADDED' ? { uid: ctx.nextUid() } : {};
  const stamped = { ...object, metadata: { ...object.metadata, ...uid, resourceVersion: ctx.nextResourceVersion() } } as KubeObject;
  state.apply(type, stamped);
  return { ok: true, event: { type, object: stamped } };
}
