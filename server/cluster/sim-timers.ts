/** shared/sim timers as BullMQ-backed SimTimers: the sim Timer travels as the payload. */
import { z } from 'zod';
import { TIMER_KINDS, type Timer, type TimerKind } from '@shared/sim';
import type { SimTimer } from '../jobs/sim-timer';

const timerKinds = Object.keys(TIMER_KINDS) as [TimerKind, ...TimerKind[]];

export const simTimerPayload: z.ZodType<Timer> = z.object({
  kind: z.enum(timerKinds),
  id: z.string(),
  dueAt: z.number(),
  node: z.string().optional(),
  namespace: z.string().optional(),
  pod: z.string().optional(),
  callId: z.string().optional(),
  containerId: z.string().optional(),
});

/** The sim timer id (it includes dueAt) is the key: the handlers re-read the cluster, so a superseded timer only wakes a pass that finds nothing to do. */
export function toSimTimer(timer: Timer): SimTimer {
  const payload = Object.fromEntries(Object.entries(timer).filter(([, v]) => v !== undefined)) as Record<string, string | number>;
  return { kind: timer.kind, key: timer.id, dueAt: timer.dueAt, payload };
}

export const SIM_TIMER_KINDS = timerKinds;
