/**
 * Hands seats back when their grace period ends (the shared hand-back timers, a sorted set by
 * graceUntil, see repository.ts). A timer is set for the soonest one and moved up when this
 * process schedules an earlier one, instead of polling: an idle process asks Redis nothing in
 * between. A hand-back scheduled by another process is seen at the latest after `idleMs`; its
 * own process hands it back on time anyway, and every process looks again after `idleMs`, so a
 * seat whose process died meanwhile is handed back at most `idleMs` late.
 */
import type { Logger } from '../logger';
import type { ClassroomRepository, HandBack } from './repository';

/** The longest the timer sleeps without asking Redis for the soonest hand-back. */
export const HAND_BACK_IDLE_MS = 2000;
/** After a failed pass (Redis away): the next try. */
const RETRY_MS = 500;

export interface HandBackTimerOptions {
  classrooms: Pick<ClassroomRepository, 'takeDueHandBacks' | 'nextHandBackAt' | 'onHandBackScheduled'>;
  logger: Logger;
  /** Tells everyone of the seats handed back. */
  announce(handBacks: HandBack[]): Promise<void>;
  idleMs?: number;
}

/** Starts the timer; the returned function stops it (after a pass under way). */
export function startHandBackTimer({ classrooms, logger, announce, idleMs = HAND_BACK_IDLE_MS }: HandBackTimerOptions): () => Promise<void> {
  let stopped = false;
  let failing = false;
  let timer: NodeJS.Timeout | undefined;
  let wakeAt = Infinity;
  let running: Promise<void> = Promise.resolve();

  /** Wakes at `at` (wall ms) unless already due to wake sooner; never later than `idleMs` from now. */
  const arm = (at: number): void => {
    if (stopped) return;
    const when = Math.min(at, Date.now() + idleMs);
    if (timer !== undefined && wakeAt <= when) return;
    clearTimeout(timer);
    wakeAt = when;
    timer = setTimeout(pass, Math.max(0, when - Date.now()));
  };

  function pass(): void {
    timer = undefined;
    wakeAt = Infinity;
    running = running
      .then(async () => {
        // The soonest first: an idle pass (none due) is one read.
        let next = await classrooms.nextHandBackAt();
        if (next !== null && next <= Date.now()) {
          await announce(await classrooms.takeDueHandBacks());
          next = await classrooms.nextHandBackAt();
        }
        if (failing) logger.info('seat hand-back timer: working again');
        failing = false;
        arm(next ?? Infinity);
      })
      .catch((error: unknown) => {
        if (!failing) logger.warn({ err: error }, 'seat hand-back timer failed; retrying');
        failing = true;
        arm(Date.now() + RETRY_MS);
      });
  }

  const unlisten = classrooms.onHandBackScheduled((graceUntil) => arm(graceUntil));
  arm(Date.now());
  return async () => {
    stopped = true;
    unlisten();
    clearTimeout(timer);
    await running;
  };
}
