/**
 * One `shared/sim` ApiRequest written through the Redis store. Every rule of the write (binding,
 * graceful pod deletion, the status subresource, preconditions) is shared/sim/admission's, the
 * same the deterministic harness applies; the store reads the object, admits the request and
 * commits the result with one compare-and-swap, so each request is one version and one log entry
 * (a bind is spec.nodeName and PodScheduled=True together; a runtime update is spec and status).
 */
import type { KubeObject, Persisted } from '@shared/model';
import type { ApiRequest } from '@shared/sim';
import type { ObjectStore, WriteContext } from '../store';

/** Writes one request; resolves to the stored object (the last state of a deleted one). Refusals throw ApiError. */
export function writeRequest(store: ObjectStore, classroom: string, req: ApiRequest, context: WriteContext): Promise<Persisted<KubeObject>> {
  return store.apply(classroom, req, context);
}
