import { z } from 'zod';
import { simNow, type SimClock } from '@shared/protocol';
import type { SimTime } from '@shared/model/time';

const jsonSchema = z.json();
export type JsonValue = z.infer<typeof jsonSchema>;

/** Something that happens when simulated time reaches `dueAt`: an image pull ends, a heartbeat deadline passes… */
export interface SimTimer {
  /** Which handler runs it, e.g. `imagePulled`. */
  kind: string;
  /** Unique within the classroom; scheduling the same key again replaces the pending timer. */
  key: string;
  dueAt: SimTime;
  payload: JsonValue;
}

/** Runs a timer of one kind; `firedAt` is the classroom's simulated now (never earlier than `dueAt`). */
export type TimerHandler = (classroomId: string, timer: SimTimer, firedAt: SimTime) => Promise<void>;

/** The classroom module owns the clocks; timers only read them. */
export interface ClockSource {
  getClock(classroomId: string): Promise<SimClock>;
}

export const simTimerSchema = z.object({
  kind: z.string().min(1),
  key: z.string().min(1),
  dueAt: z.number().finite(),
  payload: jsonSchema,
});

/** The clock has millisecond resolution: a timer within one simulated ms of its due time is due. */
export function isDue(clock: SimClock, dueAt: SimTime, wallNow: number): boolean {
  return !clock.paused && dueAt - simNow(clock, wallNow) < 1;
}

/**
 * Wall milliseconds until `dueAt` on this clock, rounded up so a timer never fires early;
 * null while the clock stands still (paused, or a scale of zero).
 */
export function wallDelayUntil(clock: SimClock, dueAt: SimTime, wallNow: number): number | null {
  if (clock.paused || !(clock.timeScale > 0)) return null;
  return Math.max(0, Math.ceil((dueAt - simNow(clock, wallNow)) / clock.timeScale));
}
