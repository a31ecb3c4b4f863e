import { z } from 'zod';
import type { RedisClient } from '../redis/connect';
import { LuaScript } from '../redis/lua-script';
import { simTimerSchema, type SimTimer } from './sim-timer';

/**
 * A pending timer and the BullMQ job that will fire it. `jobId` is '' while the timer is parked
 * (its classroom is paused); a job whose id is not the entry's is stale and must not fire.
 */
export interface TimerEntry extends SimTimer {
  jobId: string;
}

/** hash: timer key -> TimerEntry JSON; hash-tagged so a classroom's timers live on one shard. */
export const timersKey = (prefix: string, classroomId: string): string => `${prefix}:{${classroomId}}:timers`;

// Each value is `<jobId>|<timer JSON>`, so the scripts compare and swap the job id without
// re-encoding the timer (Lua's cjson would turn [] into {} and round long numbers).
const JOB_OF = `
local function jobOf(raw)
  return string.sub(raw, 1, string.find(raw, '|', 1, true) - 1)
end`;

// Compare-and-set on the job id, so a reschedule never overwrites a newer schedule or a cancel.
const SWAP_JOB = `${JOB_OF}
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw or jobOf(raw) ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3] .. string.sub(raw, #ARGV[2] + 1))
return 1`;

const DELETE_IF_JOB = `${JOB_OF}
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw or jobOf(raw) ~= ARGV[2] then return 0 end
return redis.call('HDEL', KEYS[1], ARGV[1])`;

const REPLACE = `
local old = redis.call('HGET', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return old`;

const TAKE = `
local old = redis.call('HGET', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[1], ARGV[1])
return old`;

const TAKE_ALL = `
local all = redis.call('HVALS', KEYS[1])
redis.call('DEL', KEYS[1])
return all`;

function encode(entry: TimerEntry): string {
  const { jobId, ...timer } = entry;
  return `${jobId}|${JSON.stringify(timer)}`;
}

function parseEntry(raw: unknown): TimerEntry | null {
  if (typeof raw !== 'string') return null;
  const sep = raw.indexOf('|');
  return { ...simTimerSchema.parse(JSON.parse(raw.slice(sep + 1))), jobId: raw.slice(0, sep) };
}

const valuesSchema = z.array(z.string());

function parseEntries(raw: unknown): TimerEntry[] {
  return valuesSchema.parse(raw).flatMap((value) => parseEntry(value) ?? []);
}

/** Sent by SHA: the index is written at every timer's booking and firing. */
const scripts = {
  swapJob: new LuaScript(SWAP_JOB),
  deleteIfJob: new LuaScript(DELETE_IF_JOB),
  replace: new LuaScript(REPLACE),
  take: new LuaScript(TAKE),
  takeAll: new LuaScript(TAKE_ALL),
};

/** The per-classroom index of pending timers: the source of truth that BullMQ jobs are checked against. */
export class TimerIndex {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {}

  private run(script: LuaScript, classroomId: string, args: string[]): Promise<unknown> {
    return script.call(this.redis, [timersKey(this.prefix, classroomId)], args);
  }

  async get(classroomId: string, key: string): Promise<TimerEntry | null> {
    return parseEntry(await this.redis.hGet(timersKey(this.prefix, classroomId), key));
  }

  async all(classroomId: string): Promise<TimerEntry[]> {
    return parseEntries(await this.redis.hVals(timersKey(this.prefix, classroomId)));
  }

  /** Stores the entry and returns the one it replaced. */
  async replace(classroomId: string, entry: TimerEntry): Promise<TimerEntry | null> {
    return parseEntry(await this.run(scripts.replace, classroomId, [entry.key, encode(entry)]));
  }

  /** Points the entry at another job, only if it still points at `fromJobId`. */
  async swapJob(classroomId: string, key: string, fromJobId: string, toJobId: string): Promise<boolean> {
    return (await this.run(scripts.swapJob, classroomId, [key, fromJobId, toJobId])) === 1;
  }

  /** Removes the entry once its job has fired, unless it was rescheduled meanwhile. */
  async deleteIfJob(classroomId: string, key: string, jobId: string): Promise<boolean> {
    return (await this.run(scripts.deleteIfJob, classroomId, [key, jobId])) === 1;
  }

  async take(classroomId: string, key: string): Promise<TimerEntry | null> {
    return parseEntry(await this.run(scripts.take, classroomId, [key]));
  }

  async takeAll(classroomId: string): Promise<TimerEntry[]> {
    return parseEntries(await this.run(scripts.takeAll, classroomId, []));
  }
}
