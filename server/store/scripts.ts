/**
 * The three writes Redis does for the store; every rule of what to write is decided before, in
 * TypeScript, by shared/sim/admission on the object as it was read. A script only checks that the
 * object is still as read (absent, or at the version read), then takes the classroom's next
 * resourceVersion, appends the log entry and writes the object, in one atomic step: there is never
 * a write without its log entry nor an entry without its write. `Stale` means another write came
 * between the read and this one: the caller reads again and decides again.
 *
 * JSON is built in TypeScript; a script only splices the new resourceVersion between the two
 * halves it is given. The log entry is added before the hash is touched: if XADD failed (it cannot
 * while the counter only grows) the script would stop with the object unchanged, only a
 * resourceVersion skipped.
 */
import { z } from 'zod';
import type { RedisClient } from '../redis/connect';
import { LuaScript } from '../redis/lua-script';

export { LuaScript };

// On a Redis Cluster the last ARGV names the classroom's notification channel (same hash tag, so
// the same shard): watchers hear the new resourceVersion and read the log (see watch-hub.ts).
// On one Redis it is empty and nothing is published: one blocked XREAD follows every log.
const NOTIFY = `if ARGV[#ARGV] ~= '' then redis.call('SPUBLISH', ARGV[#ARGV], rv) end`;

// Create-if-absent.
// KEYS: objects hash, rv counter, log stream
// ARGV: field, json before rv, json after rv, actor, simTime, wallTime, log cap, notification channel
const CREATE = `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return {'Stale'} end
local rv = redis.call('INCR', KEYS[2])
local json = ARGV[2] .. rv .. ARGV[3]
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[7], rv .. '-0',
  'type', 'ADDED', 'object', json, 'actor', ARGV[4], 'simTime', ARGV[5], 'wallTime', ARGV[6])
redis.call('HSET', KEYS[1], ARGV[1], json)
${NOTIFY}
return {'OK', rv}
`;

// Compare-and-swap: replace the object only if it is still at the version read.
// KEYS: objects hash, rv counter, log stream
// ARGV: field, resourceVersion read, json before rv, json after rv, actor, simTime, wallTime, log cap, notification channel
const UPDATE = `
local stored = redis.call('HGET', KEYS[1], ARGV[1])
if not stored or cjson.decode(stored).metadata.resourceVersion ~= ARGV[2] then return {'Stale'} end
local rv = redis.call('INCR', KEYS[2])
local json = ARGV[3] .. rv .. ARGV[4]
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[8], rv .. '-0',
  'type', 'MODIFIED', 'object', json, 'actor', ARGV[5], 'simTime', ARGV[6], 'wallTime', ARGV[7])
redis.call('HSET', KEYS[1], ARGV[1], json)
${NOTIFY}
return {'OK', rv}
`;

// Delete-if-version. The DELETED entry holds the object as it was stored; readers set its
// resourceVersion to the entry's.
// KEYS: objects hash, rv counter, log stream
// ARGV: field, resourceVersion read, actor, simTime, wallTime, log cap, notification channel
const DELETE = `
local stored = redis.call('HGET', KEYS[1], ARGV[1])
if not stored or cjson.decode(stored).metadata.resourceVersion ~= ARGV[2] then return {'Stale'} end
local rv = redis.call('INCR', KEYS[2])
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[6], rv .. '-0',
  'type', 'DELETED', 'object', stored, 'actor', ARGV[3], 'simTime', ARGV[4], 'wallTime', ARGV[5])
redis.call('HDEL', KEYS[1], ARGV[1])
${NOTIFY}
return {'OK', rv, stored}
`;

/** What a write script answers: done with the new resourceVersion (and a deleted object's JSON), or stale. */
export const ScriptReplySchema = z.union([
  z.tuple([z.literal('OK'), z.number().int()]),
  z.tuple([z.literal('OK'), z.number().int(), z.string()]),
  z.tuple([z.literal('Stale')]),
]);
export type ScriptReply = z.output<typeof ScriptReplySchema>;

/** A write script: `run` checks its reply's shape. */
export class WriteScript extends LuaScript {
  async run(redis: RedisClient, keys: string[], args: string[]): Promise<ScriptReply> {
    return ScriptReplySchema.parse(await this.call(redis, keys, args));
  }
}

export const createScript = new WriteScript(CREATE);
export const updateScript = new WriteScript(UPDATE);
export const deleteScript = new WriteScript(DELETE);
