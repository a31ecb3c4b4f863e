/**
 * The API server for the deterministic harness: each request the loops return is admitted by the
 * shared write rules (./admission, the same the Redis store commits with), then stamped with the
 * next resourceVersion (and a new object's uid) and applied to a `ClusterState`.
 */
import { KUBERNETES_SERVICE_IP, withSystemPriorityClasses, type KubeObject, type PriorityClass, type SimTime, type StatusError } from '@shared/model';
import { admit, admitPodPriority, admitPriorityClass, assignClusterIP } from './admission';
import { fnv32a } from './hash';
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

/**
 * A new Service's ClusterIP, from the addresses the harness's Services hold. The random start of
 * the scan comes from the Service's own key, so the harness stays deterministic whatever else
 * draws from its RNG.
 */
function withClusterIP(state: ClusterState, req: ApiRequest): { ok: true; req: ApiRequest } | { ok: false; error: StatusError } {
  if (req.verb !== 'create' || req.object.kind !== 'Service' || state.get('Service', keyOf(req))) return { ok: true, req };
  const allocated = new Set([KUBERNETES_SERVICE_IP, ...[...state.services()].map((s) => s.spec.clusterIP ?? '')]);
  const start = fnv32a(keyOf(req)) / 2 ** 32;
  const decided = assignClusterIP(req.object, allocated, () => start);
  return decided.ok ? { ok: true, req: { ...req, object: decided.service } } : decided;
}

/**
 * Priority admission, which needs every PriorityClass: a new pod's priority from its class, and at
 * most one global default class.
 */
function withPriority(state: ClusterState, req: ApiRequest): { ok: true; req: ApiRequest } | { ok: false; error: StatusError } {
  if (req.verb !== 'create' && req.verb !== 'update') return { ok: true, req };
  const stored = [...state.list('PriorityClass')] as PriorityClass[];
  if (req.object.kind === 'PriorityClass') {
    const refused = admitPriorityClass(req.object, stored, req.verb);
    return refused ? { ok: false, error: refused } : { ok: true, req };
  }
  if (req.verb !== 'create' || req.object.kind !== 'Pod' || state.get('Pod', keyOf(req))) return { ok: true, req };
  const decided = admitPodPriority(req.object, withSystemPriorityClasses(stored));
  return decided.ok ? { ok: true, req: { ...req, object: decided.pod } } : decided;
}

export function applyRequest(state: ClusterState, request: ApiRequest, ctx: ApiServerContext): ApplyOutcome {
  const prioritized = withPriority(state, request);
  if (!prioritized.ok) return prioritized;
  const allocated = withClusterIP(state, prioritized.req);
  if (!allocated.ok) return allocated;
  const req = allocated.req;
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
