/**
 * A Kubernetes API path and method as the request they name (RequestInfo, as the API server's
 * request-info resolver reads it): `/api/v1/namespaces/default/pods/web-1/status` with PUT is
 * an `update` of `pods/status` named `web-1` in `default`.
 */
import { badRequest } from '@shared/model';
import { ApiError } from '../store';
import { resourceOf, type ServedResource } from './resources';
import type { Verb } from './authorize';

export interface KubeRequest {
  verb: Verb;
  resource: ServedResource;
  /** Absent for a cluster-scoped kind, and for a list across every namespace. */
  namespace: string | undefined;
  name: string | undefined;
  subresource: string | undefined;
}

const METHOD_VERB: Record<string, Verb> = { POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };

/** `segments` follow the group version (`pods`, `namespaces/default/pods/web-1`); undefined when no served resource is named. */
export function parseRequest(method: string, group: string, segments: readonly string[], watch: boolean): KubeRequest | undefined {
  let rest = [...segments];
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [plural, name, subresource, ...extra] = rest;
  const resource = plural === undefined ? undefined : resourceOf(group, plural);
  if (!resource || extra.length) return undefined;
  if (subresource !== undefined && !resource.subresources.includes(subresource)) return undefined;
  if (namespace !== undefined && !resource.namespaced) return undefined;
  const verb: Verb | undefined =
    method === 'GET' || method === 'HEAD' ? (watch ? 'watch' : name === undefined ? 'list' : 'get') : name === undefined && method === 'DELETE' ? 'deletecollection' : METHOD_VERB[method];
  if (!verb) throw new ApiError(badRequest(`the method ${method} is not supported`));
  return { verb, resource, namespace: resource.namespaced ? namespace : undefined, name, subresource };
}

/** A query parameter given once, as a string (Express parses repeated ones into arrays). */
export function queryParam(query: Record<string, unknown>, key: string): string | undefined {
  const value = query[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new ApiError(badRequest(`the query parameter ${key} must be given once`));
  return value;
}

export const isTrue = (value: string | undefined): boolean => value === 'true' || value === '1';
