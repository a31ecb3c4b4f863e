/**
 * The safety net under the timers, run by each process over the classrooms it owns
 * (classroom-leases.ts) every few seconds: its cost divides between processes. A running
 * classroom's loops live on recurring timers (bot ticks, the kubelets' heartbeat, a round's steps)
 * that only a seat or clock change starts, and a BullMQ timer fires only while its job exists;
 * Redis killed between writing the index and adding the job, or a process killed while firing,
 * strands it for good. The sweep re-adds the job of a timer that will not fire (see
 * `SimTimerService.repair`) and starts the loops a running classroom lacks. The world timers (a
 * CRI call running, a container that will exit) are in the owner's memory, derived from the stored
 * cluster (owner-timers.ts): the sweep books again those the store waits on and the owner lacks.
 * A healthy classroom costs one read of its timer index per pass and a look at the owner's cache;
 * racing processes settle on the index's compare-and-set, so no BullMQ timer fires twice (a world
 * timer booked twice finds nothing due the second time).
 */
import type { ClassroomView } from '@shared/protocol';
import type { ClassroomRepository } from '../classroom/repository';
import type { Timer } from '@shared/sim';
import type { LocalTimers } from '../jobs/local-timers';
import type { SimTimerService } from '../jobs/sim-timer-service';
import type { Logger } from '../logger';
import { mapAtMost } from './map-at-most';

export const TIMER_SWEEP_MS = 2000;
/**
 * Classrooms swept side by side: their index reads leave in one write to Redis. One at a time,
 * each classroom's read was a socket write and a wake-up of its own, 50 a second for 100 owned
 * classrooms, a cost that grows when the classrooms are split between processes.
 */
const SWEPT_AT_ONCE = 16;
/** A view heard on a change is trusted this long, then read again (a change can be lost with a reconnect). */
const VIEW_TTL_MS = 30_000;

export interface TimerSweepOptions {
  timers: SimTimerService;
  classrooms: ClassroomRepository;
  logger: Logger;
  /** The keys of the timers the classroom's loops need while it runs. */
  wanted(view: ClassroomView): string[];
  /** The loops running in this process for the classroom (the bots' ticks), named as `wanted` names them. */
  running?(classroomId: string): string[];
  /** The world timers the classroom's stored cluster state waits on (the owner's cache is read). */
  owed(classroomId: string): Promise<Timer[]>;
  /** Where the owner keeps them (jobs/local-timers.ts). */
  worldTimers: Pick<LocalTimers, 'has' | 'schedule'>;
  /** Starts the loops the view calls for (what a seat change does). */
  follow(view: ClassroomView): Promise<void>;
  /** Whether this process owns the classroom's control work. */
  owns(classroomId: string): boolean;
  /** The room as the sweep last read it (its clock: one whose change announcement was lost is followed). */
  noteView?(view: ClassroomView): void;
  /** The classrooms this process owns (only those are swept here). */
  owned(): string[];
  intervalMs?: number;
}

export class TimerSweep {
  private readonly views = new Map<string, { view: ClassroomView; readAt: number }>();
  /** Loops found missing at the last pass: started only when still missing at the next, so a follow under way is not raced. */
  private readonly missing = new Map<string, string>();
  /** Owed timers found missing at the last pass, by classroom: booked when still missing at the next. */
  private readonly unbooked = new Map<string, Set<string>>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;
  private failing = false;

  constructor(private readonly options: TimerSweepOptions) {}

  /** Bots playing a seat in the running classrooms, as last seen. */
  botsPlaying(): number {
    let bots = 0;
    for (const { view } of this.views.values()) if (view.phase === 'running' && this.options.owns(view.id)) bots += view.seats.filter((s) => s.bot === 'playing').length;
    return bots;
  }

  /** A classroom change carries its view: the sweep needs no read of its own. */
  noteView(view: ClassroomView): void {
    this.views.set(view.id, { view, readAt: Date.now() });
  }

  start(): void {
    const next = (): void => {
      this.timer = setTimeout(() => {
        this.running = this.sweep()
          .then(() => {
            if (this.failing) this.options.logger.info('timer sweep: working again');
            this.failing = false;
          })
          .catch((error: unknown) => {
            if (!this.failing) this.options.logger.warn({ err: error }, 'timer sweep failed; retrying');
            this.failing = true;
          })
          .finally(() => {
            if (!this.stopped) next();
          });
      }, this.options.intervalMs ?? TIMER_SWEEP_MS);
    };
    next();
  }

  async close(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /**
   * One pass over the owned classrooms (a closed one is released by its lease within a pass); a
   * classroom that fails does not stop the others, and the first failure is thrown after.
   */
  async sweep(): Promise<void> {
    const owned = new Set(this.options.owned());
    for (const id of this.views.keys()) if (!owned.has(id)) this.views.delete(id);
    for (const id of new Set([...this.missing.keys(), ...this.unbooked.keys()])) if (!owned.has(id)) this.forget(id);
    let failure: unknown = null;
    await mapAtMost(SWEPT_AT_ONCE, [...owned], async (id) => {
      if (!this.stopped) await this.sweepClassroom(id).catch((error: unknown) => (failure ??= error));
    });
    if (failure !== null) throw failure;
  }

  private async sweepClassroom(classroomId: string): Promise<void> {
    const view = await this.viewOf(classroomId);
    if (view) this.options.noteView?.(view);
    // Paused: its world timers are kept whole for the resume (and the owner's cache in use, so it
    // is not dropped as idle while another process's student answers a CRI call).
    if (view?.phase === 'paused') return this.bookOwed(classroomId);
    if (view?.phase !== 'running') return this.forget(classroomId);
    const { timers } = await this.options.timers.repair(classroomId, view.clock);
    const pending = new Set(timers.map((t) => t.key));
    await this.bookOwed(classroomId);
    for (const name of this.options.running?.(classroomId) ?? []) pending.add(name);
    const missing = this.options.wanted(view).filter((key) => !pending.has(key));
    const seen = this.missing.get(classroomId);
    if (!missing.length) return void this.missing.delete(classroomId);
    this.missing.set(classroomId, missing.join(' '));
    if (seen !== missing.join(' ')) return;
    // Still missing a pass later: confirm on a fresh view, then start them.
    this.missing.delete(classroomId);
    const fresh = await this.options.classrooms.view(classroomId);
    if (!fresh) return;
    this.noteView(fresh);
    if (fresh.phase !== 'running' || this.options.wanted(fresh).every((key) => pending.has(key))) return;
    this.options.logger.warn({ classroomId, timers: missing }, 'a running classroom lacked the timers of its loops; starting them');
    await this.options.follow(fresh);
  }

  private forget(classroomId: string): void {
    this.missing.delete(classroomId);
    this.unbooked.delete(classroomId);
  }

  /**
   * Books the owed world timers the owner lacks at two passes running (one that fired a moment ago
   * and whose write is on its way is not raced): its handler met a Redis outage, or a change that
   * owed it reached no cache here (a write lost in a failover, then the cache listed again). A
   * timer booked twice only wakes a world step that re-reads the cluster and finds nothing due.
   */
  private async bookOwed(classroomId: string): Promise<void> {
    const { worldTimers } = this.options;
    const missing = (await this.options.owed(classroomId)).filter((timer) => !worldTimers.has(classroomId, timer.id));
    const seen = this.unbooked.get(classroomId);
    const lost = missing.filter((timer) => seen?.has(timer.id));
    this.unbooked.set(classroomId, new Set(missing.filter((timer) => !seen?.has(timer.id)).map((timer) => timer.id)));
    if (!lost.length) return;
    this.options.logger.warn({ classroomId, timers: lost.map((timer) => timer.id) }, 'the cluster waits on timers this process does not hold (a Redis outage, a write lost in a failover); booking them again');
    worldTimers.schedule(classroomId, lost);
  }

  private async viewOf(classroomId: string): Promise<ClassroomView | null> {
    const known = this.views.get(classroomId);
    if (known && Date.now() - known.readAt < VIEW_TTL_MS) return known.view;
    const view = await this.options.classrooms.view(classroomId);
    if (view) this.noteView(view);
    return view;
  }
}
