/**
 * The sim timers of the classrooms this process owns (a CRI call finishing, a container exiting, a
 * probe or back-off a bot waits for), kept in its memory, not in Redis. As BullMQ jobs they were
 * about 85 of a pod's 233 Redis commands (bench scale). Nothing is lost with the process: a world
 * timer is what the stored cluster waits on, so the next owner derives it again from the store
 * (see cluster/owner-timers.ts), and any other only wakes a bot early, whose own tick finds the
 * same move a bot-pace period later.
 */
import type { SimTime } from '@shared/model';
import { simNow, type SimClock } from '@shared/protocol';
import type { Timer } from '@shared/sim';
import { TimerQueue } from '@shared/sim/timer-queue';
import type { Logger } from '../logger';
import { isConnectionError, isRedisUnavailable } from '../redis/unavailable';
import { isDue, wallDelayUntil } from './sim-timer';

/** Runs a timer that fell due; `firedAt` is the classroom's simulated now (never before `dueAt`). */
export type LocalTimerHandler = (classroomId: string, timer: Timer, firedAt: SimTime) => Promise<void>;

/** setTimeout's longest delay (about 24.8 days): a later timer is looked at again then. */
const MAX_DELAY_MS = 2 ** 31 - 1;
/**
 * Handlers running at once. A thousand CRI calls can fall due in one simulated second; each
 * handler waits on Redis, and one component's handlers queue behind each other anyway
 * (ClusterRuntime.exclusive).
 */
const RUNNING_AT_ONCE = 32;

interface Classroom {
  clock: SimClock;
  queue: TimerQueue;
  timeout: NodeJS.Timeout | undefined;
  /** Ids fallen due and not yet run to the end (waiting for a handler slot, or running). */
  firing: Set<string>;
}

export class LocalTimers {
  private readonly classrooms = new Map<string, Classroom>();
  /** Due timers waiting for a free handler slot, in due order, from `dueHead` on. */
  private due: { classroomId: string; classroom: Classroom; timer: Timer; firedAt: SimTime }[] = [];
  private dueHead = 0;
  private readonly running = new Set<Promise<void>>();
  private closed = false;
  /** Redis unreachable: said once, not once per timer. */
  private redisDown = false;

  constructor(
    private readonly handler: LocalTimerHandler,
    private readonly logger: Logger,
  ) {}

  /** The classroom's timers run here from now on, on this clock; called again when its clock changes. */
  follow(classroomId: string, clock: SimClock): void {
    if (this.closed) return;
    const known = this.classrooms.get(classroomId);
    // Each change re-anchors the clock at its wall time: a view read before it (the sweep's) is older.
    if (known && clock.wall < known.clock.wall) return;
    if (known) known.clock = clock;
    const classroom = known ?? { clock, queue: new TimerQueue(), timeout: undefined, firing: new Set<string>() };
    this.classrooms.set(classroomId, classroom);
    this.arm(classroomId, classroom);
  }

  follows(classroomId: string): boolean {
    return this.classrooms.has(classroomId);
  }

  /**
   * Books the timers (one per id: the same id again is already pending); false, and nothing kept,
   * when the classroom's timers do not run here (another process owns it, or nobody does yet).
   */
  schedule(classroomId: string, timers: readonly Timer[]): boolean {
    const classroom = this.classrooms.get(classroomId);
    if (!classroom) return false;
    const first = classroom.queue.peek();
    for (const timer of timers) classroom.queue.push(timer);
    if (classroom.queue.peek() !== first) this.arm(classroomId, classroom);
    return true;
  }

  /** Whether a timer of this id is pending here, or fell due and has not run to the end yet. */
  has(classroomId: string, id: string): boolean {
    const classroom = this.classrooms.get(classroomId);
    return classroom !== undefined && (classroom.queue.has(id) || classroom.firing.has(id));
  }

  /** Drops the pending timers `drop` picks (a cluster reset); the classroom's timers still run here. */
  cancel(classroomId: string, drop: (timer: Timer) => boolean): void {
    const classroom = this.classrooms.get(classroomId);
    if (!classroom) return;
    const kept: Timer[] = [];
    for (let timer = classroom.queue.pop(); timer; timer = classroom.queue.pop()) if (!drop(timer)) kept.push(timer);
    for (const timer of kept) classroom.queue.push(timer);
    this.arm(classroomId, classroom);
  }

  /** The classroom went elsewhere (its lease given back or lost) or closed: its timers here go. */
  stop(classroomId: string): void {
    const classroom = this.classrooms.get(classroomId);
    if (!classroom) return;
    clearTimeout(classroom.timeout);
    this.classrooms.delete(classroomId);
  }

  /** Timers pending here, in every classroom (for /metrics). */
  get size(): number {
    let size = 0;
    for (const { queue } of this.classrooms.values()) size += queue.size;
    return size;
  }

  /** Stops every timer and waits for the handlers under way. */
  async close(): Promise<void> {
    this.closed = true;
    for (const classroom of this.classrooms.values()) clearTimeout(classroom.timeout);
    this.classrooms.clear();
    this.due = [];
    this.dueHead = 0;
    await Promise.allSettled([...this.running]);
  }

  private arm(classroomId: string, classroom: Classroom): void {
    clearTimeout(classroom.timeout);
    classroom.timeout = undefined;
    const next = classroom.queue.peek();
    if (!next) return;
    // A paused clock: nothing falls due until it runs again (its change calls follow).
    const delay = wallDelayUntil(classroom.clock, next.dueAt, Date.now());
    if (delay === null) return;
    classroom.timeout = setTimeout(() => this.fire(classroomId, classroom), Math.min(delay, MAX_DELAY_MS));
  }

  private fire(classroomId: string, classroom: Classroom): void {
    classroom.timeout = undefined;
    if (this.classrooms.get(classroomId) !== classroom) return;
    const wallNow = Date.now();
    const now = Math.floor(simNow(classroom.clock, wallNow));
    for (let next = classroom.queue.peek(); next && isDue(classroom.clock, next.dueAt, wallNow); next = classroom.queue.peek()) {
      classroom.queue.pop();
      classroom.firing.add(next.id);
      this.due.push({ classroomId, classroom, timer: next, firedAt: Math.max(next.dueAt, now) });
    }
    this.arm(classroomId, classroom);
    this.pump();
  }

  /** Starts due timers while a handler slot is free; a classroom gone meanwhile drops its own. */
  private pump(): void {
    while (this.running.size < RUNNING_AT_ONCE) {
      const next = this.due[this.dueHead++];
      if (!next) {
        this.due = [];
        this.dueHead = 0;
        return;
      }
      if (this.classrooms.get(next.classroomId) !== next.classroom) continue;
      const run: Promise<void> = this.handler(next.classroomId, next.timer, next.firedAt)
        .then(() => {
          if (this.redisDown) this.logger.info('sim timers: redis is back');
          this.redisDown = false;
        })
        .catch((error: unknown) => this.failed(next.classroomId, next.timer, error))
        .finally(() => {
          next.classroom.firing.delete(next.timer.id);
          this.running.delete(run);
          this.pump();
        });
      this.running.add(run);
    }
  }

  private failed(classroomId: string, timer: Timer, error: unknown): void {
    // A world timer is still owed by the stored cluster: the timer sweep books it again.
    if (!isConnectionError(error) && !isRedisUnavailable(error)) return void this.logger.warn({ err: error, classroomId, timer: timer.id }, 'a sim timer failed');
    if (!this.redisDown) this.logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'sim timers: redis connection lost; world timers are booked again by the sweep once it is back');
    this.redisDown = true;
  }
}
