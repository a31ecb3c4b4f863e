/**
 * What a shared/sim timer does when BullMQ fires it. World timers (a CRI call finishing, a process
 * exiting) are time passing on the machine and apply whoever plays the role. The others wake a
 * component: its bot when the bot plays it; a student notices the moment themselves, so then
 * nothing is written for them.
 */
import { TIMER_KINDS, onTimer, type Timer } from '@shared/sim';
import type { Role } from '@shared/protocol';
import type { SimTimer } from '../jobs/sim-timer';
import type { ClusterRuntime } from './cluster-runtime';
import { kubeletStopped } from './faults';
import { SIM_TIMER_KINDS, simTimerPayload } from './sim-timers';

/** The role whose component the timer belongs to: the one it wakes, or whose machine it runs on. */
function roleOf(timer: Timer): Role | null {
  const { component } = TIMER_KINDS[timer.kind];
  if (component === 'kubelet' || component === 'container-runtime') return timer.node === undefined ? null : `${component}:${timer.node}`;
  return component;
}

async function fire(runtime: ClusterRuntime, classroomId: string, fired: SimTimer): Promise<void> {
  const timer = simTimerPayload.parse(fired.payload);
  const role = roleOf(timer);
  await runtime.exclusive(classroomId, role ?? timer.kind, async () => {
    const moment = await runtime.moment(classroomId);
    if (!moment || moment.view.phase === 'closed') return;
    let actor = `system:${timer.kind}`;
    if (!TIMER_KINDS[timer.kind].world) {
      if (moment.view.seats.find((s) => s.role === role)?.bot !== 'playing') return;
      actor = `bot:${role}`;
    }
    const now = Math.max(timer.dueAt, moment.now);
    const state = await runtime.state(classroomId);
    const { component } = TIMER_KINDS[timer.kind];
    // The machine is down: its kubelet's and runtime's pending steps die with it.
    if ((component === 'kubelet' || component === 'container-runtime') && timer.node !== undefined && kubeletStopped(state, timer.node)) return;
    const steps = onTimer(state, timer, now, runtime.rng());
    await runtime.apply(classroomId, steps, { actor, simTime: now });
  });
}

export function registerSimTimerHandlers(runtime: ClusterRuntime): void {
  for (const kind of SIM_TIMER_KINDS) runtime.timers.onTimer(kind, (classroomId, timer) => fire(runtime, classroomId, timer));
}
