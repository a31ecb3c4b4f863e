/**
 * The kinds ClusterPlay serves, and what the API server needs to know about each:
 * apiVersion, resource name (as it appears in API messages), scope, schema.
 */
import { z } from 'zod';
import { NodeSchema, type Node } from './node';
import { PodSchema, type Pod } from './pod';
import { DeploymentSchema, ReplicaSetSchema, type Deployment, type ReplicaSet } from './workloads';
import { EndpointsSchema, ServiceSchema, type Endpoints, type Service } from './service';
import { EventSchema, type Event } from './event';
import { LeaseSchema, type Lease } from './lease';
import { PriorityClassSchema, type PriorityClass } from './priority-class';
import { CLUSTERPLAY_API_VERSION, ContainerRuntimeSchema, ProxyTableSchema, type ContainerRuntime, type ProxyTable } from './node-local';
import type { ObjectMeta } from './schemas-common';

export const KINDS = ['Node', 'Pod', 'Deployment', 'ReplicaSet', 'Service', 'Endpoints', 'Event', 'Lease', 'PriorityClass', 'ContainerRuntime', 'ProxyTable'] as const;
export type Kind = (typeof KINDS)[number];

export type KubeObject = Node | Pod | Deployment | ReplicaSet | Service | Endpoints | Event | Lease | PriorityClass | ContainerRuntime | ProxyTable;
export type ObjectOfKind<K extends Kind> = Extract<KubeObject, { kind: K }>;

export const API_VERSION = {
  Node: 'v1',
  Pod: 'v1',
  Deployment: 'apps/v1',
  ReplicaSet: 'apps/v1',
  Service: 'v1',
  Endpoints: 'v1',
  Event: 'v1',
  Lease: 'coordination.k8s.io/v1',
  PriorityClass: 'scheduling.k8s.io/v1',
  ContainerRuntime: CLUSTERPLAY_API_VERSION,
  ProxyTable: CLUSTERPLAY_API_VERSION,
} as const satisfies Record<Kind, string>;

/** The group-qualified resource, as Kubernetes names it in messages (`pods "web-1" not found`). */
export const RESOURCE = {
  Node: 'nodes',
  Pod: 'pods',
  Deployment: 'deployments.apps',
  ReplicaSet: 'replicasets.apps',
  Service: 'services',
  Endpoints: 'endpoints',
  Event: 'events',
  Lease: 'leases.coordination.k8s.io',
  PriorityClass: 'priorityclasses.scheduling.k8s.io',
  ContainerRuntime: 'containerruntimes.clusterplay.dev',
  ProxyTable: 'proxytables.clusterplay.dev',
} as const satisfies Record<Kind, string>;
export type Resource = (typeof RESOURCE)[Kind];

export const NAMESPACED = {
  Node: false,
  Pod: true,
  Deployment: true,
  ReplicaSet: true,
  Service: true,
  Endpoints: true,
  Event: true,
  Lease: true,
  PriorityClass: false,
  // One per node, named after it, like the Node itself.
  ContainerRuntime: false,
  ProxyTable: false,
} as const satisfies Record<Kind, boolean>;

export const OBJECT_SCHEMAS = {
  Node: NodeSchema,
  Pod: PodSchema,
  Deployment: DeploymentSchema,
  ReplicaSet: ReplicaSetSchema,
  Service: ServiceSchema,
  Endpoints: EndpointsSchema,
  Event: EventSchema,
  Lease: LeaseSchema,
  PriorityClass: PriorityClassSchema,
  ContainerRuntime: ContainerRuntimeSchema,
  ProxyTable: ProxyTableSchema,
} as const satisfies Record<Kind, z.ZodType>;

/** Validates any object of a served kind (discriminated on `kind`). Prefer `validateObject` for API messages. */
export const KubeObjectSchema = z.discriminatedUnion('kind', [
  NodeSchema,
  PodSchema,
  DeploymentSchema,
  ReplicaSetSchema,
  ServiceSchema,
  EndpointsSchema,
  EventSchema,
  LeaseSchema,
  PriorityClassSchema,
  ContainerRuntimeSchema,
  ProxyTableSchema,
]);

export function objectSchema<K extends Kind>(kind: K): (typeof OBJECT_SCHEMAS)[K] {
  return OBJECT_SCHEMAS[kind];
}

export function isKind(value: unknown): value is Kind {
  return typeof value === 'string' && (KINDS as readonly string[]).includes(value);
}

export function isNamespaced(kind: Kind): boolean {
  return NAMESPACED[kind];
}

/** `Pod`, `Deployment.apps`, `Lease.coordination.k8s.io`: the kind as `X "name" is invalid` names it. */
export function qualifiedKind(kind: Kind): string {
  const apiVersion: string = API_VERSION[kind];
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? kind : `${kind}.${apiVersion.slice(0, slash)}`;
}

export function isKindOf<K extends Kind>(obj: KubeObject, kind: K): obj is ObjectOfKind<K> {
  return obj.kind === kind;
}

/** The cache key Kubernetes uses (MetaNamespaceKeyFunc): `namespace/name`, or `name` when cluster-scoped. */
export function objectKey(obj: { metadata: Pick<ObjectMeta, 'name' | 'namespace'> }): string {
  return obj.metadata.namespace ? `${obj.metadata.namespace}/${obj.metadata.name}` : obj.metadata.name;
}

/** An object as the store returns it: the server-set metadata fields are present. */
export type Persisted<T extends KubeObject> = T & {
  metadata: T['metadata'] & { uid: string; resourceVersion: string; creationTimestamp: string };
};

export function isPersisted<T extends KubeObject>(obj: T): obj is Persisted<T> {
  const m = obj.metadata;
  return m.uid !== undefined && m.resourceVersion !== undefined && m.creationTimestamp !== undefined;
}
