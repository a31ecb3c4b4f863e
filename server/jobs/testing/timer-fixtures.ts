import { z } from 'zod';
import { simNow, type SimClock } from '@shared/protocol';
import type { RedisClient } from '../../redis/connect';
import type { ClockSource, TimerHandler } from '../sim-timer';
import type { TimerOwners } from '../sim-timer-service';

const clockSchema = z.object({ simAtWall: z.number(), wall: z.number(), timeScale: z.number(), paused: z.boolean() });

/** Clocks kept in Redis, so a child process and the test read the same one (as the classroom module's would). */
export class RedisClocks implements ClockSource {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {}

  async set(classroomId: string, clock: SimClock): Promise<SimClock> {
    await this.redis.set(`${this.prefix}:{${classroomId}}:test-clock`, JSON.stringify(clock));
    return clock;
  }

  async getClock(classroomId: string): Promise<SimClock> {
    const raw = await this.redis.get(`${this.prefix}:{${classroomId}}:test-clock`);
    if (!raw) throw new Error(`no clock for classroom ${classroomId}`);
    return clockSchema.parse(JSON.parse(raw));
  }

  /** Re-anchors the clock at now with the changes, as the classroom module does on pause, resume or rescale. */
  async change(classroomId: string, changes: Partial<SimClock>): Promise<SimClock> {
    const clock = await this.getClock(classroomId);
    const wallNow = Date.now();
    return this.set(classroomId, { ...clock, simAtWall: simNow(clock, wallNow), wall: wallNow, ...changes });
  }
}

export const firingSchema = z.object({
  by: z.string(),
  classroomId: z.string(),
  key: z.string(),
  dueAt: z.number(),
  firedAt: z.number(),
  /** The classroom's simulated now read independently inside the handler: proves the timer was really due. */
  simAt: z.number(),
  wall: z.number(),
  payload: z.json(),
});
export type Firing = z.infer<typeof firingSchema>;

const firingsKey = (prefix: string): string => `${prefix}:test-firings`;

/** A handler that appends each firing to a Redis list, whichever process runs it. */
export function recordFiring(redis: RedisClient, prefix: string, by: string): TimerHandler {
  const clocks = new RedisClocks(redis, prefix);
  return async (classroomId, timer, firedAt) => {
    const wall = Date.now();
    const simAt = simNow(await clocks.getClock(classroomId), wall);
    const firing: Firing = { by, classroomId, key: timer.key, dueAt: timer.dueAt, firedAt, simAt, wall, payload: timer.payload };
    await redis.rPush(firingsKey(prefix), JSON.stringify(firing));
  };
}

export async function firings(redis: RedisClient, prefix: string): Promise<Firing[]> {
  const raw = await redis.lRange(firingsKey(prefix), 0, -1);
  return raw.map((value) => firingSchema.parse(JSON.parse(value)));
}

const ownerKey = (prefix: string, classroomId: string): string => `${prefix}:{${classroomId}}:test-owner`;
const aliveKey = (prefix: string, serverId: string): string => `${prefix}:test-alive:${serverId}`;

/** Owners and live processes kept in Redis, as the classroom leases and the process heartbeat keep them. */
export function redisOwners(redis: RedisClient, prefix: string, serverId: string): TimerOwners {
  return {
    serverId,
    ownerOf: (classroomId) => redis.get(ownerKey(prefix, classroomId)),
    isAlive: async (id) => (await redis.exists(aliveKey(prefix, id))) === 1,
  };
}

export async function setOwner(redis: RedisClient, prefix: string, classroomId: string, serverId: string): Promise<void> {
  await redis.set(ownerKey(prefix, classroomId), serverId);
}

export async function setAlive(redis: RedisClient, prefix: string, serverId: string, alive: boolean): Promise<void> {
  if (alive) await redis.set(aliveKey(prefix, serverId), '1');
  else await redis.del(aliveKey(prefix, serverId));
}
