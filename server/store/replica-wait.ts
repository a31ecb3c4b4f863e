/**
 * Redis replicates asynchronously: a master answers a write before its replica has it, and a
 * master that dies in that moment takes the write with it, although its replica takes over. etcd
 * acknowledges a write only once a quorum holds it; with REDIS_WRITE_REPLICAS set, the store
 * likewise answers a commit only after `WAIT <replicas> <timeout>` on the master that took it
 * says that many replicas hold it (the only candidates for promotion when it dies).
 * A replica that does not confirm in time (it is down, or far behind) does not fail the request:
 * the write is committed on the master and cannot be taken back, and without a live replica no
 * failover is possible anyway. The answer goes out, and one line says writes are unprotected,
 * one more when replicas confirm again. Meanwhile that master's writes skip the WAIT for a while
 * (UNPROTECTED_RETRY_MS), so a dead replica costs one write a second the timeout, not every write.
 * WAIT blocks the connection it is sent on, and every command queued behind it: one WAIT per master
 * is in flight at a time, and the commits that finish meanwhile share the next one (it covers every
 * write sent before it on that connection), as a group commit does.
 * The node connection WAIT goes on has no command timeout of its own: a master that hangs (frozen,
 * its packets dropped) would hold every commit waiting on it, and the moves of its component behind
 * them, for good. A WAIT with no reply by its own timeout plus COMMAND_TIMEOUT_MS counts as unconfirmed.
 */
import type { Logger } from '../logger';
import { COMMAND_TIMEOUT_MS, isCluster, type RedisClient } from '../redis/connect';
import { withinMs } from '../redis/within-ms';
import { keySlot } from '../redis/key-slot';
import { orUnavailable } from '../redis/unavailable';

export interface ReplicaWaitOptions {
  redis: RedisClient;
  /** Replicas that must hold a write before it is acknowledged (0: none, no WAIT). */
  replicas: number;
  /** How long a commit waits for them at most. */
  timeoutMs: number;
  logger?: Logger;
}

/** While a master's replicas do not confirm, its writes try WAIT again this often. */
export const UNPROTECTED_RETRY_MS = 1000;

interface Lane {
  /** The WAIT under way, and the one the commits finished meanwhile share (sent when it returns). */
  current: Promise<number> | null;
  next: Promise<number> | null;
}

export class ReplicaWait {
  /** Masters (by address) whose last WAIT fell short, and when to try again. */
  private readonly unprotected = new Map<string, number>();
  private readonly lanes = new Map<string, Lane>();

  constructor(private readonly options: ReplicaWaitOptions) {}

  /** Waits until the write just committed on `key`'s master has reached the replicas, or the timeout. */
  async after(key: string): Promise<void> {
    const { redis, replicas, timeoutMs, logger } = this.options;
    if (replicas === 0) return;
    const wait = ['WAIT', String(replicas), String(timeoutMs)];
    // On a cluster WAIT goes to the key's master only (node-redis would send a keyless WAIT to every master).
    const node = isCluster(redis) ? redis.getSlotMaster(keySlot(key)) : undefined;
    const master = node?.address ?? '';
    const retryAt = this.unprotected.get(master);
    if (retryAt !== undefined && Date.now() < retryAt) return;
    const confirmed = await this.shared(master, () =>
      orUnavailable(async () => {
        if (!isCluster(redis)) return Number(await redis.sendCommand(wait));
        const reply = (await redis.nodeClient(redis.getSlotMaster(keySlot(key)))).sendCommand(wait);
        return Number(await withinMs<unknown>(reply, timeoutMs + COMMAND_TIMEOUT_MS, 0));
      }),
    );
    // Read the state again after the WAIT: the commits that shared it all resume here, and only the
    // first of them changes the state (and says so), not each one.
    const wasUnprotected = this.unprotected.has(master);
    if (confirmed < replicas) {
      this.unprotected.set(master, Date.now() + UNPROTECTED_RETRY_MS);
      if (!wasUnprotected) logger?.warn({ master, confirmed, wanted: replicas, timeoutMs }, 'a write was acknowledged before its replicas held it (a replica is down or behind); a failure of this master now could lose it');
    } else if (wasUnprotected) {
      this.unprotected.delete(master);
      logger?.info({ master, confirmed }, 'writes reach their replicas again before they are acknowledged');
    }
  }

  /** The master's WAIT that covers a commit finished now: the next one sent, shared by whoever asks before it goes. */
  private shared(master: string, send: () => Promise<number>): Promise<number> {
    const lane = this.lanes.get(master) ?? { current: null, next: null };
    this.lanes.set(master, lane);
    const start = (): Promise<number> => {
      const sent: Promise<number> = send().finally(() => {
        if (lane.current === sent) lane.current = null;
      });
      lane.current = sent;
      return sent;
    };
    if (!lane.current) return start();
    // The WAIT under way went out before this commit: it may not cover it.
    lane.next ??= lane.current
      .catch(() => 0)
      .then(() => {
        lane.next = null;
        return start();
      });
    return lane.next;
  }
}
