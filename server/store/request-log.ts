/**
 * The classroom's API request log: every request through the API server, accepted or refused,
 * in its own capped stream (the change log only holds committed changes).
 */
import { z } from 'zod';
import { apiRequestEntrySchema, type ApiRequestEntry } from '@shared/protocol';
import type { RedisClient } from '../redis/connect';
import { LuaScript } from '../redis/lua-script';
import type { StoreKeys } from './keys';
import { APPEND_RECORD_LUA, type NewRecordEntry } from './record';

// Every request is appended to both streams: one script, one round trip.
// KEYS: rv counter, record stream, request log; ARGV: record entry JSON, record cap, request entry JSON, request log cap
const APPEND_REQUEST = `${APPEND_RECORD_LUA}
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[4], '*', 'entry', ARGV[3])
return id
`;
const appendRequestScript = new LuaScript(APPEND_REQUEST);

const StoredEntriesSchema = z.array(z.object({ id: z.string(), message: z.object({ entry: z.string() }) }));

/** To the capped live request log (the class's panel) and to the session record (replay), together. */
export async function appendRequestLog(redis: RedisClient, keys: StoreKeys, entry: ApiRequestEntry, caps: { requests: number; record: number }): Promise<void> {
  const checked = apiRequestEntrySchema.parse(entry);
  const record: NewRecordEntry = { t: 'request', entry: checked, actor: checked.actor, simTime: checked.simTime, wallTime: checked.wallTime };
  await appendRequestScript.call(redis, [keys.rv, keys.record, keys.requests], [JSON.stringify(record), String(caps.record), JSON.stringify(checked), String(caps.requests)]);
}

export async function readRequestLog(redis: RedisClient, key: string, count: number): Promise<ApiRequestEntry[]> {
  const newestFirst = StoredEntriesSchema.parse(await redis.xRevRange(key, '+', '-', { COUNT: count }));
  return newestFirst.reverse().map(({ message }) => apiRequestEntrySchema.parse(JSON.parse(message.entry)));
}
