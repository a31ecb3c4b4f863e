/** One entry point per role: the bot's pass, i.e. the requests it wants made now. */
import type { SimTime } from '@shared/model';
import type { ParsedRole } from '@shared/protocol';
import { reconcileControllerManager } from './controllers/controller-manager';
import { reconcileKubelet } from './kubelet/kubelet';
import { reconcileProxy } from './proxy/proxy';
import type { Step } from './requests';
import type { Rng } from './rng';
import { reconcileRuntime } from './runtime/runtime';
import { reconcileScheduler } from './scheduler/scheduler';
import type { ClusterState } from './state';

export function reconcile(role: ParsedRole, state: ClusterState, now: SimTime, rng: Rng): Step[] {
  switch (role.component) {
    case 'scheduler':
      return reconcileScheduler(state, now, rng);
    case 'controller-manager':
      return reconcileControllerManager(state, now, rng);
    case 'kube-proxy':
      return reconcileProxy(state, role.node, now);
    case 'kubelet':
      return reconcileKubelet(state, role.node, now);
    case 'container-runtime':
      return reconcileRuntime(state, role.node, now);
  }
}
