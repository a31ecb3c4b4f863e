/**
 * The safety net under the BullMQ timers, run by each process over the open classrooms it owns
 * (classroom-leases.ts) every few seconds. A running classroom's loops live on recurring timers (bot ticks, kubelet
 * heartbeats) that only a seat or clock change starts, and a timer fires only while its BullMQ job
 * exists; Redis killed between writing the index and adding the job, or a process killed while
 * firing, strands a timer for good. The sweep re-adds the job of a timer that will not fire (see
 * `SimTimerService.repair`) and starts the loops a running classroom lacks. A healthy classroom
 * costs one read of its timer index per pass; racing processes settle on the index's
 * compare-and-set, so nothing fires twice.
 */
import type { ClassroomView } from '@shared/protocol';
import type { ClassroomRepository } from '../classroom/repository';
import type { SimTimerService } from '../jobs/sim-timer-service';
import type { Logger } from '../logger';

export const TIMER_SWEEP_MS = 2000;
/** A view heard on a change is trusted this long, then read again (a change can be lost with a reconnect). */
const VIEW_TTL_MS = 30_000;

export interface TimerSweepOptions {
  timers: SimTimerService;
  classrooms: ClassroomRepository;
  logger: Logger;
  /** The keys of the timers the classroom's loops need while it runs. */
  wanted(view: ClassroomView): string[];
  /** Starts the loops the view calls for (what a seat change does). */
  follow(view: ClassroomView): Promise<void>;
  /** Whether this process owns the classroom's control work (only those are swept here). */
  owns(classroomId: string): boolean;
  intervalMs?: number;
}

export class TimerSweep {
  private readonly views = new Map<string, { view: ClassroomView; readAt: number }>();
  /** Loops found missing at the last pass: started only when still missing at the next, so a follow under way is not raced. */
  private readonly missing = new Map<string, string>();
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

  /** One pass; a classroom that fails does not stop the others, and the first failure is thrown after. */
  async sweep(): Promise<void> {
    const open = new Set(await this.options.classrooms.openClassroomIds());
    for (const id of this.views.keys()) if (!open.has(id)) this.views.delete(id);
    let failure: unknown = null;
    for (const id of open) {
      if (this.stopped) return;
      if (!this.options.owns(id)) {
        this.views.delete(id);
        this.missing.delete(id);
        continue;
      }
      await this.sweepClassroom(id).catch((error: unknown) => (failure ??= error));
    }
    if (failure !== null) throw failure;
  }

  private async sweepClassroom(classroomId: string): Promise<void> {
    const view = await this.viewOf(classroomId);
    if (view?.phase !== 'running') return void this.missing.delete(classroomId);
    const { timers } = await this.options.timers.repair(classroomId, view.clock);
    const pending = new Set(timers.map((t) => t.key));
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

  private async viewOf(classroomId: string): Promise<ClassroomView | null> {
    const known = this.views.get(classroomId);
    if (known && Date.now() - known.readAt < VIEW_TTL_MS) return known.view;
    const view = await this.options.classrooms.view(classroomId);
    if (view) this.noteView(view);
    return view;
  }
}
