/**
 * The replay record's upkeep, as one BullMQ job that repeats (a job scheduler, so one process runs
 * each sweep however many are up): compact the change log of every open classroom, archive the
 * classrooms closed longer than their retention. `sweep` is the job's work, callable directly.
 */
import { Queue, Worker } from 'bullmq';
import { bullConnection, closeConnection, eventsOf, openConnection, type BullConnection } from '../jobs/timer-lanes';
import { OutageLog } from '../jobs/outage-log';
import type { Logger } from '../logger';
import { archiveClassroom, dueForArchive, type Archived } from './archive';
import { compactClassroom, type CompactionOptions, type ReplayFiles, type SegmentRecord } from './compaction';

export const REPLAY_MAINTENANCE_QUEUE = 'replay-maintenance';
const SCHEDULER_ID = 'replay-sweep';
/** Classrooms archived per sweep at most: a backlog goes over several sweeps. */
const ARCHIVES_PER_SWEEP = 20;

export interface ReplayMaintenanceOptions extends ReplayFiles {
  /** The open classrooms (those with a join code). */
  openClassroomIds: () => Promise<string[]>;
  /** How long a closed classroom stays in Redis. */
  archiveAfterMs: number;
  sweepEveryMs: number;
  compaction: CompactionOptions;
  logger?: Logger;
}

export interface SweepResult {
  compacted: (SegmentRecord & { classroomId: string })[];
  archived: Archived[];
}

export class ReplayMaintenance {
  private readonly queue: Queue;
  private readonly queueClient: BullConnection;
  private worker: Worker | null = null;
  private workerClient: BullConnection | null = null;

  constructor(private readonly options: ReplayMaintenanceOptions) {
    this.queueClient = bullConnection(options.redis, { offlineQueue: false, blocking: false });
    // A Redis outage is one line when it starts and one when it ends, not one per BullMQ retry.
    const queueLog = new OutageLog('replay maintenance queue', options.logger);
    eventsOf(this.queueClient).on('error', (err: unknown) => queueLog.error(err, 'replay maintenance queue connection error'));
    eventsOf(this.queueClient).on('ready', () => queueLog.ready());
    this.queue = new Queue(REPLAY_MAINTENANCE_QUEUE, { connection: this.queueClient, prefix: this.bullPrefix() });
    this.queue.on('error', (err) => queueLog.error(err, 'replay maintenance queue error'));
  }

  /** Its own hash tag: on a Redis Cluster the queue's keys (and BullMQ's scripts) stay on one shard. */
  private bullPrefix(): string {
    return `${this.options.keyPrefix}:{replay-maintenance}`;
  }

  /** One pass: compaction first (running classes), then archiving (closed ones). */
  async sweep(now = Date.now()): Promise<SweepResult> {
    const result: SweepResult = { compacted: [], archived: [] };
    for (const classroomId of await this.options.openClassroomIds()) {
      const segment = await compactClassroom(this.options, classroomId, this.options.compaction);
      if (segment) result.compacted.push({ classroomId, ...segment });
    }
    for (const classroomId of await dueForArchive(this.options, this.options.archiveAfterMs, now, ARCHIVES_PER_SWEEP)) {
      result.archived.push(await archiveClassroom(this.options, classroomId));
    }
    return result;
  }

  async start(): Promise<void> {
    const client = bullConnection(this.options.redis, { offlineQueue: true, blocking: true });
    const workerLog = new OutageLog('replay maintenance worker', this.options.logger);
    eventsOf(client).on('error', (err: unknown) => workerLog.error(err, 'replay maintenance worker connection error'));
    eventsOf(client).on('ready', () => workerLog.ready());
    await openConnection(client);
    this.workerClient = client;
    this.worker = new Worker(
      REPLAY_MAINTENANCE_QUEUE,
      async () => {
        const { compacted, archived } = await this.sweep();
        for (const c of compacted) this.options.logger?.info({ classroomId: c.classroomId, from: c.from, to: c.to, lines: c.lines, bytes: c.bytes }, 'compacted a classroom record to disk');
        for (const a of archived) this.options.logger?.info({ classroomId: a.classroomId, file: a.file, lines: a.lines, keysRemoved: a.keysRemoved }, 'archived a closed classroom');
      },
      { connection: client, prefix: this.bullPrefix(), concurrency: 1 },
    );
    this.worker.on('error', (err) => workerLog.error(err, 'replay maintenance worker error'));
    this.worker.on('failed', (_job, err) => workerLog.error(err, 'replay maintenance sweep failed'));
    await this.queue.upsertJobScheduler(SCHEDULER_ID, { every: this.options.sweepEveryMs }, { name: 'sweep', opts: { removeOnComplete: true, removeOnFail: 100 } });
    await this.worker.waitUntilReady();
  }

  async close(): Promise<void> {
    await this.worker?.close();
    this.worker = null;
    await this.queue.close();
    for (const client of [this.workerClient, this.queueClient]) if (client) await closeConnection(client);
    this.workerClient = null;
  }
}
