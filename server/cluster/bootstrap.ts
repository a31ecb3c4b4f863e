/**
 * A new classroom's cluster, created the first time anyone connects to it: one worker Node per name
 * in the classroom's `nodes` list (registered, Ready, with its node Lease, container runtime and
 * kube-proxy table), and — classrooms have no scenario catalogue yet — the first round's demo
 * workload: Deployment `web` (3 replicas of nginx) and Service `web` in front of it. Nothing else
 * exists: the controller manager must create the ReplicaSet and its pods, the scheduler bind them,
 * the kubelets start them. It runs only on an empty store (resourceVersion 0), so a later deletion
 * by the instructor is never undone; two processes racing here meet AlreadyExists and move on.
 */
import {
  NODE_LEASE_NAMESPACE,
  makeContainerRuntime,
  makeDeployment,
  makeLease,
  makeNode,
  makeProxyTable,
  makeService,
  type KubeObject,
  type SimTime,
} from '@shared/model';
import { NODE_LEASE_DURATION_SECONDS } from '@shared/sim';
import { isApiError, type ObjectStore } from '../store';

export const DEMO_APP = 'web';
export const DEMO_REPLICAS = 3;
export const BOOTSTRAP_ACTOR = 'system:bootstrap';

export function bootstrapObjects(nodes: readonly string[], now: SimTime): KubeObject[] {
  const perNode = nodes.flatMap((name, i): KubeObject[] => [
    makeNode(name, { now, podCIDR: `10.244.${i}.0/24`, internalIP: `192.168.0.${i + 2}` }),
    makeLease(name, NODE_LEASE_NAMESPACE, name, NODE_LEASE_DURATION_SECONDS, now),
    makeContainerRuntime(name),
    makeProxyTable(name),
  ]);
  return [
    ...perNode,
    makeDeployment(DEMO_APP, { replicas: DEMO_REPLICAS, image: 'nginx:1.27', requests: { cpu: '250m', memory: '64Mi' }, port: 80 }),
    makeService(DEMO_APP, { app: DEMO_APP }, 80),
  ];
}

/** Creates the cluster if the classroom's store is still empty (or always: a reset); true when this call created it. */
export async function bootstrapCluster(store: ObjectStore, classroomId: string, nodes: readonly string[], now: SimTime, { onlyIfEmpty = true } = {}): Promise<boolean> {
  const { resourceVersion } = await store.list(classroomId, 'Node');
  if (onlyIfEmpty && resourceVersion !== '0') return false;
  for (const object of bootstrapObjects(nodes, now)) {
    try {
      await store.create(classroomId, object, { actor: BOOTSTRAP_ACTOR, simTime: now });
    } catch (error) {
      if (!isApiError(error, 'AlreadyExists')) throw error;
    }
  }
  return true;
}
