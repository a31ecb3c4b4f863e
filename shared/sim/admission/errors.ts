/** The refusals only the write rules give, in the words of Kubernetes' registry and storage. */
import { RESOURCE, badRequest, conflict, type Kind, type StatusError } from '@shared/model';

/**
 * 409 on `pods/binding` (BindingREST wraps its own refusals as a Conflict on the subresource):
 * `Operation cannot be fulfilled on pods/binding "web-1": pod web-1 is already assigned to node "node-2"`.
 */
export function bindingConflict(pod: string, detail: string): StatusError {
  return { ...conflict('Pod', pod, detail), message: `Operation cannot be fulfilled on pods/binding ${JSON.stringify(pod)}: ${detail}`, details: { name: pod, kind: 'pods/binding' } };
}

/** 409 of a storage precondition (etcd3 Preconditions.Check), as a delete or a binding with a uid meets it. */
export function preconditionFailed(kind: Kind, name: string, field: 'UID' | 'ResourceVersion', asked: string, actual: string | undefined): StatusError {
  return conflict(kind, name, `Precondition failed: ${field} in precondition: ${asked}, ${field} in object meta: ${actual ?? ''}`);
}

export function noStatusSubresource(kind: Kind): StatusError {
  return badRequest(`${RESOURCE[kind]} have no status subresource`);
}

/** 400 when the object sent is not the one the request names (Kubernetes: the name in the body must match the URL's). */
export function targetMismatch(field: 'kind' | 'name' | 'namespace', inBody: string | undefined, inRequest: string | undefined): StatusError {
  return badRequest(`the ${field} of the object (${inBody ?? ''}) does not match the ${field} of the request (${inRequest ?? ''})`);
}
