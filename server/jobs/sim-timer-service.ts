import { randomUUID } from 'node:crypto';
import { DelayedError, Queue, Worker, type Job } from 'bullmq';
import { z } from 'zod';
import type { SimTime } from '@shared/model';
import { simNow, type SimClock } from '@shared/protocol';
import type { Logger } from '../logger';
import { isCluster, whenReady, type RedisClient } from '../redis/connect';
import { RedisUnavailableError, isConnectionError, orUnavailable } from '../redis/unavailable';
import { withinMs } from '../redis/within-ms';
import { isDue, wallDelayUntil, type ClockSource, type SimTimer, type TimerHandler } from './sim-timer';
import { OutageLog } from './outage-log';
import { TimerIndex, type TimerEntry } from './timer-index';
import {
  sharedQueueConnection,
  type QueueConnection,
  SIM_TIMERS_QUEUE,
  bullConnection,
  closeConnection,
  cutConnection,
  eventsOf,
  isConnectionReady,
  laneOfJob,
  openConnection,
  processOfJob,
  processTimerLanes,
  timerLanes,
  type BullConnection,
  type TimerLane,
} from './timer-lanes';

export { SIM_TIMERS_QUEUE } from './timer-lanes';

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
  /** How long past its due time (wall ms) a timer's job may be before `repair` asks BullMQ about it. */
  repairGraceMs?: number;
  /** How long past its due time (wall ms) a job may wait untaken before the workers are started again (see restartWorkers). */
  stuckWorkerMs?: number;
  /** Queues on a Redis Cluster (see timer-lanes.ts); one Redis has one. */
  clusterLanes?: number;
  /**
   * Where a fired timer runs: `local` runs it in this process, or it is handed to another that
   * calls `runHanded`. Set by the partitioning (a classroom's timers run on its owning process);
   * without it every timer runs here.
   */
  route?: (classroomId: string, fired: FiredTimer, local: () => Promise<void>) => Promise<void>;
  /**
   * Owner-local timers: a timer's job goes to the lanes of its classroom's owning process (this
   * process's while nobody owns it), and only that process's workers take it; the shared lanes
   * are not worked. Without it every timer goes to the shared lanes, where any process's worker
   * takes it.
   */
  owners?: TimerOwners;
}

/** Who owns a classroom's timers, for owner-local timers (see SimTimerServiceOptions.owners). */
export interface TimerOwners {
  /** This process's id: its lanes are named after it. */
  serverId: string;
  /** The classroom's owning process, or null while nobody owns it. */
  ownerOf(classroomId: string): Promise<string | null>;
  /** Whether a process still beats: a dead one's lanes have no worker. */
  isAlive(serverId: string): Promise<boolean>;
}

/** A timer whose job fired: its index entry is marked firing until it has run. */
export interface FiredTimer {
  timer: SimTimer;
  firedAt: SimTime;
  jobId: string;
}

const jobDataSchema = z.object({ classroomId: z.string().min(1), key: z.string().min(1) });
type JobData = z.infer<typeof jobDataSchema>;

const ATTEMPTS = 3;
/**
 * How long a job whose handler met a Redis outage waits for Redis to come back before it runs
 * again (its attempts are not spent on the outage: nothing could be recorded anyway).
 */
const OUTAGE_PATIENCE_MS = 60_000;
/**
 * A timer this late (wall ms) is looked up in BullMQ by `repair`: late enough that a healthy job
 * would have been taken by now, unless it waits behind others (then it is left alone).
 */
const REPAIR_GRACE_MS = 5000;
/** Job states from which a job still fires by itself; any other (gone, failed, completed, delayed while overdue) will not. */
const LIVE_JOB_STATES = new Set(['active', 'waiting', 'prioritized', 'waiting-children']);
/** Job states in which a job waits for a worker to take it. */
const WAITING_JOB_STATES = new Set(['waiting', 'prioritized']);
/**
 * A job this late (wall ms) still waiting for a worker means this process's workers stopped
 * fetching; a healthy worker takes a due job within its concurrency's queue of handlers.
 */
const STUCK_WORKER_MS = 15_000;
/** How long workers replaced by `restartWorkers` may take to finish their handlers. */
const OLD_WORKERS_PATIENCE_MS = 30_000;
/**
 * How long closing waits for each step (the workers finishing their handlers, the queues): after a
 * Redis Cluster failover a worker's fetch on the dead master's connection never returns, and its
 * close waited for it for good (main.ts's 15 s backstop then ended the process before the rest of
 * its shutdown).
 */
const CLOSE_PATIENCE_MS = 5000;
/** Restarting the worker's fetch loop after a connection failure: soon after Redis is back. */
const RUN_RETRY_DELAY_MS = 500;

/** While a job runs its handler the entry carries this mark, so clock changes leave it alone. */
/** Other processes' lane queues kept open at most (see `letGoOfOthersQueues`). */
const MAX_OTHER_QUEUES = 32;
const FIRING = '+firing';
const firing = (jobId: string): string => `${jobId}${FIRING}`;
const isFiring = (entryJobId: string): boolean => entryJobId.endsWith(FIRING);
const jobIdOf = (entryJobId: string): string => (isFiring(entryJobId) ? entryJobId.slice(0, -FIRING.length) : entryJobId);

/**
 * Timers in each classroom's simulated time. The per-classroom index in Redis is the truth;
 * a BullMQ delayed job only says when to look: it fires its timer only while the index still
 * points at it, and the handler runs only once the classroom's clock has reached `dueAt`.
 * With owner-local timers (`owners`) a job's id names the lanes it is on, so whoever cancels or
 * repairs it finds it, and a classroom's new owner moves its timers from the old owner's lanes.
 */
export class SimTimerService {
  /** A queue per lane, by BullMQ prefix (see timer-lanes.ts): the shared lanes, this process's, and others' met in the index. */
  private readonly queues = new Map<string, Queue<JobData>>();
  private readonly queueLog: OutageLog;
  private readonly index: TimerIndex;
  private readonly handlers = new Map<string, TimerHandler>();
  private workers: Worker<JobData>[] | null = null;
  /** BullMQ's own connections, shared by the lanes (see `start`); the application's client stays the caller's. */
  private readonly queueClient: BullConnection;
  /** What the queues are given: see `sharedQueueConnection`. */
  private readonly queueConnection: QueueConnection;
  private workerClient: BullConnection | null = null;
  private closing = false;
  private restarting = false;
  private restartedAt = 0;
  /** Set by `stranded` when a live job waits long past its due time (see restartWorkers). */
  private workersStuck = false;
  private queueConnected = false;
  /** Handlers that met a Redis outage: one line when they start failing for it and one when they run again. */
  private readonly handlerLog: OutageLog;

  constructor(private readonly options: SimTimerServiceOptions) {
    // The queue adds and removes jobs for requests: it fails fast while Redis is down, like the
    // application's client (a plain duplicate: BullMQ reads node-redis' own errors).
    this.queueClient = bullConnection(options.redis, { offlineQueue: false, blocking: false });
    const queueLog = new OutageLog('sim-timers queue', options.logger);
    this.queueLog = queueLog;
    eventsOf(this.queueClient).on('error', (err: unknown) => queueLog.error(err, 'sim-timers queue connection error'));
    this.queueConnection = sharedQueueConnection(this.queueClient);
    eventsOf(this.queueClient).on('ready', () => {
      this.queueConnected = true;
      queueLog.ready();
    });
    for (const lane of this.workedLanes()) this.queueAt(lane.prefix);
    this.index = new TimerIndex(options.redis, options.keyPrefix);
    this.handlerLog = new OutageLog('sim-timer handlers', options.logger);
  }

  private sharedLanes(): TimerLane[] {
    return timerLanes(this.options.keyPrefix, isCluster(this.options.redis), this.options.clusterLanes ?? 1);
  }

  private processLanes(serverId: string): TimerLane[] {
    return processTimerLanes(this.options.keyPrefix, serverId, isCluster(this.options.redis), this.options.clusterLanes ?? 1);
  }

  /** The lanes this process's workers take jobs from: its own with owner-local timers, else the shared ones. */
  private workedLanes(): TimerLane[] {
    const owners = this.options.owners;
    return owners ? this.processLanes(owners.serverId) : this.sharedLanes();
  }

  private queueAt(prefix: string): Queue<JobData> {
    const known = this.queues.get(prefix);
    if (known) {
      // Most recently used last: the oldest other process's queue is the one let go (see below).
      this.queues.delete(prefix);
      this.queues.set(prefix, known);
      return known;
    }
    this.letGoOfOthersQueues();
    const queue = new Queue<JobData>(SIM_TIMERS_QUEUE, {
      connection: this.queueConnection,
      prefix,
      defaultJobOptions: {
        attempts: ATTEMPTS,
        backoff: { type: 'exponential', delay: 250 },
        removeOnComplete: true,
        removeOnFail: { age: 24 * 3600 },
      },
    });
    queue.on('error', (err) => this.queueLog.error(err, 'sim-timers queue error'));
    this.queues.set(prefix, queue);
    return queue;
  }

  /**
   * Queues of other processes' lanes are kept while used, but a process that went away (a clean
   * shutdown is never reaped) would leave its queue objects here for good: past a bound, the least
   * recently used ones are closed (a later use opens them again).
   */
  private letGoOfOthersQueues(): void {
    const worked = new Set(this.workedLanes().map((lane) => lane.prefix));
    const others = [...this.queues.keys()].filter((prefix) => !worked.has(prefix));
    for (const prefix of others.slice(0, Math.max(0, others.length + 1 - MAX_OTHER_QUEUES))) {
      const queue = this.queues.get(prefix);
      this.queues.delete(prefix);
      void queue?.close().catch(() => undefined);
    }
  }

  /** The queue of a classroom's job: the lane of the process named in its id, or the shared lane. */
  private queueOf(classroomId: string, entryJobId: string): Queue<JobData> {
    const { keyPrefix, redis, clusterLanes } = this.options;
    return this.queueAt(laneOfJob(keyPrefix, isCluster(redis), clusterLanes ?? 1, classroomId, jobIdOf(entryJobId)).prefix);
  }

  /** A new job's id: on the owner's lanes with owner-local timers (see TimerOwners), else on the shared ones. */
  private async newJobId(classroomId: string): Promise<string> {
    const owners = this.options.owners;
    if (!owners) return randomUUID();
    const owner = await owners.ownerOf(classroomId);
    // An owner reaped a moment ago still holds its lease for a few seconds: a job booked on its
    // deleted lanes would bring them back into Redis for good. Booked here, the next owner moves it.
    const onLanesOf = owner === null || owner === owners.serverId || !(await owners.isAlive(owner)) ? owners.serverId : owner;
    return `${onLanesOf}.${randomUUID()}`;
  }

  /** Registers the handler of one timer kind; register them all before `start`. */
  onTimer(kind: string, handler: TimerHandler): void {
    if (this.handlers.has(kind)) throw new Error(`a handler for timer kind "${kind}" is already registered`);
    this.handlers.set(kind, handler);
  }

  /**
   * Starts this process's worker; jobs left by a stopped or crashed process are picked up too.
   * The worker has its own connection, which queues its few commands while Redis is down instead
   * of failing them: BullMQ takes node-redis' "offline" error for a bug and would fetch again at
   * once, in a loop that starves the event loop. Its queue holds at most the fetch loop's one
   * blocked read and a lock renewal or stalled check per interval, and is bounded anyway.
   */
  async start(): Promise<void> {
    if (this.workers) return;
    const { client, workers } = await this.startWorkers();
    this.workerClient = client;
    this.workers = workers;
    await Promise.all([...this.queues.values()].map((queue) => queue.waitUntilReady()));
  }

  private async startWorkers(): Promise<{ client: BullConnection; workers: Worker<JobData>[] }> {
    const { logger } = this.options;
    const workerLog = new OutageLog('sim-timers worker', logger);
    const client = bullConnection(this.options.redis, { offlineQueue: true, blocking: true });
    eventsOf(client).on('error', (err: unknown) => workerLog.error(err, 'sim-timers worker connection error'));
    eventsOf(client).on('ready', () => workerLog.ready());
    await openConnection(client);
    const workers = this.workedLanes().map((lane) => {
      const worker = new Worker<JobData>(lane.queue, (job, token) => this.process(job, token), {
        connection: client,
        prefix: lane.prefix,
        concurrency: this.options.concurrency ?? 1,
        lockDuration: this.options.lockDurationMs ?? 10_000,
        stalledInterval: this.options.stalledIntervalMs ?? 5_000,
        runRetryDelay: RUN_RETRY_DELAY_MS,
      });
      worker.on('error', (err) => workerLog.error(err, 'sim-timers worker error'));
      worker.on('failed', (job, err) => {
        if (!job) return;
        const final = job.attemptsMade >= (job.opts.attempts ?? 1);
        if (isConnectionError(err) && !final) this.handlerLog.error(err, 'sim timer handler failed');
        else logger?.error({ err, timer: job.data, attempt: job.attemptsMade, final }, 'sim timer handler failed');
        // A timer that keeps failing is dropped, so it does not come back at every clock change.
        if (final) void this.dropFailed(job).catch(() => {});
      });
      return worker;
    });
    await Promise.all(workers.map((worker) => worker.waitUntilReady()));
    return { client, workers };
  }

  /**
   * A job waited past its due time by STUCK_WORKER_MS with this process's workers up: they stopped
   * taking jobs. Seen after a Redis Cluster failover, where a worker's blocked fetch stayed on the
   * dead master's connection and no error ever came back. New workers on a new connection take
   * over; the old ones are closed without waiting (their fetch may never return).
   */
  private get stuckWorkerMs(): number {
    return this.options.stuckWorkerMs ?? STUCK_WORKER_MS;
  }

  private async restartWorkers(): Promise<void> {
    if (!this.workers || this.closing || this.restarting || Date.now() - this.restartedAt < this.stuckWorkerMs) return;
    this.restarting = true;
    try {
      this.options.logger?.warn({ waitedMs: this.stuckWorkerMs }, 'sim-timers worker: jobs wait past their due time and no worker takes them; starting the workers again');
      const old = { workers: this.workers, client: this.workerClient };
      const fresh = await this.startWorkers();
      if (this.closing) {
        await Promise.all(fresh.workers.map((worker) => worker.close(true)));
        await closeConnection(fresh.client);
        return;
      }
      this.workers = fresh.workers;
      this.workerClient = fresh.client;
      this.restartedAt = Date.now();
      // The old workers finish the handlers they run (their locks renewed meanwhile), then go; a
      // fetch that never returns keeps them from closing, so their connection is cut after a while.
      // (A `close(true)` then would not do: a worker's first close is the one every later call awaits.)
      const closed = Promise.all(old.workers.map((worker) => worker.close())).then(() => true);
      void withinMs(closed, OLD_WORKERS_PATIENCE_MS, false)
        .then(async (done) => {
          if (!old.client) return;
          if (done) await closeConnection(old.client);
          else cutConnection(old.client);
        })
        .catch(() => undefined);
    } finally {
      this.restarting = false;
    }
  }

  /** Runs a fired timer's handler, then marks it done unless the handler scheduled its key again (a recurring tick). */
  private async runFired(classroomId: string, { timer, firedAt, jobId }: FiredTimer): Promise<void> {
    const handler = this.handlers.get(timer.kind);
    if (!handler) throw new Error(`no handler for timer kind "${timer.kind}"`);
    await handler(classroomId, timer, firedAt);
    await this.index.deleteIfJob(classroomId, timer.key, firing(jobId));
    this.handlerLog.ready();
  }

  /**
   * Runs a timer whose job fired in another process and was handed here; that job has completed.
   * A failure drops the timer as a last attempt does; when Redis went away the entry stays marked
   * firing, and `repair` gives it a new job.
   */
  async runHanded(classroomId: string, fired: FiredTimer): Promise<void> {
    try {
      await this.runFired(classroomId, fired);
    } catch (error) {
      if (isConnectionError(error)) return this.handlerLog.error(error, 'a handed-over sim timer failed');
      this.options.logger?.error({ err: error, classroomId, timer: fired.timer.key }, 'a handed-over sim timer failed');
      await this.index.deleteIfJob(classroomId, fired.timer.key, firing(fired.jobId)).catch(() => false);
    }
  }

  /** Schedules `timer`, replacing the pending timer with the same key in this classroom. */
  schedule(classroomId: string, timer: SimTimer): Promise<void> {
    return orUnavailable(() => this.scheduleNow(classroomId, timer));
  }

  private async scheduleNow(classroomId: string, timer: SimTimer): Promise<void> {
    const clock = await this.options.clocks.getClock(classroomId);
    const delay = wallDelayUntil(clock, timer.dueAt, Date.now());
    const jobId = delay === null ? '' : await this.newJobId(classroomId);
    // The queue's own connection may still be reconnecting after an outage: refuse before the
    // index points at a job that could not be added.
    if (delay !== null) await this.queueReady(classroomId, jobId);
    // The index first: a job that runs before its entry exists would be taken for stale.
    const old = await this.index.replace(classroomId, { ...timer, jobId });
    if (delay !== null) {
      try {
        await this.addJob(classroomId, timer, jobId, delay);
      } catch (error) {
        // Point the entry back at the job it had (a firing tick then runs again and schedules
        // anew), or drop a new one: an entry whose job was never added would never fire.
        const undo = old ? this.index.swapJob(classroomId, timer.key, jobId, old.jobId) : this.index.deleteIfJob(classroomId, timer.key, jobId);
        await undo.catch(() => false);
        throw error;
      }
    }
    // A firing job (a recurring tick scheduling its next) completes by itself; removing it would
    // pull it from under its worker once its lock has lapsed (after an outage).
    if (old?.jobId && !isFiring(old.jobId)) await this.removeJob(classroomId, old.jobId);
  }

  /** Cancels a pending timer; false when there was none. A timer already firing completes. */
  cancel(classroomId: string, key: string): Promise<boolean> {
    return orUnavailable(async () => {
      const old = await this.index.take(classroomId, key);
      if (old?.jobId) await this.removeJob(classroomId, old.jobId);
      return old !== null;
    });
  }

  /** Cancels every pending timer of a classroom (it is closed or deleted); returns how many. */
  cancelAll(classroomId: string): Promise<number> {
    return orUnavailable(async () => {
      const old = await this.index.takeAll(classroomId);
      await Promise.all(old.map((entry) => (entry.jobId ? this.removeJob(classroomId, entry.jobId) : undefined)));
      return old.length;
    });
  }

  /** The classroom's pending timers, soonest first. */
  async pending(classroomId: string): Promise<SimTimer[]> {
    const entries = await this.index.all(classroomId);
    return entries.map(({ jobId: _jobId, ...timer }) => timer).sort((a, b) => a.dueAt - b.dueAt);
  }

  /**
   * Gives a new job to every timer of the classroom whose job will not fire: it vanished (Redis
   * kept the index entry but lost the job when it was killed, or a process died mid-fire and
   * BullMQ gave up on the job), or sits failed, completed or delayed well past its due time; also
   * a timer left parked while the clock runs. Only timers late by the grace period are looked up
   * in BullMQ, so a pass over a healthy classroom costs one read. Racing processes cannot fire a
   * timer twice: the index's compare-and-set on the job id lets one new job stand.
   * Returns the classroom's timers after the repair, and how many were repaired.
   */
  repair(classroomId: string, clock: SimClock): Promise<{ timers: SimTimer[]; repaired: number }> {
    return orUnavailable(async () => {
      const entries = await this.index.all(classroomId);
      const wallNow = Date.now();
      const stranded = await Promise.all(entries.map((entry) => this.stranded(classroomId, entry, clock, wallNow)));
      const lost = entries.filter((_, i) => stranded[i]);
      const won = await Promise.all(lost.map((entry) => this.reschedule(classroomId, entry, wallDelayUntil(clock, entry.dueAt, wallNow))));
      const repaired = lost.filter((_, i) => won[i]).map((e) => e.key);
      if (repaired.length) this.options.logger?.warn({ classroomId, timers: repaired }, 'timers whose jobs would never fire were scheduled again');
      if (this.workersStuck) {
        this.workersStuck = false;
        await this.restartWorkers();
      }
      return { timers: entries.map(({ jobId: _jobId, ...timer }) => timer), repaired: repaired.length };
    });
  }

  private async stranded(classroomId: string, entry: TimerEntry, clock: SimClock, wallNow: number): Promise<boolean> {
    const delay = wallDelayUntil(clock, entry.dueAt, wallNow);
    if (delay === null) return false; // parked with its clock: nothing is due
    if (!entry.jobId) return true;
    // On another process's lanes (the classroom was taken over, or booked by a process that read
    // the old owner) or on the shared ones: this owner's workers would never take it, so it moves
    // here at once. Unless that process fires it right now: then it hands the timer over, and only
    // a dead one's is moved.
    const owners = this.options.owners;
    const process = processOfJob(entry.jobId);
    const foreign = owners !== undefined && process !== owners.serverId;
    if (foreign && (!isFiring(entry.jobId) || (process !== null && !(await owners.isAlive(process))))) return true;
    const lateMs = (simNow(clock, wallNow) - entry.dueAt) / clock.timeScale;
    if (lateMs < (this.options.repairGraceMs ?? REPAIR_GRACE_MS)) return false;
    const state = await this.queueOf(classroomId, entry.jobId).getJobState(jobIdOf(entry.jobId));
    // Waiting to be taken, long after it was due: the job is fine, the workers are not.
    if (!foreign && WAITING_JOB_STATES.has(state) && lateMs > this.stuckWorkerMs && this.workers) this.workersStuck = true;
    return !LIVE_JOB_STATES.has(state);
  }

  /**
   * The classroom's clock was paused, resumed or rescaled: parks every pending timer while it is
   * paused, otherwise moves each to its new wall-clock due time. One pass over this classroom only.
   */
  onClockChanged(classroomId: string, clock: SimClock): Promise<void> {
    return orUnavailable(async () => {
      const entries = await this.index.all(classroomId);
      const wallNow = Date.now();
      await Promise.all(
        entries
          .filter((entry) => !isFiring(entry.jobId))
          .map((entry) => this.reschedule(classroomId, entry, wallDelayUntil(clock, entry.dueAt, wallNow))),
      );
    });
  }

  /** Stops taking jobs and waits for the running ones; the Redis client stays open (the caller owns it). */
  async close(): Promise<void> {
    this.closing = true;
    const workers = this.workers ?? [];
    this.workers = null;
    const step = (what: string, work: Promise<unknown>): Promise<boolean> =>
      withinMs(work.then(() => true), CLOSE_PATIENCE_MS, false).then((done) => {
        if (!done) this.options.logger?.warn({ patienceMs: CLOSE_PATIENCE_MS }, `sim-timers: ${what} did not finish in time (a connection that died with its Redis master answers nothing); closing on without it`);
        return done;
      });
    await step('closing the workers', Promise.all(workers.map((worker) => worker.close())));
    // Its own lanes go with it: the classrooms' new owners move their timers (see `stranded`).
    const owners = this.options.owners;
    if (owners) {
      const own = this.processLanes(owners.serverId).flatMap((lane) => this.queues.get(lane.prefix) ?? []);
      await step('deleting its lanes', Promise.all(own.map((queue) => queue.obliterate({ force: true }).catch(() => undefined))));
    }
    await step('closing the queues', Promise.all([...this.queues.values()].map((queue) => queue.close())));
    for (const client of [this.workerClient, this.queueClient]) if (client && !(await step('closing its connection', closeConnection(client)))) cutConnection(client);
    this.workerClient = null;
  }

  /**
   * A process that stopped beating: its own lanes are deleted (a new owner's `repair` moved or
   * moves their timers: the index, not the queue, says what is due), so its delayed jobs and
   * event stream do not stay in Redis for good. Idempotent; every survivor may call it.
   */
  async forgetProcess(serverId: string): Promise<void> {
    if (serverId === this.options.owners?.serverId) return;
    // Taken for dead after a long pause, it may be beating again already: its lanes are still worked.
    if (await this.options.owners?.isAlive(serverId)) return;
    for (const lane of this.processLanes(serverId)) {
      const queue = this.queueAt(lane.prefix);
      this.queues.delete(lane.prefix);
      try {
        await queue.obliterate({ force: true });
      } finally {
        await queue.close();
      }
    }
  }

  private async dropFailed(job: Job<JobData>): Promise<void> {
    const { classroomId, key } = job.data;
    const jobId = job.id ?? '';
    if (!(await this.index.deleteIfJob(classroomId, key, firing(jobId)))) await this.index.deleteIfJob(classroomId, key, jobId);
  }

  /** Points the entry at a new job (none while parked); false when it lost the race to a newer schedule, cancel or firing. */
  private async reschedule(classroomId: string, entry: TimerEntry, delay: number | null): Promise<boolean> {
    if (delay === null && !entry.jobId) return false;
    const jobId = delay === null ? '' : await this.newJobId(classroomId);
    if (delay !== null) await this.queueReady(classroomId, jobId);
    if (!(await this.index.swapJob(classroomId, entry.key, entry.jobId, jobId))) return false;
    if (delay !== null) {
      try {
        await this.addJob(classroomId, entry, jobId, delay);
      } catch (error) {
        await this.index.swapJob(classroomId, entry.key, jobId, entry.jobId).catch(() => false);
        throw error;
      }
    }
    if (entry.jobId) await this.removeJob(classroomId, entry.jobId);
    return true;
  }

  /** Before its first connection the queue is waited for; after it, a lost connection is an outage. */
  private async queueReady(classroomId: string, jobId: string): Promise<void> {
    if (isConnectionReady(this.queueClient)) return;
    if (!this.queueConnected) return void (await this.queueOf(classroomId, jobId).waitUntilReady());
    throw new RedisUnavailableError();
  }

  private async addJob(classroomId: string, timer: SimTimer, jobId: string, delay: number): Promise<void> {
    await this.queueOf(classroomId, jobId).add(timer.kind, { classroomId, key: timer.key }, { jobId, delay });
  }

  /** Best effort: a stale job that survives (it is running) finds the index moved on and does nothing. */
  private async removeJob(classroomId: string, entryJobId: string): Promise<void> {
    try {
      await this.queueOf(classroomId, entryJobId).remove(jobIdOf(entryJobId));
    } catch (err) {
      this.options.logger?.warn({ err, jobId: entryJobId }, 'could not remove a stale timer job');
    }
  }

  /**
   * Runs the job; when Redis goes away under it, waits for Redis and runs it again from the
   * start (the index says whether it still fires), instead of spending its attempts on the outage.
   */
  private async process(job: Job<JobData>, token: string | undefined): Promise<void> {
    const deadline = Date.now() + OUTAGE_PATIENCE_MS;
    for (;;) {
      try {
        return await this.fire(job, token);
      } catch (error) {
        const redis = this.options.redis;
        if (!isConnectionError(error) || this.closing || Date.now() >= deadline || !redis.isOpen) throw error;
        // Another of the connections may still be reconnecting: never run again straight away.
        await new Promise((resolve) => setTimeout(resolve, 100));
        while (!this.closing && Date.now() < deadline && !(await whenReady(redis, 1000))) {
          if (!redis.isOpen) throw error;
        }
      }
    }
  }

  private async fire(job: Job<JobData>, token: string | undefined): Promise<void> {
    const data = jobDataSchema.safeParse(job.data);
    // A job id whose record is gone (seen in BullMQ's active list after Redis and then the server
    // were killed mid-round): nothing to fire. The timer index, not the queue, says what is due,
    // and the sweep gives a lost timer a new job.
    if (!data.success) return void this.options.logger?.debug({ jobId: job.id }, 'a timer job without its record was dropped');
    const { classroomId, key } = data.data;
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
    if (!this.handlers.has(entry.kind)) throw new Error(`no handler for timer kind "${entry.kind}"`);
    if (entry.jobId === jobId && !(await this.index.swapJob(classroomId, key, jobId, firing(jobId)))) return;
    const { jobId: _jobId, ...timer } = entry;
    const fired: FiredTimer = { timer, firedAt: Math.max(timer.dueAt, simNow(clock, wallNow)), jobId };
    const local = () => this.runFired(classroomId, fired);
    await (this.options.route ? this.options.route(classroomId, fired, local) : local());
  }
}
