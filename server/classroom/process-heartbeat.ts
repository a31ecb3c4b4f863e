/**
 * Presence that outlives a dead server process. Each process keeps a heartbeat key with a TTL
 * (and its last beat in a registry); every process also sweeps:
 * - the registry, for processes whose heartbeat lapsed (SIGKILL, a lost host): their members are
 *   marked disconnected as of the last beat, their grace periods scheduled, and the change
 *   announced, which also moves a control-plane Lease such a ghost led to a connected standby;
 * - the shared hand-back timers (a sorted set by graceUntil), handing seats back to the bots
 *   (hand-back-timer.ts).
 * Those timers are wall-clock on purpose: a grace period runs while the class is paused, unlike the
 * BullMQ timers in simulated time.
 */
import { z } from 'zod';
import type { Logger } from '../logger';
import type { RedisClient } from '../redis/connect';
import { LuaScript } from '../redis/lua-script';
import type { ClassroomAnnouncer } from './announcer';
import { startHandBackTimer } from './hand-back-timer';
import { processClassroomsKey, processHeartbeatKey, processesKey } from './keys';
import type { ClassroomRepository, HandBack } from './repository';

/** A process is dead once its heartbeat key lapsed: 3 beats missed. */
export const PROCESS_HEARTBEAT_TTL_MS = 3000;
export const PROCESS_HEARTBEAT_INTERVAL_MS = 1000;

/**
 * A beat and the registry as it stands, one round trip a second: the heartbeat key with its TTL and
 * this process's last beat (together, as a MULTI did), then every registered process with its last
 * beat, for the sweep. KEYS: heartbeat, registry. ARGV: now (ms), TTL (ms), serverId.
 * Returns {1 when this process was not in the registry (first beat, or reaped) else 0, id, last beat, id, last beat, …}.
 */
const BEAT_SCRIPT = new LuaScript(`redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
local added = redis.call('ZADD', KEYS[2], ARGV[1], ARGV[3])
local registry = redis.call('ZRANGE', KEYS[2], 0, -1, 'WITHSCORES')
table.insert(registry, 1, added)
return registry`);

const beatReply = z.tuple([z.number()]).rest(z.string());

export interface ProcessHeartbeatOptions {
  redis: RedisClient;
  prefix: string;
  serverId: string;
  classrooms: ClassroomRepository;
  announcer: ClassroomAnnouncer;
  logger: Logger;
  /**
   * This process was declared dead and reaped while it was alive (a pause longer than the TTL):
   * it must count its sockets again.
   */
  onRevived?: () => Promise<void>;
  /** A dead process was reaped (by this process or, at the same time, by another): its own keys may go. */
  onReaped?: (serverId: string) => Promise<void>;
  ttlMs?: number;
  intervalMs?: number;
}

export interface ProcessHeartbeat {
  /** Stops beating and sweeping, and takes this process out of the registry (after its sockets closed). */
  close(): Promise<void>;
}

/** A loop that never overlaps itself and logs once per change between failing and working. */
function every(ms: number, what: string, logger: Logger, work: () => Promise<void>): () => Promise<void> {
  let stopped = false;
  let failing = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const tick = (): void => {
    running = work()
      .then(() => {
        if (failing) logger.info(`${what}: working again`);
        failing = false;
      })
      .catch((error: unknown) => {
        if (!failing) logger.warn({ err: error }, `${what} failed; retrying`);
        failing = true;
      })
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, ms);
      });
  };
  timer = setTimeout(tick, ms);
  return async () => {
    stopped = true;
    clearTimeout(timer);
    await running;
  };
}

async function announceAll(announcer: ClassroomAnnouncer, handBacks: HandBack[]): Promise<void> {
  const byClassroom = new Map<string, string[]>();
  for (const { classroomId, memberId } of handBacks) byClassroom.set(classroomId, [...(byClassroom.get(classroomId) ?? []), memberId]);
  for (const [classroomId, memberIds] of byClassroom) await announcer.announce(classroomId, ['presence'], memberIds);
}

/** Beats once (so the process is known before it serves a socket), then keeps beating and sweeping. */
export async function startProcessHeartbeat(options: ProcessHeartbeatOptions): Promise<ProcessHeartbeat> {
  const { redis, prefix, serverId, classrooms, announcer, logger, onRevived, onReaped } = options;
  const ttlMs = options.ttlMs ?? PROCESS_HEARTBEAT_TTL_MS;
  const heartbeatKey = processHeartbeatKey(prefix, serverId);
  const registry = processesKey(prefix);

  /** Whether this process had been taken out of the registry (first beat, or reaped), and every registered process with its last beat. */
  async function beat(): Promise<{ revived: boolean; processes: { value: string; score: number }[] }> {
    const [added, ...flat] = beatReply.parse(await BEAT_SCRIPT.call(redis, [heartbeatKey, registry], [String(Date.now()), String(ttlMs), serverId]));
    const processes: { value: string; score: number }[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) processes.push({ value: flat[i] ?? '', score: Number(flat[i + 1]) });
    return { revived: added === 1, processes };
  }

  async function reapGhosts(processes: { value: string; score: number }[]): Promise<void> {
    const others = processes.filter((p) => p.value !== serverId);
    if (!others.length) return;
    const alive = await Promise.all(others.map((p) => redis.exists(processHeartbeatKey(prefix, p.value))));
    for (const [i, ghost] of others.entries()) {
      if (alive[i] !== 0) continue;
      const reaped = await classrooms.reapProcess(ghost.value, ghost.score);
      // Only after its members are disconnected: a survivor that dies mid-reap leaves the ghost for the next one.
      await redis.zRem(registry, ghost.value);
      const members = reaped.flat();
      logger.info({ ghost: ghost.value, lastBeat: new Date(ghost.score).toISOString(), members: members.length }, 'a server process stopped beating; its members are disconnected');
      await announceAll(announcer, members);
      await onReaped?.(ghost.value);
    }
  }

  await beat();
  // Since when this process has beaten without a miss. After a Redis outage every heartbeat key may
  // have lapsed: a process reaps others only once they all had a TTL to beat again.
  let beatingSince = Date.now();
  const stopBeating = every(options.intervalMs ?? PROCESS_HEARTBEAT_INTERVAL_MS, 'process heartbeat', logger, async () => {
    let beaten: Awaited<ReturnType<typeof beat>>;
    try {
      beaten = await beat();
    } catch (error) {
      beatingSince = Number.POSITIVE_INFINITY;
      throw error;
    }
    if (beatingSince === Number.POSITIVE_INFINITY) beatingSince = Date.now();
    if (beaten.revived) {
      logger.warn({ serverId }, 'this process was taken for dead (a pause longer than its heartbeat TTL); counting its sockets again');
      await onRevived?.();
    }
    if (Date.now() - beatingSince >= ttlMs) await reapGhosts(beaten.processes);
  });
  const stopHandingBack = startHandBackTimer({ classrooms, logger, announce: (handBacks) => announceAll(announcer, handBacks) });

  return {
    async close() {
      await stopBeating();
      await stopHandingBack();
      // A graceful shutdown closed its sockets first; whatever they could not uncount (Redis away
      // meanwhile) this process reaps itself, or leaves to a survivor when even that fails.
      try {
        await announceAll(announcer, (await classrooms.reapProcess(serverId, Date.now())).flat());
        await redis.multi().del(heartbeatKey).zRem(registry, serverId).del(processClassroomsKey(prefix, serverId)).exec();
      } catch (error) {
        logger.warn({ err: error }, 'could not take this process out of the registry; a survivor will');
      }
    },
  };
}
