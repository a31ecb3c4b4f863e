/**
 * A new classroom's cluster, created the first time anyone connects to it: one worker Node per name
 * in the classroom's `nodes` list (registered, Ready, with its node Lease, container runtime and
 * kube-proxy table), and — classrooms have no scenario catalogue yet — the first round's demo
 * workload: Deployment `web` (3 replicas of nginx) and Service `web` in front of it. Nothing else
 * exists: the controller manager must create the ReplicaSet and its pods, the scheduler bind them,
 * the kubelets start them. It runs only on an empty store (resourceVersion 0), so a later deletion
 * by the instructor is never undone; two processes racing here meet AlreadyExists and move on.
 * A node the instructor adds later gets the same objects (`bootstrapNode`).
 */
import {
  NODE_LEASE_NAMESPACE,
  makeContainerRuntime,
  makeDeployment,
  makeLease,
  makeNode,
  makeProxyTable,
  makeService,
  validateObjectOfKind,
  type KubeObject,
  type SimTime,
} from '@shared/model';
import { NODE_LEASE_DURATION_SECONDS } from '@shared/sim';
import { isApiError, type ObjectStore } from '../store';
import type { ClusterClaims } from './cluster-claim';

export const DEMO_APP = 'web';
export const DEMO_REPLICAS = 3;
export const BOOTSTRAP_ACTOR = 'system:bootstrap';

/** A worker node's resources; an omitted one is the default of `makeNode` (2 CPUs, 4Gi). */
export interface NodeCapacity {
  cpu?: string;
  memory?: string;
}

/**
 * Why the API server would refuse a Node of this capacity (`status.capacity[cpu]: Invalid value:
 * "2 cores": quantities must match…`), or undefined when it is fine; checked before anything is written.
 */
export function capacityError(capacity: NodeCapacity): string | undefined {
  const checked = validateObjectOfKind('Node', makeNode('new-node', capacity));
  if (checked.ok) return undefined;
  const causes = checked.error.details?.causes?.filter((c) => c.field?.startsWith('status.capacity')) ?? [];
  return causes.length ? causes.map((c) => `${c.field ?? ''}: ${c.message ?? ''}`).join('; ') : checked.message;
}

/** 10.244.0.0/24, 10.244.1.0/24, … then 10.245.0.0/24 after 256 nodes (a classroom may have up to 1,000). */
export const nodePodCIDR = (index: number): string => `10.${244 + Math.floor(index / 256)}.${index % 256}.0/24`;
/** 192.168.0.2 … 192.168.0.251, then 192.168.1.2 … (never .0, .1 or above .251). */
export const nodeInternalIP = (index: number): string => `192.168.${Math.floor(index / 250)}.${(index % 250) + 2}`;

/**
 * One worker node as it registers: the Node (Ready, its pod CIDR and address from its position in
 * the classroom's node list), its node Lease, its container runtime and its kube-proxy table.
 */
export function nodeObjects(name: string, index: number, now: SimTime, { cpu, memory }: NodeCapacity = {}): KubeObject[] {
  return [
    makeNode(name, { now, podCIDR: nodePodCIDR(index), internalIP: nodeInternalIP(index), cpu, memory }),
    makeLease(name, NODE_LEASE_NAMESPACE, name, NODE_LEASE_DURATION_SECONDS, now),
    makeContainerRuntime(name),
    makeProxyTable(name),
  ];
}

export function bootstrapObjects(nodes: readonly string[], now: SimTime): KubeObject[] {
  return [
    ...nodes.flatMap((name, i) => nodeObjects(name, i, now)),
    makeDeployment(DEMO_APP, { replicas: DEMO_REPLICAS, image: 'nginx:1.27', requests: { cpu: '250m', memory: '64Mi' }, port: 80 }),
    makeService(DEMO_APP, { app: DEMO_APP }, 80),
  ];
}

/** Creates each object as the bootstrap actor; one that already exists (another process, the instructor) stays. */
async function createAll(store: ObjectStore, classroomId: string, objects: readonly KubeObject[], now: SimTime): Promise<void> {
  for (const object of objects) {
    try {
      await store.create(classroomId, object, { actor: BOOTSTRAP_ACTOR, simTime: now });
    } catch (error) {
      if (!isApiError(error, 'AlreadyExists')) throw error;
    }
  }
}

/**
 * Creates the classroom's first cluster unless one was built (a scenario's, another process's
 * bootstrap) or the store holds objects; true when this call created it. The build is claimed, so
 * a round's cluster built at the same moment in another process is never mixed with this one.
 */
export async function bootstrapCluster(store: ObjectStore, claims: ClusterClaims, classroomId: string, nodes: readonly string[], now: SimTime): Promise<boolean> {
  return claims.bootstrap(
    classroomId,
    async () => (await store.list(classroomId, 'Node')).resourceVersion === '0',
    () => createAll(store, classroomId, bootstrapObjects(nodes, now), now),
  );
}

/** The first round's objects written again over an emptied store (a reset, inside its own claim). */
export async function createBootstrapObjects(store: ObjectStore, classroomId: string, nodes: readonly string[], now: SimTime): Promise<void> {
  await createAll(store, classroomId, bootstrapObjects(nodes, now), now);
}

/** A node joining a running cluster (the instructor's "add a node"): the same objects as the first nodes'. */
export async function bootstrapNode(store: ObjectStore, classroomId: string, name: string, index: number, now: SimTime, capacity: NodeCapacity = {}): Promise<void> {
  await createAll(store, classroomId, nodeObjects(name, index, now, capacity), now);
}
