/**
 * The write paths as Lua scripts: each checks existence / resourceVersion, takes the classroom's
 * next resourceVersion, appends the log entry and writes the object in one atomic step, so there
 * is never a write without its log entry nor an entry without its write. JSON is built in
 * TypeScript; a script only splices the new resourceVersion between the two halves it is given.
 *
 * The log entry is added before the hash is touched: if XADD failed (it cannot while the counter
 * only grows) the script would stop with the object unchanged, only a resourceVersion skipped.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { RedisClient } from '../redis/connect';

// KEYS: objects hash, rv counter, log stream
// ARGV: field, json before rv, json after rv, actor, simTime, wallTime, log cap
const CREATE = `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return {'AlreadyExists'} end
local rv = redis.call('INCR', KEYS[2])
local json = ARGV[2] .. rv .. ARGV[3]
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[7], rv .. '-0',
  'type', 'ADDED', 'object', json, 'actor', ARGV[4], 'simTime', ARGV[5], 'wallTime', ARGV[6])
redis.call('HSET', KEYS[1], ARGV[1], json)
return {'OK', rv}
`;

// KEYS: objects hash, rv counter, log stream
// ARGV: field, expected resourceVersion, json before rv, json after rv, actor, simTime, wallTime, log cap
const UPDATE = `
local stored = redis.call('HGET', KEYS[1], ARGV[1])
if not stored then return {'NotFound'} end
local current = cjson.decode(stored).metadata.resourceVersion
if current ~= ARGV[2] then return {'Conflict', current} end
local rv = redis.call('INCR', KEYS[2])
local json = ARGV[3] .. rv .. ARGV[4]
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[8], rv .. '-0',
  'type', 'MODIFIED', 'object', json, 'actor', ARGV[5], 'simTime', ARGV[6], 'wallTime', ARGV[7])
redis.call('HSET', KEYS[1], ARGV[1], json)
return {'OK', rv}
`;

// KEYS: objects hash, rv counter, log stream
// ARGV: field, precondition resourceVersion ('' = none), precondition uid ('' = none), actor, simTime, wallTime, log cap
// The DELETED entry holds the object as it was stored; readers set its resourceVersion to the entry's.
const DELETE = `
local stored = redis.call('HGET', KEYS[1], ARGV[1])
if not stored then return {'NotFound'} end
local meta = cjson.decode(stored).metadata
if ARGV[2] ~= '' and meta.resourceVersion ~= ARGV[2] then return {'ResourceVersionPrecondition', meta.resourceVersion} end
if ARGV[3] ~= '' and meta.uid ~= ARGV[3] then return {'UIDPrecondition', tostring(meta.uid)} end
local rv = redis.call('INCR', KEYS[2])
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[7], rv .. '-0',
  'type', 'DELETED', 'object', stored, 'actor', ARGV[4], 'simTime', ARGV[5], 'wallTime', ARGV[6])
redis.call('HDEL', KEYS[1], ARGV[1])
return {'OK', rv, stored}
`;

/** What a write script answers: done with the new resourceVersion, or why not. */
export const ScriptReplySchema = z.union([
  z.tuple([z.literal('OK'), z.number().int()]),
  z.tuple([z.literal('OK'), z.number().int(), z.string()]),
  z.tuple([z.enum(['AlreadyExists', 'NotFound'])]),
  z.tuple([z.enum(['Conflict', 'ResourceVersionPrecondition', 'UIDPrecondition']), z.string()]),
]);
export type ScriptReply = z.output<typeof ScriptReplySchema>;

/** A script sent by SHA (one round trip), loaded on the first NOSCRIPT (a new or flushed Redis). */
export class LuaScript {
  private readonly sha: string;

  constructor(private readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(redis: RedisClient, keys: string[], args: string[]): Promise<ScriptReply> {
    let reply: unknown;
    try {
      reply = await redis.evalSha(this.sha, { keys, arguments: args });
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      reply = await redis.eval(this.source, { keys, arguments: args });
    }
    return ScriptReplySchema.parse(reply);
  }
}

export const createScript = new LuaScript(CREATE);
export const updateScript = new LuaScript(UPDATE);
export const deleteScript = new LuaScript(DELETE);
