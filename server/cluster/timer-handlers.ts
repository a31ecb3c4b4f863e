/**
 * What a shared/sim timer does when it fires (the owner's LocalTimers). World timers (a CRI call finishing, a process
 * exiting) are time passing on the machine and apply whoever plays the role. The others wake a
 * component: its bot, which then plays its next moves through the API server like any player; a
 * student notices the moment on their screen, so then nothing is written for them.
 */
import type { Role } from '@shared/protocol';
import { TIMER_KINDS, onTimer, type Timer } from '@shared/sim';
import type { SimTimer } from '../jobs/sim-timer';
import { CONFLICT_RETRIES, type ClusterRuntime } from './cluster-runtime';
import { kubeletStopped } from './faults';
import { SIM_TIMER_KINDS, simTimerPayload } from './sim-timers';

/** The role whose component the timer belongs to: the one it wakes, or whose machine it runs on. */
function roleOf(timer: Timer): Role | null {
  const { component } = TIMER_KINDS[timer.kind];
  if (component === 'kubelet' || component === 'container-runtime' || component === 'kube-proxy') return timer.node === undefined ? null : `${component}:${timer.node}`;
  return component;
}

/** Wakes the bot of `role` (it plays only if it holds the seat). */
export type WakeBot = (classroomId: string, role: Role) => Promise<void>;

export async function fireSimTimer(runtime: ClusterRuntime, wake: WakeBot, classroomId: string, timer: Timer): Promise<void> {
  const role = roleOf(timer);
  if (!TIMER_KINDS[timer.kind].world) {
    if (role !== null) await wake(classroomId, role);
    return;
  }
  await runtime.exclusive(classroomId, role ?? timer.kind, async () => {
    const moment = await runtime.moment(classroomId);
    if (!moment || moment.view.phase === 'closed') return;
    let now = Math.max(timer.dueAt, moment.now);
    let written = 0;
    for (let attempt = 0; ; attempt++) {
      const state = await runtime.state(classroomId);
      // The machine is down: its runtime's pending steps die with it.
      if (timer.node !== undefined && kubeletStopped(state, timer.node)) return;
      const steps = onTimer(state, timer, now, runtime.rng(classroomId, state, `${timer.kind}/${timer.dueAt}`));
      const outcome = await runtime.apply(classroomId, steps, { actor: `system:${timer.kind}`, simTime: now });
      written += outcome.written.length;
      // The kubelet sent a call between our read and our write: time passed all the same, so the
      // call finishes on the object as it is now (else only the sweep would find it seconds later).
      if (outcome.refusal?.code !== 'Conflict' || attempt >= CONFLICT_RETRIES) break;
      await runtime.catchUp(classroomId);
      // Stamped after the write that won, so the log's simulated times stay in order.
      now = Math.max(timer.dueAt, runtime.momentOf(moment.view).now);
    }
    if (role !== null) runtime.automaticWork?.(moment.view, role, written);
  });
}

/** A sim timer booked as a BullMQ job by an earlier version of the server still fires. */
export function registerSimTimerHandlers(runtime: ClusterRuntime, wake: WakeBot): void {
  const fire = (classroomId: string, fired: SimTimer): Promise<void> => fireSimTimer(runtime, wake, classroomId, simTimerPayload.parse(fired.payload));
  for (const kind of SIM_TIMER_KINDS) runtime.timers.onTimer(kind, fire);
}
