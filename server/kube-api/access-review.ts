/**
 * `kubectl auth can-i`: a SelfSubjectAccessReview (authorization.k8s.io/v1) answered by the same
 * rules every request meets (authorize.ts), for the member whose token asks. Nothing is stored;
 * the review comes back with its status, 201 Created, as the API server answers it. A denial
 * carries no reason, as RBAC's carries none: kubectl prints `no`, as against a real cluster (the
 * Forbidden of an actual write says why).
 */
import { z } from 'zod';
import { badRequest, type KubeObject } from '@shared/model';
import type { Identity } from '@shared/protocol';
import { ApiError } from '../store';
import { denial, type Verb } from './authorize';
import { NAMESPACES, resourceOf, type ServedResource } from './resources';

const ReviewSchema = z.object({
  apiVersion: z.literal('authorization.k8s.io/v1'),
  kind: z.literal('SelfSubjectAccessReview'),
  spec: z.object({
    resourceAttributes: z
      .object({
        namespace: z.string().optional(),
        verb: z.string().optional(),
        group: z.string().optional(),
        version: z.string().optional(),
        resource: z.string().optional(),
        subresource: z.string().optional(),
        name: z.string().optional(),
      })
      .optional(),
    nonResourceAttributes: z.object({ path: z.string().optional(), verb: z.string().optional() }).optional(),
  }),
});

type Review = z.output<typeof ReviewSchema>;
interface Decision {
  allowed: boolean;
  reason?: string;
}

const READS = new Set(['get', 'list', 'watch']);
const VERBS: ReadonlySet<string> = new Set<Verb>(['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection']);

/** The stored object a review names, when it names one (a kubelet may write the status of its own node's pods only). */
export type Lookup = (resource: ServedResource, namespace: string | undefined, name: string) => KubeObject | undefined;

function decide(identity: Identity, spec: Review['spec'], lookup: Lookup): Decision {
  const attrs = spec.resourceAttributes;
  // Namespaces are read-only for everyone (namespaces.ts).
  if (attrs && (attrs.group ?? '') === NAMESPACES.group && attrs.resource === NAMESPACES.plural) return { allowed: READS.has(attrs.verb ?? '') && !attrs.subresource };
  if (identity.kind === 'instructor') return { allowed: true, reason: 'the instructor may do anything in the classroom' };
  if (!attrs) return { allowed: READS.has(spec.nonResourceAttributes?.verb ?? '') };
  const verb = attrs.verb ?? '';
  const resource = resourceOf(attrs.group ?? '', attrs.resource ?? '');
  if (!resource) return { allowed: false };
  if (!VERBS.has(verb)) return { allowed: false };
  const subresource = attrs.subresource || undefined;
  if (subresource !== undefined && !resource.subresources.includes(subresource)) return { allowed: false };
  const namespace = resource.namespaced ? attrs.namespace || undefined : undefined;
  const current = attrs.name ? lookup(resource, namespace, attrs.name) : undefined;
  const denied = denial(identity, { verb: verb as Verb, resource, subresource, namespace, name: attrs.name }, current);
  return { allowed: denied === null };
}

/** The review, answered. A body that is not a SelfSubjectAccessReview is a bad request. */
export function answerReview(identity: Identity, body: unknown, lookup: Lookup): object {
  const parsed = ReviewSchema.safeParse(body);
  if (!parsed.success) throw new ApiError(badRequest(`the request body is not a SelfSubjectAccessReview: ${parsed.error.issues[0]?.message ?? ''}`));
  const { spec } = parsed.data;
  if (!spec.resourceAttributes === !spec.nonResourceAttributes) {
    throw new ApiError(badRequest('spec: Invalid value: exactly one of nonResourceAttributes or resourceAttributes must be specified'));
  }
  return { kind: 'SelfSubjectAccessReview', apiVersion: 'authorization.k8s.io/v1', metadata: {}, spec, status: decide(identity, spec, lookup) };
}
