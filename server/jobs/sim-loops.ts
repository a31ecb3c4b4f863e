/**
 * Recurring loops in a classroom's simulated time, run by this process alone: the bots' ticks and
 * the kubelets' heartbeat of the classrooms it owns. A loop lost with its process costs nothing to
 * rebuild (the next owner's takeover starts it again, and a pass only looks at the cluster), so it
 * needs no BullMQ job: a job per pass cost about 25-50 Redis commands and, with several processes,
 * landed on any of them and was handed to the owner.
 */
import type { SimTime } from '@shared/model';
import { simNow, type SimClock } from '@shared/protocol';
import type { Logger } from '../logger';
import { isConnectionError, isRedisUnavailable } from '../redis/unavailable';
import { wallDelayUntil } from './sim-timer';

/**
 * One pass of a loop at simulated time `now`; resolves to false when the loop should end, or to
 * `{ nextAt }` when its next pass is due sooner than a period on (a heartbeat's next node).
 */
export type LoopTick = (now: SimTime) => Promise<boolean | { nextAt: SimTime }>;

export interface LoopSchedule {
  clock: SimClock;
  /** Simulated milliseconds from one pass's start to the next. */
  periodMs: number;
}

interface Loop extends LoopSchedule {
  classroomId: string;
  name: string;
  tick: LoopTick;
  dueAt: SimTime;
  timeout: NodeJS.Timeout | undefined;
  /** The `dueAt` the timeout is set for. */
  armedFor: SimTime | null;
  /** The pass under way: a pass that outlasts the period makes the next one pass on (it goes on). */
  running: Promise<void> | null;
}

/** Passes without a Redis failure for this long: the outage is over (said once). */
const REDIS_BACK_AFTER_MS = 10_000;
const sameClock = (a: SimClock, b: SimClock): boolean => a.simAtWall === b.simAtWall && a.wall === b.wall && a.timeScale === b.timeScale && a.paused === b.paused;

export class SimLoops {
  /** By classroom, then by name: the sweep and every classroom change look up one classroom's loops. */
  private readonly loops = new Map<string, Map<string, Loop>>();
  private closed = false;
  /** Redis is unreachable: said once, not at every pass of every loop. */
  private redisDown = false;
  private lastRedisFailure = 0;

  constructor(
    private readonly logger: Logger,
    /** What the loops are, in the log's words. */
    private readonly what = 'bot ticks',
  ) {}

  /**
   * Runs `tick` every period of simulated time, first a period from now (or at `firstAt`). A loop
   * that runs already keeps its tick and takes the new clock and period (a pause, a new time scale
   * or bot pace).
   */
  start(classroomId: string, name: string, schedule: LoopSchedule, tick: LoopTick, firstAt?: SimTime): void {
    if (this.closed) return;
    const existing = this.loops.get(classroomId)?.get(name);
    if (existing) return this.reschedule(existing, schedule);
    const now = simNow(schedule.clock, Date.now());
    const loop: Loop = { classroomId, name, tick, ...schedule, dueAt: firstAt ?? now + schedule.periodMs, timeout: undefined, armedFor: null, running: null };
    const ofClassroom = this.loops.get(classroomId) ?? new Map<string, Loop>();
    ofClassroom.set(name, loop);
    this.loops.set(classroomId, ofClassroom);
    this.arm(loop);
  }

  /** The classroom's clock or pace changed: its loops follow. */
  follow(classroomId: string, schedule: LoopSchedule): void {
    for (const loop of this.loops.get(classroomId)?.values() ?? []) this.reschedule(loop, schedule);
  }

  private reschedule(loop: Loop, { clock, periodMs }: LoopSchedule): void {
    if (sameClock(loop.clock, clock) && loop.periodMs === periodMs) return;
    // Each change re-anchors the clock at its wall time: a view read before it (the sweep's) is older.
    if (clock.wall < loop.clock.wall) return;
    const now = simNow(clock, Date.now());
    loop.clock = clock;
    // A shorter period brings the next pass forward; a longer one leaves it where it was.
    loop.dueAt = Math.min(loop.dueAt, now + periodMs);
    loop.periodMs = periodMs;
    this.arm(loop);
  }

  /** The loop's next pass comes at `at` when that is sooner than it would (a node added: its heartbeat is due). */
  bringForward(classroomId: string, name: string, at: SimTime): void {
    const loop = this.loops.get(classroomId)?.get(name);
    if (!loop || at >= loop.dueAt) return;
    loop.dueAt = at;
    // A pass under way arms it when it ends (see fire).
    if (!loop.running) this.arm(loop);
  }

  has(classroomId: string, name: string): boolean {
    return this.loops.get(classroomId)?.has(name) ?? false;
  }

  /** Names of the classroom's loops. */
  names(classroomId: string): string[] {
    return [...(this.loops.get(classroomId)?.keys() ?? [])];
  }

  stop(classroomId: string, name: string): void {
    const ofClassroom = this.loops.get(classroomId);
    const loop = ofClassroom?.get(name);
    if (!ofClassroom || !loop) return;
    clearTimeout(loop.timeout);
    ofClassroom.delete(name);
    if (!ofClassroom.size) this.loops.delete(classroomId);
  }

  /** The classroom went elsewhere (its lease given back or lost) or closed. */
  stopAll(classroomId: string): void {
    for (const loop of this.loops.get(classroomId)?.values() ?? []) clearTimeout(loop.timeout);
    this.loops.delete(classroomId);
  }

  get size(): number {
    let size = 0;
    for (const ofClassroom of this.loops.values()) size += ofClassroom.size;
    return size;
  }

  /** Stops every loop and waits for the passes under way. */
  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.loops.values()].flatMap((ofClassroom) => [...ofClassroom.values()]);
    for (const loop of all) clearTimeout(loop.timeout);
    this.loops.clear();
    await Promise.allSettled(all.flatMap((l) => l.running ?? []));
  }

  private arm(loop: Loop): void {
    clearTimeout(loop.timeout);
    loop.timeout = undefined;
    loop.armedFor = loop.dueAt;
    // A paused clock: nothing is due until it runs again (the change reschedules the loop).
    const delay = wallDelayUntil(loop.clock, loop.dueAt, Date.now());
    if (delay === null) return;
    loop.timeout = setTimeout(() => this.fire(loop), delay);
  }

  private fire(loop: Loop): void {
    loop.timeout = undefined;
    if (!this.current(loop)) return;
    const now = Math.floor(simNow(loop.clock, Date.now()));
    loop.dueAt = now + loop.periodMs;
    this.arm(loop);
    if (loop.running) return;
    const pass = loop
      .tick(now)
      .then((more) => {
        // A pass with nothing to do may not touch Redis: back only after a while without a failure.
        if (this.redisDown && Date.now() - this.lastRedisFailure > REDIS_BACK_AFTER_MS) {
          this.logger.info(`${this.what}: redis is back`);
          this.redisDown = false;
        }
        if (!more) this.stopIfSame(loop);
        // Not before a simulated ms on: a pass that keeps finding its next one due now cannot spin.
        else if (more !== true) loop.dueAt = Math.min(loop.dueAt, Math.max(more.nextAt, now + 1));
      })
      .catch((error: unknown) => this.failed(loop, error))
      .finally(() => {
        loop.running = null;
        // Its next pass was brought forward meanwhile (by the pass itself, or bringForward).
        if (this.current(loop) && loop.dueAt !== loop.armedFor) this.arm(loop);
      });
    loop.running = pass;
  }

  private failed(loop: Loop, error: unknown): void {
    if (!isConnectionError(error) && !isRedisUnavailable(error)) {
      return void this.logger.warn({ err: error, classroomId: loop.classroomId, loop: loop.name }, 'a loop pass failed; it runs again at its next period');
    }
    this.lastRedisFailure = Date.now();
    if (!this.redisDown) this.logger.warn({ err: error instanceof Error ? error.message : String(error) }, `${this.what}: redis connection lost; they go on at each period`);
    this.redisDown = true;
  }

  private stopIfSame(loop: Loop): void {
    if (this.current(loop)) this.stop(loop.classroomId, loop.name);
  }

  /** Whether the loop still runs (not stopped, nor replaced by a loop of the same name). */
  private current(loop: Loop): boolean {
    return this.loops.get(loop.classroomId)?.get(loop.name) === loop;
  }
}
