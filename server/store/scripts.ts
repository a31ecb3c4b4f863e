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
import type { RedisClient } from '../redis/connect';
import { LuaScript } from '../redis/lua-script';
import { LOG_NOTICE_LUA } from './log-notice';

export { LuaScript };

// Every script ends with the same arguments, read here: who wrote and when, the log's cap, the
// notification channel and the largest entry a notification carries, and the API request the
// write completes (or ''), with its session-record entry and the request log's cap.
// The channel is the classroom's notification channel (same hash tag, so on a Redis Cluster the
// same shard): watchers hear the entry itself, or the new resourceVersion when the entry is large
// (see log-notice.ts, watch-hub.ts).
// A request's entry rides in its change's log entry (every watcher gets the two together) and is
// appended to the request log and, right after the change, to the session record: a move is one
// script, one round trip.
// KEYS (after the objects hash, the rv counter and the log stream): request log, session record,
// and the write's guard key (see GUARD).
const LOG_CHANGE = `
local n = #ARGV
local actor, simTime, wallTime, logCap = ARGV[n - 8], ARGV[n - 7], ARGV[n - 6], ARGV[n - 5]
local channel, noticeMax = ARGV[n - 4], ARGV[n - 3]
local request, record, requestCap = ARGV[n - 2], ARGV[n - 1], ARGV[n]
${LOG_NOTICE_LUA}
local function logChange(rv, type, json)
  local fields = {'type', type, 'object', json, 'actor', actor, 'simTime', simTime, 'wallTime', wallTime}
  if request ~= '' then
    fields[11] = 'request'
    fields[12] = request
  end
  redis.call('XADD', KEYS[3], 'MAXLEN', '~', logCap, rv .. '-0', unpack(fields))
  -- pcall: a refused notification (an ACL without the channel) must not stop a script that has
  -- taken a resourceVersion and logged the entry; Redis keeps a failed script's writes, and the
  -- object would be left unwritten. The watchers' log reads bring the entry instead.
  redis.pcall('SPUBLISH', channel, logNotice(rv, type, json))
end
-- Last, once the object is written: the request log and the record, right after the change.
local function logRequest(rv)
  if request == '' then return end
  redis.call('XADD', KEYS[4], 'MAXLEN', '~', requestCap, '*', 'entry', request)
  redis.call('XADD', KEYS[5], 'MAXLEN', '~', logCap, rv .. '-1', 'entry', record)
end
`;

// The write's guard (WriteContext.guard): it commits only while KEYS[6] holds the value given
// (a missing key holds '0'); '' for none. Checked first: a guard that moved writes nothing.
const guarded = (arg: number): string => `
if ARGV[${arg}] ~= '' and (redis.call('GET', KEYS[6]) or '0') ~= ARGV[${arg}] then return {'Guarded'} end`;

// Create-if-absent.
// ARGV: field, json before rv, json after rv, guard, then the ENTRY_ARGS
const CREATE = `${LOG_CHANGE}${guarded(4)}
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return {'Stale'} end
local rv = redis.call('INCR', KEYS[2])
local json = ARGV[2] .. rv .. ARGV[3]
logChange(rv, 'ADDED', json)
redis.call('HSET', KEYS[1], ARGV[1], json)
logRequest(rv)
return {'OK', rv}
`;

// Compare-and-swap: replace the object only if it is still at the version read.
// ARGV: field, resourceVersion read, json before rv, json after rv, guard, then the ENTRY_ARGS
const UPDATE = `${LOG_CHANGE}${guarded(5)}
local stored = redis.call('HGET', KEYS[1], ARGV[1])
if not stored or cjson.decode(stored).metadata.resourceVersion ~= ARGV[2] then return {'Stale'} end
local rv = redis.call('INCR', KEYS[2])
local json = ARGV[3] .. rv .. ARGV[4]
logChange(rv, 'MODIFIED', json)
redis.call('HSET', KEYS[1], ARGV[1], json)
logRequest(rv)
return {'OK', rv}
`;

// Delete-if-version. The DELETED entry holds the object as it was stored; readers set its
// resourceVersion to the entry's.
// ARGV: field, resourceVersion read, guard, then the ENTRY_ARGS
const DELETE = `${LOG_CHANGE}${guarded(3)}
local stored = redis.call('HGET', KEYS[1], ARGV[1])
if not stored or cjson.decode(stored).metadata.resourceVersion ~= ARGV[2] then return {'Stale'} end
local rv = redis.call('INCR', KEYS[2])
logChange(rv, 'DELETED', stored)
redis.call('HDEL', KEYS[1], ARGV[1])
logRequest(rv)
return {'OK', rv, stored}
`;

// Several changes in one step (one round trip): a change and the Events that report it, or every
// due node's Lease renewal. Every precondition is checked first (all or nothing), then each change
// takes its own resourceVersion and log entry, in order, and the request's entry rides with the
// last. One INCRBY takes the versions of all.
// KEYS: the first change's objects hash, rv, log, requests, record, guard, then the objects hash of
// each later change. ARGV: guard, m (changes), then per change: type, field, resourceVersion read,
// json before rv, json after rv, its own actor ('': the entry's); then the ENTRY_ARGS.
// Returns {'OK', first resourceVersion, a deleted first object's JSON or ''} or {'Stale', index of
// each change whose object moved} (all of them, so a caller reads them again in one go).
const BATCH = `${LOG_CHANGE}${guarded(1)}
local m = tonumber(ARGV[2])
local function hashOf(i) if i == 1 then return KEYS[1] end return KEYS[5 + i] end
local function arg(i, k) return ARGV[2 + (i - 1) * 6 + k] end
local entryActor = actor
local stored = {}
local stale = {'Stale'}
for i = 1, m do
  if arg(i, 1) == 'ADDED' then
    if redis.call('HEXISTS', hashOf(i), arg(i, 2)) == 1 then stale[#stale + 1] = i end
  else
    local s = redis.call('HGET', hashOf(i), arg(i, 2))
    if not s or cjson.decode(s).metadata.resourceVersion ~= arg(i, 3) then stale[#stale + 1] = i end
    stored[i] = s
  end
end
if #stale > 1 then return stale end
local last = redis.call('INCRBY', KEYS[2], m)
local first = last - m + 1
local entry = request
for i = 1, m do
  local rv = first + i - 1
  if i == m then request = entry else request = '' end
  if arg(i, 6) ~= '' then actor = arg(i, 6) else actor = entryActor end
  if arg(i, 1) == 'DELETED' then
    logChange(rv, 'DELETED', stored[i])
    redis.call('HDEL', hashOf(i), arg(i, 2))
  else
    local json = arg(i, 4) .. rv .. arg(i, 5)
    logChange(rv, arg(i, 1), json)
    redis.call('HSET', hashOf(i), arg(i, 2), json)
  end
end
logRequest(last)
return {'OK', first, stored[1] or ''}
`;

/** What a write script answers: done with the new resourceVersion (and a deleted object's JSON), stale, or its guard moved. */
export type ScriptReply = ['OK', number] | ['OK', number, string] | ['Stale'] | ['Guarded'];

/** The reply's shape, checked by hand: every write of every classroom passes here. */
function scriptReply(reply: unknown): ScriptReply {
  if (Array.isArray(reply)) {
    const [status, rv, json] = reply as unknown[];
    if (status === 'Stale' && reply.length === 1) return ['Stale'];
    if (status === 'Guarded' && reply.length === 1) return ['Guarded'];
    if (status === 'OK' && Number.isInteger(rv) && reply.length === 2) return ['OK', rv as number];
    if (status === 'OK' && Number.isInteger(rv) && reply.length === 3 && typeof json === 'string') return ['OK', rv as number, json];
  }
  throw new Error(`unexpected reply from a write script: ${JSON.stringify(reply)?.slice(0, 200)}`);
}

/** A write script: `run` checks its reply's shape. */
export class WriteScript extends LuaScript {
  async run(redis: RedisClient, keys: string[], args: string[]): Promise<ScriptReply> {
    return scriptReply(await this.call(redis, keys, args));
  }
}

export const createScript = new WriteScript(CREATE);
export const updateScript = new WriteScript(UPDATE);
export const deleteScript = new WriteScript(DELETE);

/** What the batch script answers (see BATCH). */
export type BatchReply = { ok: true; first: number; deleted: string } | { ok: false; stale: number[] } | { ok: false; guarded: true };

function batchReply(reply: unknown): BatchReply {
  if (Array.isArray(reply)) {
    const [status, a, b] = reply as unknown[];
    if (status === 'Guarded' && reply.length === 1) return { ok: false, guarded: true };
    const stale = reply.slice(1) as unknown[];
    if (status === 'Stale' && stale.length > 0 && stale.every((i) => Number.isInteger(i))) return { ok: false, stale: stale as number[] };
    if (status === 'OK' && Number.isInteger(a) && typeof b === 'string') return { ok: true, first: a as number, deleted: b };
  }
  throw new Error(`unexpected reply from the batch write script: ${JSON.stringify(reply)?.slice(0, 200)}`);
}

export class BatchScript extends LuaScript {
  async run(redis: RedisClient, keys: string[], args: string[]): Promise<BatchReply> {
    return batchReply(await this.call(redis, keys, args));
  }
}

export const batchScript = new BatchScript(BATCH);
