/**
 * Lua scripts for the steps that must be atomic. Each touches keys of one classroom only (same hash
 * tag), so they also run on a Redis Cluster.
 */

/**
 * Adds a student unless the classroom is missing, closed, locked or full: one step, so concurrent
 * joins can never push a classroom past its cap or slip in after the lock.
 * KEYS: meta, members, tokens. ARGV: memberId, member JSON, token hash, max students.
 */
export const JOIN_SCRIPT = `
local run = redis.call('HGET', KEYS[1], 'run')
if not run then return 'NotFound' end
if cjson.decode(run).phase == 'closed' then return 'Closed' end
if redis.call('HGET', KEYS[1], 'locked') == '1' then return 'Locked' end
if redis.call('HLEN', KEYS[2]) - 1 >= tonumber(ARGV[4]) then return 'Full' end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[3], ARGV[3], ARGV[1])
return 'OK'
`;

/**
 * Sets (or clears, with '') the role of several students, all or none: an id that is not a
 * student of the classroom (removed meanwhile, or the instructor) refuses the whole batch.
 * KEYS: members, roles. ARGV: memberId, role, memberId, role, ...
 */
export const SET_ROLES_SCRIPT = `
for i = 1, #ARGV, 2 do
  local member = redis.call('HGET', KEYS[1], ARGV[i])
  if not member or cjson.decode(member).kind ~= 'student' then return ARGV[i] end
end
for i = 1, #ARGV, 2 do
  if ARGV[i + 1] == '' then redis.call('HDEL', KEYS[2], ARGV[i]) else redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1]) end
end
return ''
`;

/**
 * Compare-and-set of one hash field ('' stands for a missing field): read-modify-write without
 * WATCH, so two instructor tabs pausing at once, or a reconnect racing a disconnect, cannot lose
 * an update. KEYS: hash. ARGV: field, expected, next. Returns 1 when written.
 */
export const COMPARE_AND_SET_SCRIPT = `
local current = redis.call('HGET', KEYS[1], ARGV[1])
if (current or '') ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 1
`;

/**
 * Appends the next worker node (`node-<highest number + 1>`) to the classroom's node list, unless
 * the classroom is missing, closed or already has the maximum: one step, so two instructor clicks
 * at once get two distinct nodes. KEYS: meta. ARGV: max nodes.
 * Returns {'OK', name, position (0-based)} or {'NotFound'} / {'Closed'} / {'Full'}.
 */
export const ADD_NODE_SCRIPT = `
local run = redis.call('HGET', KEYS[1], 'run')
if not run then return {'NotFound'} end
if cjson.decode(run).phase == 'closed' then return {'Closed'} end
local nodes = cjson.decode(redis.call('HGET', KEYS[1], 'nodes'))
if #nodes >= tonumber(ARGV[1]) then return {'Full'} end
local last = 0
for _, name in ipairs(nodes) do
  local n = tonumber(string.match(name, '^node%-(%d+)$'))
  if n and n > last then last = n end
end
local name = 'node-' .. (last + 1)
table.insert(nodes, name)
redis.call('HSET', KEYS[1], 'nodes', cjson.encode(nodes))
return {'OK', name, #nodes - 1}
`;

/** Fixed-window counter. KEYS: counter. ARGV: window in ms. Returns the count in this window. */
export const COUNT_IN_WINDOW_SCRIPT = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return count
`;
