/**
 * Who may do what through the Kubernetes API, in the game's roles (the API server's authorizer):
 * every member reads; the instructor does anything in the classroom; the scheduler binds pods; a
 * kubelet writes only the status of its own node's pods and its own node Lease. A denial is worded
 * as Kubernetes' authorizer words it (`User "Ada" cannot delete resource "pods" in API group "" in
 * the namespace "default"`), followed by the game's reason.
 */
import { NODE_LEASE_NAMESPACE, forbidden, type KubeObject } from '@shared/model';
import { parseRole, type Identity } from '@shared/protocol';
import type { DiscoveredResource, ServedResource } from './resources';

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

export interface Attributes {
  verb: Verb;
  resource: ServedResource;
  subresource?: string | undefined;
  namespace?: string | undefined;
  name?: string | undefined;
}

const READS: ReadonlySet<Verb> = new Set(['get', 'list', 'watch']);

/** The Kubernetes user a member acts as: their name in the classroom. */
export const userOf = (identity: Identity): string => identity.name;

/** Why this member may not make this request (the authorizer's reason), or null when they may. `current` is the stored object, when there is one. */
export function denial(identity: Identity, attrs: Omit<Attributes, 'resource'> & { resource: Pick<DiscoveredResource, 'plural'> }, current?: KubeObject): string | null {
  if (READS.has(attrs.verb) || identity.kind === 'instructor') return null;
  if (identity.kind === 'display') return "the host screen's token only reads";
  const role = identity.role === null ? null : parseRole(identity.role);
  const what = `${attrs.resource.plural}${attrs.subresource ? `/${attrs.subresource}` : ''}`;
  const writesStatus = attrs.verb === 'update' || attrs.verb === 'patch';
  if (role?.component === 'scheduler' && what === 'pods/binding' && attrs.verb === 'create') return null;
  if (role?.component === 'kubelet') {
    if (what === 'pods/status' && writesStatus && current?.kind === 'Pod' && current.spec.nodeName === role.node) return null;
    if (what === 'leases' && writesStatus && attrs.namespace === NODE_LEASE_NAMESPACE && attrs.name === role.node) return null;
    return `a kubelet writes only the status of the pods on its own node ${role.node} and its own Lease ${NODE_LEASE_NAMESPACE}/${role.node}`;
  }
  if (identity.role === null) return 'you have no role yet: every member may read, and your role decides what else you may do';
  if (role?.component === 'scheduler') return 'the scheduler only binds pods to nodes (pods/binding)';
  return `${identity.role} may read the cluster; its changes go through the game's moves`;
}

/** The Forbidden Status for a denied request (k8s.io/apiserver responsewriters.forbiddenMessage, then the reason). */
export function forbiddenStatus(identity: Identity, attrs: Attributes, reason: string) {
  const resource = `${attrs.resource.plural}${attrs.subresource ? `/${attrs.subresource}` : ''}`;
  const scope = attrs.resource.namespaced && attrs.namespace ? `in the namespace ${JSON.stringify(attrs.namespace)}` : 'at the cluster scope';
  const message = `User ${JSON.stringify(userOf(identity))} cannot ${attrs.verb} resource ${JSON.stringify(resource)} in API group ${JSON.stringify(attrs.resource.group)} ${scope}: ${reason}`;
  return forbidden(attrs.resource.kind, attrs.name ?? '', message);
}

