/**
 * The resources this API server serves to kubectl and client-go, in discovery's words: each
 * Kind's plural, singular, group, version, scope, short names, verbs and subresources. One table
 * feeds discovery, routing, authorization messages and tables.
 */
import type { Kind } from '@shared/model';

/** A resource as discovery lists it. */
export interface DiscoveredResource {
  kind: string;
  /** `pods` */
  plural: string;
  singular: string;
  /** '' for the core group */
  group: string;
  version: 'v1';
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  subresources: string[];
  verbs: readonly string[];
}

/** A resource the game stores, served with every verb. */
export interface ServedResource extends DiscoveredResource {
  kind: Extract<Kind, 'Pod' | 'Node' | 'Service' | 'Endpoints' | 'Event' | 'Deployment' | 'ReplicaSet' | 'Lease' | 'PriorityClass'>;
}

const VERBS: readonly string[] = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

export const SERVED: readonly ServedResource[] = [
  { kind: 'Pod', plural: 'pods', singular: 'pod', group: '', version: 'v1', namespaced: true, shortNames: ['po'], categories: ['all'], subresources: ['binding', 'status'], verbs: VERBS },
  { kind: 'Node', plural: 'nodes', singular: 'node', group: '', version: 'v1', namespaced: false, shortNames: ['no'], categories: [], subresources: ['status'], verbs: VERBS },
  { kind: 'Service', plural: 'services', singular: 'service', group: '', version: 'v1', namespaced: true, shortNames: ['svc'], categories: ['all'], subresources: ['status'], verbs: VERBS },
  { kind: 'Endpoints', plural: 'endpoints', singular: 'endpoints', group: '', version: 'v1', namespaced: true, shortNames: ['ep'], categories: [], subresources: [], verbs: VERBS },
  { kind: 'Event', plural: 'events', singular: 'event', group: '', version: 'v1', namespaced: true, shortNames: ['ev'], categories: [], subresources: [], verbs: VERBS },
  { kind: 'Deployment', plural: 'deployments', singular: 'deployment', group: 'apps', version: 'v1', namespaced: true, shortNames: ['deploy'], categories: ['all'], subresources: ['scale', 'status'], verbs: VERBS },
  { kind: 'ReplicaSet', plural: 'replicasets', singular: 'replicaset', group: 'apps', version: 'v1', namespaced: true, shortNames: ['rs'], categories: ['all'], subresources: ['scale', 'status'], verbs: VERBS },
  { kind: 'Lease', plural: 'leases', singular: 'lease', group: 'coordination.k8s.io', version: 'v1', namespaced: true, shortNames: [], categories: [], subresources: [], verbs: VERBS },
  { kind: 'PriorityClass', plural: 'priorityclasses', singular: 'priorityclass', group: 'scheduling.k8s.io', version: 'v1', namespaced: false, shortNames: ['pc'], categories: [], subresources: [], verbs: VERBS },
];

/** `kubectl auth can-i` asks this one; it is answered, never stored (access-review.ts). */
export const SELF_SUBJECT_ACCESS_REVIEW: DiscoveredResource = {
  kind: 'SelfSubjectAccessReview',
  plural: 'selfsubjectaccessreviews',
  singular: 'selfsubjectaccessreview',
  group: 'authorization.k8s.io',
  version: 'v1',
  namespaced: false,
  shortNames: [],
  categories: [],
  subresources: [],
  verbs: ['create'],
};

/** `kubectl auth can-i --list` asks this one; it is answered, never stored (rules-review.ts). */
export const SELF_SUBJECT_RULES_REVIEW: DiscoveredResource = {
  ...SELF_SUBJECT_ACCESS_REVIEW,
  kind: 'SelfSubjectRulesReview',
  plural: 'selfsubjectrulesreviews',
  singular: 'selfsubjectrulesreview',
};

/** `kubectl auth whoami` asks this one; it is answered, never stored (self-review.ts). */
export const SELF_SUBJECT_REVIEW: DiscoveredResource = {
  ...SELF_SUBJECT_ACCESS_REVIEW,
  kind: 'SelfSubjectReview',
  plural: 'selfsubjectreviews',
  singular: 'selfsubjectreview',
  group: 'authentication.k8s.io',
};

/** Served read-only, never stored (namespaces.ts): the verbs are a real cluster's, its authorizer refuses the writes. */
export const NAMESPACES: DiscoveredResource = {
  kind: 'Namespace',
  plural: 'namespaces',
  singular: 'namespace',
  group: '',
  version: 'v1',
  namespaced: false,
  shortNames: ['ns'],
  categories: [],
  subresources: ['finalize', 'status'],
  verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
};

const DISCOVERED: readonly DiscoveredResource[] = [...SERVED, NAMESPACES, SELF_SUBJECT_ACCESS_REVIEW, SELF_SUBJECT_RULES_REVIEW, SELF_SUBJECT_REVIEW];

/** The groups beyond the core one, in the order /apis lists them. */
export const GROUPS = ['apps', 'authentication.k8s.io', 'authorization.k8s.io', 'coordination.k8s.io', 'scheduling.k8s.io'] as const;

export const groupVersion = (group: string): string => (group === '' ? 'v1' : `${group}/v1`);

export function resourceOf(group: string, plural: string): ServedResource | undefined {
  return SERVED.find((r) => r.group === group && r.plural === plural);
}

export function resourceOfKind(kind: Kind): ServedResource | undefined {
  return SERVED.find((r) => r.kind === kind);
}

export const resourcesOfGroup = (group: string): DiscoveredResource[] => DISCOVERED.filter((r) => r.group === group);

/** Kubernetes' version as /version reports it: the client and the lesson speak 1.32. */
export const SERVER_VERSION = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0-clusterplay',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2026-01-01T00:00:00Z',
  goVersion: 'go1.23.4',
  compiler: 'gc',
  platform: 'linux/amd64',
} as const;
