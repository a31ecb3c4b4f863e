/** What to do when a timer fires: the world's own step, or the woken component's pass. */
import type { SimTime } from '@shared/model';
import { reconcileNodeLifecycle } from './controllers/node-lifecycle';
import { reconcileKubelet } from './kubelet/kubelet';
import { reconcileProxy } from './proxy/proxy';
import type { Step } from './requests';
import type { Rng } from './rng';
import { advanceRuntime } from './runtime/runtime';
import type { ClusterState } from './state';
import type { Timer } from './timers';

export function onTimer(state: ClusterState, timer: Timer, now: SimTime, rng: Rng): Step[] {
  const node = timer.node ?? '';
  switch (timer.kind) {
    case 'criCallDue':
    case 'containerExit':
      return advanceRuntime(state, node, now);
    case 'readinessProbe':
    case 'livenessProbe':
    case 'backOffEnd':
    case 'leaseRenew':
      return reconcileKubelet(state, node, now);
    case 'nodeMonitor':
    case 'tolerationExpired':
      return reconcileNodeLifecycle(state, now, rng, [node]);
    case 'proxySync':
      return reconcileProxy(state, node, now);
  }
}
