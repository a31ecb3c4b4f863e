/**
 * One `shared/sim` ApiRequest written through the Redis store, with the API server's semantics the
 * store leaves to its callers: binding (the pods/binding subresource) and graceful pod deletion
 * (Terminating first; the kubelet deletes with grace 0 once the containers stopped).
 */
import { conflict, setCondition, toRFC3339, type Kind, type KubeObject, type Persisted, type Pod, type SimTime } from '@shared/model';
import type { ApiRequest } from '@shared/sim';
import { ApiError, hasStatusSubresource, type ObjectRef, type ObjectStore, type WriteContext } from '../store';

function refOf(req: ApiRequest): ObjectRef {
  return { kind: req.kind, name: req.name, ...(req.namespace === undefined ? {} : { namespace: req.namespace }) };
}

/** The object as sent, carrying exactly the precondition the decision was based on (none: latest). */
function withPrecondition(object: KubeObject, resourceVersion: string | undefined): KubeObject {
  const { resourceVersion: _seen, ...metadata } = object.metadata;
  return { ...object, metadata: resourceVersion === undefined ? metadata : { ...metadata, resourceVersion } } as KubeObject;
}

/**
 * Kinds whose `update` keeps the stored status in shared/sim's API server (as in Kubernetes). The
 * node-local kinds (ContainerRuntime, ProxyTable) have a status in the store but the loops write
 * them whole with `update`.
 */
const SIM_STATUS_SUBRESOURCE = new Set<Kind>(['Pod', 'Node', 'Deployment', 'ReplicaSet', 'Service']);

/** `update` of a whole node-local object: the main resource, then its status, each on the version the previous left. */
async function updateWhole(store: ObjectStore, classroom: string, object: KubeObject, resourceVersion: string | undefined, context: WriteContext): Promise<Persisted<KubeObject>> {
  const main = await store.update(classroom, withPrecondition(object, resourceVersion), context);
  return store.updateStatus(classroom, withPrecondition(object, main.metadata.resourceVersion), context);
}

/** Writes one request; resolves to the stored object (the last state of a deleted one). Refusals throw ApiError. */
export async function writeRequest(store: ObjectStore, classroom: string, req: ApiRequest, context: WriteContext): Promise<Persisted<KubeObject>> {
  switch (req.verb) {
    case 'create': {
      const { resourceVersion: _rv, ...metadata } = req.object.metadata;
      return store.create(classroom, { ...req.object, metadata } as KubeObject, context);
    }
    case 'update':
      return SIM_STATUS_SUBRESOURCE.has(req.kind) || !hasStatusSubresource(req.kind)
        ? store.update(classroom, withPrecondition(req.object, req.resourceVersion), context)
        : updateWhole(store, classroom, req.object, req.resourceVersion, context);
    case 'updateStatus':
      return store.updateStatus(classroom, withPrecondition(req.object, req.resourceVersion), context);
    case 'bind':
      return bind(store, classroom, req, context);
    case 'delete':
      return remove(store, classroom, req, context);
  }
}

/**
 * pods/binding: sets spec.nodeName only on an unbound pod (409 otherwise, in the binding REST's
 * words), then PodScheduled=True on the status. Two writes, because the store keeps spec and
 * status apart; the first carries the precondition, so a lost race writes nothing.
 */
async function bind(store: ObjectStore, classroom: string, req: Extract<ApiRequest, { verb: 'bind' }>, context: WriteContext): Promise<Persisted<KubeObject>> {
  const pod = await store.get(classroom, { kind: 'Pod', name: req.name, namespace: req.namespace ?? 'default' });
  if (req.resourceVersion !== undefined && pod.metadata.resourceVersion !== req.resourceVersion) throw new ApiError(conflict('Pod', req.name));
  if (pod.spec.nodeName !== undefined) {
    throw new ApiError(conflict('Pod', req.name, `pod ${req.name} is already assigned to node ${JSON.stringify(pod.spec.nodeName)}`));
  }
  const bound = await store.update(classroom, { ...pod, spec: { ...pod.spec, nodeName: req.node } } as Pod, context);
  const conditions = setCondition(bound.status?.conditions, { type: 'PodScheduled', status: 'True' }, context.simTime);
  return store.updateStatus(classroom, { ...bound, status: { ...bound.status, conditions } } as Pod, context);
}

/** A running pod on a node is marked Terminating for its grace period; anything else goes at once. */
async function remove(store: ObjectStore, classroom: string, req: Extract<ApiRequest, { verb: 'delete' }>, context: WriteContext): Promise<Persisted<KubeObject>> {
  const ref = refOf(req);
  if (req.kind === 'Pod') {
    const pod = await store.get(classroom, { ...ref, kind: 'Pod' });
    if (req.resourceVersion !== undefined && pod.metadata.resourceVersion !== req.resourceVersion) throw new ApiError(conflict('Pod', req.name));
    const grace = req.gracePeriodSeconds ?? pod.spec.terminationGracePeriodSeconds ?? 30;
    const finished = pod.status?.phase === 'Failed' || pod.status?.phase === 'Succeeded';
    if (pod.spec.nodeName !== undefined && grace > 0 && !finished) {
      if (pod.metadata.deletionTimestamp !== undefined) return pod;
      const metadata = { resourceVersion: pod.metadata.resourceVersion, deletionTimestamp: toRFC3339(graceEnd(context.simTime, grace)), deletionGracePeriodSeconds: grace };
      return store.patch(classroom, { ...ref, kind: 'Pod' }, { metadata }, context);
    }
    return store.delete(classroom, ref, context, { preconditions: { resourceVersion: pod.metadata.resourceVersion } });
  }
  return store.delete(classroom, ref, context, req.resourceVersion === undefined ? {} : { preconditions: { resourceVersion: req.resourceVersion } });
}

const graceEnd = (now: SimTime, seconds: number): SimTime => now + seconds * 1000;
