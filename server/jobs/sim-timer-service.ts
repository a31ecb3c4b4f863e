import { randomUUID } from 'node:crypto';
import { DelayedError, Queue, Worker, type Job } from 'bullmq';
import { z } from 'zod';
import { simNow, type SimClock } from '@shared/protocol';
import type { Logger } from '../logger';
import type { RedisClient } from '../redis/connect';
import { isDue, wallDelayUntil, type ClockSource, type SimTimer, type TimerHandler } from './sim-timer';
import { TimerIndex, type TimerEntry } from './timer-index';

export const SIM_TIMERS_QUEUE = 'sim-timers';

export interface SimTimerServiceOptions {
  redis: RedisClient;
  keyPrefix: string;
  clocks: ClockSource;
  logger?: Logger;
  /**
   * Jobs run at once per process. 1 keeps a process's timers in due order; timers whose order
   * matters are chained (each schedules the next), and across processes the store's
   * resourceVersion checks serialise writes, so more is safe when handlers are reconcile steps.
   */
  concurrency?: number;
  /** How long a job stays locked without renewal; a crashed process's job is retried after it. */
  lockDurationMs?: number;
  stalledIntervalMs?: number;
}

const jobDataSchema = z.object({ classroomId: z.string().min(1), key: z.string().min(1) });
type JobData = z.infer<typeof jobDataSchema>;

const ATTEMPTS = 3;

/** While a job runs its handler the entry carries this mark, so clock changes leave it alone. */
const FIRING = '+firing';
const firing = (jobId: string): string => `${jobId}${FIRING}`;
const isFiring = (entryJobId: string): boolean => entryJobId.endsWith(FIRING);
const jobIdOf = (entryJobId: string): string => (isFiring(entryJobId) ? entryJobId.slice(0, -FIRING.length) : entryJobId);

/**
 * Timers in each classroom's simulated time. The per-classroom index in Redis is the truth;
 * a BullMQ delayed job only says when to look: it fires its timer only while the index still
 * points at it, and the handler runs only once the classroom's clock has reached `dueAt`.
 */
export class SimTimerService {
  private readonly queue: Queue<JobData>;
  private readonly index: TimerIndex;
  private readonly handlers = new Map<string, TimerHandler>();
  private worker: Worker<JobData> | null = null;

  constructor(private readonly options: SimTimerServiceOptions) {
    this.queue = new Queue<JobData>(SIM_TIMERS_QUEUE, {
      connection: options.redis,
      prefix: this.bullPrefix(),
      defaultJobOptions: {
        attempts: ATTEMPTS,
        backoff: { type: 'exponential', delay: 250 },
        removeOnComplete: true,
        removeOnFail: { age: 24 * 3600 },
      },
    });
    this.queue.on('error', (err) => options.logger?.error({ err }, 'sim-timers queue error'));
    this.index = new TimerIndex(options.redis, options.keyPrefix);
  }

  private bullPrefix(): string {
    return `${this.options.keyPrefix}:{bull}`;
  }

  /** Registers the handler of one timer kind; register them all before `start`. */
  onTimer(kind: string, handler: TimerHandler): void {
    if (this.handlers.has(kind)) throw new Error(`a handler for timer kind "${kind}" is already registered`);
    this.handlers.set(kind, handler);
  }

  /** Starts this process's worker; jobs left by a stopped or crashed process are picked up too. */
  async start(): Promise<void> {
    if (this.worker) return;
    const { logger } = this.options;
    const worker = new Worker<JobData>(SIM_TIMERS_QUEUE, (job, token) => this.process(job, token), {
      connection: this.options.redis,
      prefix: this.bullPrefix(),
      concurrency: this.options.concurrency ?? 1,
      lockDuration: this.options.lockDurationMs ?? 10_000,
      stalledInterval: this.options.stalledIntervalMs ?? 5_000,
    });
    worker.on('error', (err) => logger?.error({ err }, 'sim-timers worker error'));
    worker.on('failed', (job, err) => {
      if (!job) return;
      const final = job.attemptsMade >= (job.opts.attempts ?? 1);
      logger?.error({ err, timer: job.data, attempt: job.attemptsMade, final }, 'sim timer handler failed');
      // A timer that keeps failing is dropped, so it does not come back at every clock change.
      if (final) void this.dropFailed(job).catch(() => {});
    });
    this.worker = worker;
    await worker.waitUntilReady();
  }

  /** Schedules `timer`, replacing the pending timer with the same key in this classroom. */
  async schedule(classroomId: string, timer: SimTimer): Promise<void> {
    const clock = await this.options.clocks.getClock(classroomId);
    const delay = wallDelayUntil(clock, timer.dueAt, Date.now());
    const jobId = delay === null ? '' : randomUUID();
    // The index first: a job that runs before its entry exists would be taken for stale.
    const old = await this.index.replace(classroomId, { ...timer, jobId });
    if (delay !== null) await this.addJob(classroomId, timer, jobId, delay);
    if (old?.jobId) await this.removeJob(old.jobId);
  }

  /** Cancels a pending timer; false when there was none. A timer already firing completes. */
  async cancel(classroomId: string, key: string): Promise<boolean> {
    const old = await this.index.take(classroomId, key);
    if (old?.jobId) await this.removeJob(old.jobId);
    return old !== null;
  }

  /** Cancels every pending timer of a classroom (it is closed or deleted); returns how many. */
  async cancelAll(classroomId: string): Promise<number> {
    const old = await this.index.takeAll(classroomId);
    await Promise.all(old.map((entry) => (entry.jobId ? this.removeJob(entry.jobId) : undefined)));
    return old.length;
  }

  /** The classroom's pending timers, soonest first. */
  async pending(classroomId: string): Promise<SimTimer[]> {
    const entries = await this.index.all(classroomId);
    return entries.map(({ jobId: _jobId, ...timer }) => timer).sort((a, b) => a.dueAt - b.dueAt);
  }

  /**
   * The classroom's clock was paused, resumed or rescaled: parks every pending timer while it is
   * paused, otherwise moves each to its new wall-clock due time. One pass over this classroom only.
   */
  async onClockChanged(classroomId: string, clock: SimClock): Promise<void> {
    const entries = await this.index.all(classroomId);
    const wallNow = Date.now();
    await Promise.all(
      entries
        .filter((entry) => !isFiring(entry.jobId))
        .map((entry) => this.reschedule(classroomId, entry, wallDelayUntil(clock, entry.dueAt, wallNow))),
    );
  }

  /** Stops taking jobs and waits for the running ones; the Redis client stays open (the caller owns it). */
  async close(): Promise<void> {
    await this.worker?.close();
    this.worker = null;
    await this.queue.close();
  }

  private async dropFailed(job: Job<JobData>): Promise<void> {
    const { classroomId, key } = job.data;
    const jobId = job.id ?? '';
    if (!(await this.index.deleteIfJob(classroomId, key, firing(jobId)))) await this.index.deleteIfJob(classroomId, key, jobId);
  }

  private async reschedule(classroomId: string, entry: TimerEntry, delay: number | null): Promise<void> {
    if (delay === null && !entry.jobId) return;
    const jobId = delay === null ? '' : randomUUID();
    // Lost the race to a newer schedule, cancel or firing: that one stands.
    if (!(await this.index.swapJob(classroomId, entry.key, entry.jobId, jobId))) return;
    if (delay !== null) await this.addJob(classroomId, entry, jobId, delay);
    if (entry.jobId) await this.removeJob(entry.jobId);
  }

  private async addJob(classroomId: string, timer: SimTimer, jobId: string, delay: number): Promise<void> {
    await this.queue.add(timer.kind, { classroomId, key: timer.key }, { jobId, delay });
  }

  /** Best effort: a stale job that survives (it is running) finds the index moved on and does nothing. */
  private async removeJob(entryJobId: string): Promise<void> {
    try {
      await this.queue.remove(jobIdOf(entryJobId));
    } catch (err) {
      this.options.logger?.warn({ err, jobId: entryJobId }, 'could not remove a stale timer job');
    }
  }

  private async process(job: Job<JobData>, token: string | undefined): Promise<void> {
    const { classroomId, key } = jobDataSchema.parse(job.data);
    const jobId = job.id ?? '';
    const entry = await this.index.get(classroomId, key);
    // Replaced, cancelled or rescheduled since this job was added.
    if (!entry || (entry.jobId !== jobId && entry.jobId !== firing(jobId))) return;
    const clock = await this.options.clocks.getClock(classroomId);
    const wallNow = Date.now();
    if (!isDue(clock, entry.dueAt, wallNow)) {
      // The clock changed under this job (paused, or slowed down before onClockChanged ran).
      const delay = wallDelayUntil(clock, entry.dueAt, wallNow);
      if (delay === null) {
        await this.index.swapJob(classroomId, key, entry.jobId, '');
        return;
      }
      await job.moveToDelayed(wallNow + delay, token);
      throw new DelayedError();
    }
    const handler = this.handlers.get(entry.kind);
    if (!handler) throw new Error(`no handler for timer kind "${entry.kind}"`);
    if (entry.jobId === jobId && !(await this.index.swapJob(classroomId, key, jobId, firing(jobId)))) return;
    const { jobId: _jobId, ...timer } = entry;
    await handler(classroomId, timer, Math.max(timer.dueAt, simNow(clock, wallNow)));
    // Unless the handler scheduled the same key again (a recurring tick), the timer is done.
    await this.index.deleteIfJob(classroomId, key, firing(jobId));
  }
}
