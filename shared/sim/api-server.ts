/**
 * The API server's semantics for the requests the loops return, applied to a `ClusterState`:
 * server-set metadata and defaults on create, resourceVersion preconditions (409 Conflict),
 * the status subresource, binding, and graceful pod deletion. The harness and the unit tests use
 * it; the Redis store implements the same rules with its own atomic writes.
 */
import {
  alreadyExists,
  applyDefaults,
  conflict,
  notFound,
  setCondition,
  toRFC3339,
  type KubeObject,
  type Pod,
  type SimTime,
  type StatusError,
} from '@shared/model';
import { sameValue } from './hash';
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

/** Kinds with a status subresource: `update` keeps their status, `updateStatus` keeps the rest. */
const HAS_STATUS = new Set(['Pod', 'Node', 'Deployment', 'ReplicaSet', 'Service']);

function keyOf(req: ApiRequest): string {
  return req.namespace === undefined ? req.name : `${req.namespace}/${req.name}`;
}

function stamp(obj: KubeObject, ctx: ApiServerContext, generation: number): KubeObject {
  return { ...obj, metadata: { ...obj.metadata, resourceVersion: ctx.nextResourceVersion(), generation } } as KubeObject;
}

function spec(obj: KubeObject): unknown {
  return 'spec' in obj ? obj.spec : undefined;
}

export function applyRequest(state: ClusterState, req: ApiRequest, ctx: ApiServerContext): ApplyOutcome {
  const key = keyOf(req);
  const current = state.get(req.kind, key);
  const commit = (type: WatchEventType, object: KubeObject): ApplyOutcome => {
    state.apply(type, object);
    return { ok: true, event: { type, object } };
  };
  if (req.verb === 'create') {
    if (current) return { ok: false, error: alreadyExists(req.kind, req.name) };
    const created = applyDefaults(req.object);
    const metadata = { ...created.metadata, uid: created.metadata.uid ?? ctx.nextUid(), creationTimestamp: toRFC3339(ctx.now) };
    return commit('ADDED', stamp({ ...created, metadata } as KubeObject, ctx, 1));
  }
  if (!current) return { ok: false, error: notFound(req.kind, req.name) };
  if (req.resourceVersion !== undefined && req.resourceVersion !== current.metadata.resourceVersion) {
    return { ok: false, error: conflict(req.kind, req.name) };
  }
  const generation = current.metadata.generation ?? 1;
  switch (req.verb) {
    case 'update': {
      // Defaults apply on every write, as the API server decodes each request with them.
      const next = { ...applyDefaults(req.object), metadata: { ...req.object.metadata, uid: current.metadata.uid, creationTimestamp: current.metadata.creationTimestamp } } as KubeObject;
      if (HAS_STATUS.has(req.kind) && 'status' in current) Object.assign(next, { status: current.status });
      return commit('MODIFIED', stamp(next, ctx, sameValue(spec(next), spec(current)) ? generation : generation + 1));
    }
    case 'updateStatus': {
      const status = 'status' in req.object ? req.object.status : undefined;
      return commit('MODIFIED', stamp({ ...current, status } as KubeObject, ctx, generation));
    }
    case 'bind': {
      const pod = current as Pod;
      if (pod.spec.nodeName !== undefined) {
        return { ok: false, error: conflict('Pod', req.name, `pod ${req.name} is already assigned to node ${JSON.stringify(pod.spec.nodeName)}`) };
      }
      const conditions = setCondition(pod.status?.conditions, { type: 'PodScheduled', status: 'True' }, ctx.now);
      const bound: Pod = { ...pod, spec: { ...pod.spec, nodeName: req.node }, status: { ...pod.status, conditions } };
      return commit('MODIFIED', stamp(bound, ctx, generation));
    }
    case 'delete': {
      if (current.kind === 'Pod' && current.spec.nodeName !== undefined) {
        const grace = req.gracePeriodSeconds ?? current.spec.terminationGracePeriodSeconds ?? 30;
        // A pod on a node ends gracefully: marked Terminating, its kubelet stops it and deletes it with grace 0.
        if (grace > 0 && current.status?.phase !== 'Failed' && current.status?.phase !== 'Succeeded') {
          if (current.metadata.deletionTimestamp !== undefined) return { ok: true, event: { type: 'MODIFIED', object: current } };
          const metadata = { ...current.metadata, deletionTimestamp: toRFC3339(ctx.now + grace * 1000), deletionGracePeriodSeconds: grace };
          return commit('MODIFIED', stamp({ ...current, metadata }, ctx, generation));
        }
      }
      return commit('DELETED', stamp(current, ctx, generation));
    }
  }
}
