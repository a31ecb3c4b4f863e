/** A shared/sim timer as the payload of a BullMQ job booked by an earlier version (see timer-handlers.ts). */
import { z } from 'zod';
import { TIMER_KINDS, type Timer, type TimerKind } from '@shared/sim';

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

export const SIM_TIMER_KINDS = timerKinds;
