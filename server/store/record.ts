/**
 * The session record beside the change log: API requests (accepted and refused), room changes
 * (members, roles, the clock) and round markers, in their own stream. Each entry's id is
 * `<resourceVersion>-<n>`, taken in one script with the classroom's current resourceVersion, so
 * merging this stream with the change log (ids `<resourceVersion>-0`) by id gives the session in
 * the order it happened: what was recorded after change N and before change N+1 sits between them.
 */
import { z } from 'zod';
import type { ApiRequestEntry, RecordEntry, RoundMarker } from '@shared/protocol';
import type { RedisClient } from '../redis/connect';
import type { StoreKeys } from './keys';
import { LuaScript } from './scripts';

/** Lua appending ARGV[1] (capped at ARGV[2]) to the record KEYS[2] after the version in KEYS[1]; sets `id`. */
export const APPEND_RECORD_LUA = `
local rv = redis.call('GET', KEYS[1]) or '0'
local seq = 1
local last = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)[1]
if last then
  local id = last[1]
  local dash = string.find(id, '-', 1, true)
  if string.sub(id, 1, dash - 1) == rv then seq = tonumber(string.sub(id, dash + 1)) + 1 end
end
local id = rv .. '-' .. seq
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], id, 'entry', ARGV[1])
`;
// KEYS: rv counter, record stream; ARGV: entry JSON, cap
const APPEND = `${APPEND_RECORD_LUA}
return id
`;
const appendScript = new LuaScript(APPEND);

/** A record entry as appended: its resourceVersion is the classroom's when it is written. */
type WithoutVersion<T> = T extends unknown ? Omit<T, 'resourceVersion'> : never;
export type NewRecordEntry = WithoutVersion<RecordEntry>;

/**
 * A request's record entry as JSON.stringify writes `{ t: 'request', entry, actor, simTime, wallTime }`
 * (the request's own fields), from the request's JSON already made for the request log: every
 * move's write serialised the request twice.
 */
export function requestRecordJson(entry: ApiRequestEntry, entryJson: string): string {
  return `{"t":"request","entry":${entryJson},"actor":${JSON.stringify(entry.actor)},"simTime":${JSON.stringify(entry.simTime)},"wallTime":${JSON.stringify(entry.wallTime)}}`;
}

/** Appends one entry; resolves to its stream id. */
export async function appendRecordEntry(redis: RedisClient, keys: StoreKeys, entry: NewRecordEntry, cap: number): Promise<string> {
  return z.string().parse(await appendScript.call(redis, [keys.rv, keys.record], [JSON.stringify(entry), String(cap)]));
}

/**
 * A round marker on the session's timeline (round started / ended, a step, a goal reached):
 * `store.appendMarker(classroomId, { kind: 'goal', label: 'web has 3 Ready endpoints' }, { actor, simTime })`.
 */
export function markerEntry(marker: RoundMarker, context: { actor: string; simTime: number }, wallTime = Date.now()): NewRecordEntry {
  return { t: 'marker', marker, actor: context.actor, simTime: context.simTime, wallTime };
}

const StreamEntriesSchema = z.array(z.object({ id: z.string(), message: z.object({ entry: z.string() }) }));

/** Entries with ids after `afterId` (exclusive), oldest first, at most `count`, as stored (JSON without resourceVersion). */
export async function readRecordEntries(redis: RedisClient, key: string, afterId: string, count: number): Promise<{ id: string; json: string }[]> {
  const entries = StreamEntriesSchema.parse(await redis.xRange(key, `(${afterId}`, '+', { COUNT: count }));
  return entries.map(({ id, message }) => ({ id, json: message.entry }));
}
