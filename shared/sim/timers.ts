/**
 * Every timer kind in one place. The loops never sleep: a step that takes simulated time returns a
 * timer (the server keeps it in the classroom owner's memory, the harness in its queue), and `onTimer`
 * says what to do when it fires. `world` timers stand for time passing on the machine (a pull
 * finishing, a process exiting) and apply whoever plays the role; the others wake the role's bot
 * (for a student they are a hint that something is now possible).
 */
import type { SimTime } from '@shared/model';

export type Component = 'scheduler' | 'controller-manager' | 'kubelet' | 'container-runtime' | 'kube-proxy';

export const TIMER_KINDS = {
  criCallDue: { component: 'container-runtime', world: true, about: 'a CRI call the runtime took has finished' },
  containerExit: { component: 'container-runtime', world: true, about: "a container's command exits" },
  readinessProbe: { component: 'kubelet', world: false, about: 'the readiness probe result flips (ready or not ready)' },
  livenessProbe: { component: 'kubelet', world: false, about: 'the liveness probe fails failureThreshold times: kill and restart' },
  backOffEnd: { component: 'kubelet', world: false, about: 'a CrashLoopBackOff / ImagePullBackOff ends' },
  leaseRenew: { component: 'kubelet', world: false, about: 'the node Lease is due for renewal' },
  nodeMonitor: { component: 'controller-manager', world: false, about: 'a node heartbeat deadline passes' },
  tolerationExpired: { component: 'controller-manager', world: false, about: 'a NoExecute toleration runs out: evict' },
  proxySync: { component: 'kube-proxy', world: false, about: 'kube-proxy may program a changed Service' },
} as const satisfies Record<string, { component: Component; world: boolean; about: string }>;

export type TimerKind = keyof typeof TIMER_KINDS;

export interface Timer {
  kind: TimerKind;
  /** Stable identity: the same pending step always has the same id (a timer queue keeps one per id). */
  id: string;
  dueAt: SimTime;
  node?: string;
  namespace?: string;
  pod?: string;
  callId?: string;
  containerId?: string;
}

export function makeTimer(kind: TimerKind, dueAt: SimTime, subject: Omit<Timer, 'kind' | 'id' | 'dueAt'>): Timer {
  const parts = [subject.node, subject.namespace, subject.pod, subject.callId, subject.containerId].filter((p) => p !== undefined);
  return { kind, id: `${kind}:${parts.join('/')}:${dueAt}`, dueAt, ...subject };
}
