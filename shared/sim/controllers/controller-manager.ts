/** kube-controller-manager: its controllers, run one after the other on the same state. */
import type { SimTime } from '@shared/model';
import type { Step } from '../requests';
import type { Rng } from '../rng';
import type { ClusterState } from '../state';
import { reconcileDeployments } from './deployment';
import { reconcileEndpoints } from './endpoints';
import { reconcileGarbageCollector } from './garbage-collector';
import { reconcileNodeLifecycle } from './node-lifecycle';
import { reconcileReplicaSets } from './replicaset';

/** What the controllers should look at; a missing field means "everything". */
export interface ControllerScope {
  deployments?: Iterable<string>;
  replicaSets?: Iterable<string>;
  nodes?: Iterable<string>;
  services?: Iterable<string>;
  /** Objects (`objectHandle`s) whose owners or dependents changed, for the garbage collector. */
  garbage?: Iterable<string>;
}

export function reconcileControllerManager(state: ClusterState, now: SimTime, rng: Rng, scope: ControllerScope = {}): Step[] {
  return [
    ...reconcileDeployments(state, now, rng, scope.deployments),
    ...reconcileReplicaSets(state, now, rng, scope.replicaSets),
    ...reconcileNodeLifecycle(state, now, rng, scope.nodes),
    ...reconcileEndpoints(state, now, scope.services),
    ...reconcileGarbageCollector(state, now, scope.garbage),
  ];
}
