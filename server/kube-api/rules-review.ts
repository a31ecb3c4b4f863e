/**
 * `kubectl auth can-i --list`: a SelfSubjectRulesReview (authorization.k8s.io/v1) answered with the
 * rules authorize.ts enforces, for the member whose token asks, in the namespace the review names.
 * Every member reads every served resource and asks the self reviews; the instructor also writes
 * every stored one (namespaces are read-only for all); a scheduler creates pods/binding; a kubelet
 * updates the status of the pods on its own node (named: the rule holds for those only) and, in
 * kube-node-lease, its own Lease. Nothing is stored; it comes back 201 Created.
 */
import { z } from 'zod';
import { NODE_LEASE_NAMESPACE, badRequest, type KubeObject } from '@shared/model';
import { parseRole, type Identity } from '@shared/protocol';
import { ApiError } from '../store';
import { NAMESPACES, SELF_SUBJECT_ACCESS_REVIEW, SELF_SUBJECT_REVIEW, SELF_SUBJECT_RULES_REVIEW, SERVED, type DiscoveredResource } from './resources';

const ReviewSchema = z.object({
  apiVersion: z.literal('authorization.k8s.io/v1'),
  kind: z.literal('SelfSubjectRulesReview'),
  spec: z.object({ namespace: z.string().optional() }).optional(),
});

interface ResourceRule {
  verbs: string[];
  apiGroups: string[];
  resources: string[];
  resourceNames?: string[];
}

const READS = ['get', 'list', 'watch'];
const WRITES = ['create', 'delete', 'deletecollection', 'patch', 'update'];

/** The resource and its subresources, as rules name them (`pods`, `pods/status`). */
const withSubresources = (r: DiscoveredResource): string[] => [r.plural, ...r.subresources.map((sub) => `${r.plural}/${sub}`)];

/** One rule per API group, the groups in discovery's order. */
function byGroup(resources: readonly DiscoveredResource[], verbs: string[]): ResourceRule[] {
  const groups = [...new Set(resources.map((r) => r.group))];
  return groups.map((group) => ({ verbs, apiGroups: [group], resources: resources.filter((r) => r.group === group).flatMap(withSubresources) }));
}

/** The pods on this node in the namespace, by name: the ones whose status its kubelet writes. */
export type PodsOnNode = (node: string, namespace: string) => readonly KubeObject[];

function rulesOf(identity: Identity, namespace: string, podsOn: PodsOnNode): ResourceRule[] {
  const reviews = byGroup([SELF_SUBJECT_REVIEW, SELF_SUBJECT_ACCESS_REVIEW, SELF_SUBJECT_RULES_REVIEW], ['create']);
  const rules = [...reviews, ...byGroup([...SERVED, NAMESPACES], READS)];
  if (identity.kind === 'instructor') return [...rules, ...byGroup(SERVED, WRITES)];
  if (identity.kind !== 'student' || identity.role === null) return rules;
  const role = parseRole(identity.role);
  if (role?.component === 'scheduler') rules.push({ verbs: ['create'], apiGroups: [''], resources: ['pods/binding'] });
  if (role?.component === 'kubelet') {
    const pods = podsOn(role.node, namespace).map((p) => p.metadata.name);
    if (pods.length) rules.push({ verbs: ['patch', 'update'], apiGroups: [''], resources: ['pods/status'], resourceNames: pods });
    if (namespace === NODE_LEASE_NAMESPACE) rules.push({ verbs: ['patch', 'update'], apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: [role.node] });
  }
  return rules;
}

/** The review, answered. A body that is not a SelfSubjectRulesReview, or names no namespace, is a bad request (as ValidateSelfSubjectRulesReview). */
export function answerRulesReview(identity: Identity, body: unknown, podsOn: PodsOnNode): object {
  const parsed = ReviewSchema.safeParse(body);
  if (!parsed.success) throw new ApiError(badRequest(`the request body is not a SelfSubjectRulesReview: ${parsed.error.issues[0]?.message ?? ''}`));
  const namespace = parsed.data.spec?.namespace ?? '';
  if (namespace === '') throw new ApiError(badRequest('no namespace on request'));
  return {
    kind: 'SelfSubjectRulesReview',
    apiVersion: 'authorization.k8s.io/v1',
    metadata: { creationTimestamp: null },
    spec: {},
    status: {
      resourceRules: rulesOf(identity, namespace, podsOn),
      nonResourceRules: [{ verbs: READS, nonResourceURLs: ['*'] }],
      incomplete: false,
    },
  };
}
