/**
 * A classroom's timers run on its owner (classroom-leases.ts). Its jobs are on the owner's own
 * lanes, which only the owner's workers take (owner-local timers, see sim-timer-service.ts); a job
 * still fires on another process when the classroom's lease moved after the job was booked and
 * before the new owner's repair moved it. Such a timer is handed to the owner over Redis pub/sub
 * (one channel per process) and its job completes at once, so the worker is not held while the
 * owner runs it. The timer's index entry stays marked firing until the owner has run it: if the
 * owner dies first, the new owner's `repair` gives it a new job, so a handed-over timer is never lost.
 * Nobody owns the classroom (a lobby, a lease between owners) or nobody hears on the owner's channel
 * (it died and its lease has not lapsed yet): the timer runs here.
 */
import { z } from 'zod';
import { simTimerSchema } from '../jobs/sim-timer';
import type { FiredTimer } from '../jobs/sim-timer-service';
import type { Logger } from '../logger';
import { isCluster, type RedisClient } from '../redis/connect';

/** The process's own channel; on a Redis Cluster a shard channel (SPUBLISH), in the slot of its hash tag. */
export const processTimersChannel = (prefix: string, serverId: string): string => `${prefix}:{process:${serverId}}:timers`;

const handedTimer = z.object({
  classroomId: z.string(),
  fired: z.object({ timer: simTimerSchema, firedAt: z.number(), jobId: z.string() }),
});

export type RunHanded = (classroomId: string, fired: FiredTimer) => Promise<void>;

export interface TimerRoutingOptions {
  redis: RedisClient;
  keyPrefix: string;
  serverId: string;
  logger: Logger;
  /** The owning process's id, or null while nobody owns the classroom. */
  ownerOf(classroomId: string): Promise<string | null>;
}

export class TimerRouting {
  private subscriber: { close(): Promise<void> } | null = null;
  /** Timers handed here and still running (the shutdown waits for them). */
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly options: TimerRoutingOptions) {}

  /** Runs the timers handed to this process with `run`. */
  async start(run: RunHanded): Promise<void> {
    const { redis, keyPrefix, serverId, logger } = this.options;
    const onMessage = (raw: string): void => {
      const parsed = handedTimer.safeParse(JSON.parse(raw));
      if (!parsed.success) return void logger.warn({ err: parsed.error }, 'ignored a malformed handed-over timer');
      const job = run(parsed.data.classroomId, parsed.data.fired).finally(() => this.running.delete(job));
      this.running.add(job);
    };
    const channel = processTimersChannel(keyPrefix, serverId);
    const subscriber = redis.duplicate();
    subscriber.on('error', () => {}); // the main client reports outages; this one reconnects
    await subscriber.connect();
    if (isCluster(subscriber)) await subscriber.sSubscribe(channel, onMessage);
    else await subscriber.subscribe(channel, onMessage);
    this.subscriber = subscriber;
  }

  async close(): Promise<void> {
    await this.subscriber?.close().catch(() => undefined);
    await Promise.allSettled([...this.running]);
  }

  /** Hands the timer to the classroom's owner, or runs it here (`local`) when that is this process or none hears. */
  async route(classroomId: string, fired: FiredTimer, local: () => Promise<void>): Promise<void> {
    const { redis, keyPrefix, serverId } = this.options;
    const owner = await this.options.ownerOf(classroomId);
    if (owner === null || owner === serverId || !this.subscriber) return local();
    const channel = processTimersChannel(keyPrefix, owner);
    const message = JSON.stringify({ classroomId, fired });
    // SPUBLISH counts the subscribers on the channel's shard, where the owner subscribed: 0 means it is gone.
    const receivers = isCluster(redis) ? await redis.sPublish(channel, message) : await redis.publish(channel, message);
    if (receivers === 0) return local();
  }
}
