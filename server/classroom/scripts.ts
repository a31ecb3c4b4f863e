/**
 * Lua scripts for the steps that must be atomic. Each touches keys of one classroom only (same hash
 * tag), so they also run on a Redis Cluster. A script that writes meta, members, roles, presence or
 * botHelp bumps the seat version (keys.ts) in the same step.
 */

/**
 * Lua that bumps the seat version at `key`: a count of the changes and Redis's clock at this one,
 * `<n>.<s>.<us>`. The clock makes each value unique, so a change lost with a failed-over master and
 * the next one made on its replica never show the same version (a bare counter would repeat it).
 */
const bump = (key: string): string => `
do
  local clock = redis.call('TIME')
  local n = (tonumber(string.match(redis.call('GET', ${key}) or '0', '^%d+')) or 0) + 1
  redis.call('SET', ${key}, n .. '.' .. clock[1] .. '.' .. clock[2])
end`;

/** Bumps the seat version, for a MULTI that writes the room. KEYS: seat version. */
export const BUMP_SEAT_VERSION_SCRIPT = bump('KEYS[1]');

/**
 * The room: the seat version and, unless it is the one the caller holds (ARGV[1]; '' for none), the
 * five hashes as of that version. KEYS: seat version, meta, members, roles, presence, botHelp.
 * Returns {version} or {version, meta, members, roles, presence, botHelp} (each hash as a flat list).
 */
export const READ_ROOM_SCRIPT = `
local version = redis.call('GET', KEYS[1]) or '0'
if version == ARGV[1] then return {version} end
return {version, redis.call('HGETALL', KEYS[2]), redis.call('HGETALL', KEYS[3]), redis.call('HGETALL', KEYS[4]), redis.call('HGETALL', KEYS[5]), redis.call('HGETALL', KEYS[6])}
`;

/**
 * Adds a student unless the classroom is missing, closed, locked, full, or has a member of that
 * name: one step, so concurrent joins can never push a classroom past its cap, slip in after the
 * lock, or both take one name (on any process). A name index entry whose member is gone counts as
 * free. A classroom made before the index existed has none: 'NoNameIndex', and the caller builds it.
 * A retry of a join that was made (same attempt; its answer never arrived) gets that member back
 * with the new token, the undelivered one revoked: {'Again', memberId}. Under another name (the
 * student corrected a typo after the failed try, if only in its letters' case) the member is renamed, as the student never saw
 * the first name; unless the name is taken ('NameTaken'), or the member was used since (its token
 * opened a socket, so its answer did arrive, or a split placed it in a group, which holds a copy):
 * {'Used', its name}, and nothing changes.
 * Tries of one attempt are numbered (the join page counts them) and can arrive out of order (a
 * try whose connection dropped may still be on its way when the next is sent): each try records
 * its number, and one older than the newest recorded is 'Stale' and changes nothing, so the typo
 * of a first try arriving late never renames the member back nor revokes the retry's token. A try
 * without a number (a page of an earlier version) counts as 0: never older than another.
 * The attempt's record lives for ARGV[6] ms from its last try (keys.ts).
 * KEYS: meta, members, tokens, seat version, names, the attempt's record (keys.ts), presence, group of.
 * ARGV: memberId, member JSON, token hash, max students, the name's key (display-names.ts), the record's lifetime in ms ('' for no attempt), the try's number.
 */
export const JOIN_SCRIPT = `
local run = redis.call('HGET', KEYS[1], 'run')
if not run then return 'NotFound' end
if cjson.decode(run).phase == 'closed' then return 'Closed' end
local earlier = false
if ARGV[6] ~= '' then
  -- '<newest try> <memberId>' ('' before a try made one)
  local newest, made = string.match(redis.call('GET', KEYS[6]) or '0 ', '^(%d+) (.*)$')
  if tonumber(ARGV[7]) < tonumber(newest) then return 'Stale' end
  if made ~= '' then earlier = made end
  redis.call('SET', KEYS[6], ARGV[7] .. ' ' .. made, 'PX', ARGV[6])
end
local member = earlier and redis.call('HGET', KEYS[2], earlier)
if member then
  if redis.call('EXISTS', KEYS[5]) == 0 then return 'NoNameIndex' end
  member = cjson.decode(member)
  if redis.call('HGET', KEYS[5], ARGV[5]) ~= earlier then
    if redis.call('HEXISTS', KEYS[7], earlier) == 1 or redis.call('HEXISTS', KEYS[8], earlier) == 1 then return {'Used', member.name} end
    local holder = redis.call('HGET', KEYS[5], ARGV[5])
    if holder and redis.call('HEXISTS', KEYS[2], holder) == 1 then return 'NameTaken' end
    -- The old name's key is found by its holder: Lua cannot compute a display name's key.
    local names = redis.call('HGETALL', KEYS[5])
    for i = 1, #names, 2 do
      if names[i + 1] == earlier then redis.call('HDEL', KEYS[5], names[i]) end
    end
    redis.call('HSET', KEYS[5], ARGV[5], earlier)
    member.name = cjson.decode(ARGV[2]).name
  elseif member.name ~= cjson.decode(ARGV[2]).name then
    -- The same name's key under other letters ('grace' corrected to 'Grace'): renamed likewise.
    if redis.call('HEXISTS', KEYS[7], earlier) == 1 or redis.call('HEXISTS', KEYS[8], earlier) == 1 then return {'Used', member.name} end
    member.name = cjson.decode(ARGV[2]).name
  end
  redis.call('HDEL', KEYS[3], member.tokenHash)
  member.tokenHash = ARGV[3]
  redis.call('HSET', KEYS[2], earlier, cjson.encode(member))
  redis.call('HSET', KEYS[3], ARGV[3], earlier)${bump('KEYS[4]')}
  return {'Again', earlier}
end
if redis.call('HGET', KEYS[1], 'locked') == '1' then return 'Locked' end
if redis.call('HLEN', KEYS[2]) - 1 >= tonumber(ARGV[4]) then return 'Full' end
if redis.call('EXISTS', KEYS[5]) == 0 then return 'NoNameIndex' end
local holder = redis.call('HGET', KEYS[5], ARGV[5])
if holder and redis.call('HEXISTS', KEYS[2], holder) == 1 then return 'NameTaken' end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[3], ARGV[3], ARGV[1])
redis.call('HSET', KEYS[5], ARGV[5], ARGV[1])
if ARGV[6] ~= '' then redis.call('SET', KEYS[6], ARGV[7] .. ' ' .. ARGV[1], 'PX', ARGV[6]) end${bump('KEYS[4]')}
return 'OK'
`;

/**
 * Sets (or clears, with '') the role of several students, all or none: an id that is not a
 * student of the classroom (removed meanwhile, or the instructor) refuses the whole batch.
 * KEYS: members, roles, seat version. ARGV: memberId, role, memberId, role, ...
 */
export const SET_ROLES_SCRIPT = `
for i = 1, #ARGV, 2 do
  local member = redis.call('HGET', KEYS[1], ARGV[i])
  if not member or cjson.decode(member).kind ~= 'student' then return ARGV[i] end
end
for i = 1, #ARGV, 2 do
  if ARGV[i + 1] == '' then redis.call('HDEL', KEYS[2], ARGV[i]) else redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1]) end
end${bump('KEYS[3]')}
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

/** COMPARE_AND_SET_SCRIPT on a hash of the room (meta, presence), bumping the seat version. KEYS: hash, seat version. */
export const COMPARE_AND_SET_ROOM_SCRIPT = `
local current = redis.call('HGET', KEYS[1], ARGV[1])
if (current or '') ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])${bump('KEYS[2]')}
return 1
`;

/** Deletes a hash field only while it holds the expected value (a join code that still names its classroom). */
export const COMPARE_AND_DELETE_SCRIPT = `
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
return redis.call('HDEL', KEYS[1], ARGV[1])
`;

/**
 * Appends the next worker node (`node-<highest number + 1>`) to the classroom's node list, unless
 * the classroom is missing, closed or already has the maximum: one step, so two instructor clicks
 * at once get two distinct nodes. KEYS: meta, seat version. ARGV: max nodes.
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
redis.call('HSET', KEYS[1], 'nodes', cjson.encode(nodes))${bump('KEYS[2]')}
return {'OK', name, #nodes - 1}
`;

/** Fixed-window counter. KEYS: counter. ARGV: window in ms. Returns the count in this window. */
export const COUNT_IN_WINDOW_SCRIPT = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return count
`;

/**
 * A socket of a member opened on a server process: counts it, unless the member already has the
 * maximum open on all processes together, and marks the member connected by that process.
 * KEYS: presence, sockets, seat version. ARGV: memberId, serverId, max sockets, connected Presence JSON.
 * Returns the member's open sockets after, or 0 when refused.
 */
export const CONNECT_SOCKET_SCRIPT = `
local raw = redis.call('HGET', KEYS[2], ARGV[1])
local counts = raw and cjson.decode(raw) or {}
local total = 0
for _, n in pairs(counts) do total = total + n end
if total >= tonumber(ARGV[3]) then return 0 end
counts[ARGV[2]] = (counts[ARGV[2]] or 0) + 1
redis.call('HSET', KEYS[2], ARGV[1], cjson.encode(counts))
redis.call('HSET', KEYS[1], ARGV[1], ARGV[4])${bump('KEYS[3]')}
return total + 1
`;

/**
 * A member's socket on a server process closed: uncounts it and, when it was the member's last
 * socket on any process, starts the grace period (unless the member is gone or not connected).
 * KEYS: presence, sockets, seat version. ARGV: memberId, serverId, disconnected Presence JSON. Returns 1 when the grace period started.
 */
export const DISCONNECT_SOCKET_SCRIPT = `
local raw = redis.call('HGET', KEYS[2], ARGV[1])
local counts = raw and cjson.decode(raw) or {}
local n = (counts[ARGV[2]] or 0) - 1
if n > 0 then counts[ARGV[2]] = n else counts[ARGV[2]] = nil end
local total = 0
for _, c in pairs(counts) do total = total + c end
if total > 0 then
  redis.call('HSET', KEYS[2], ARGV[1], cjson.encode(counts))
  return 0
end
redis.call('HDEL', KEYS[2], ARGV[1])
local presence = redis.call('HGET', KEYS[1], ARGV[1])
if not presence or cjson.decode(presence).state ~= 'connected' then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])${bump('KEYS[3]')}
return 1
`;

/**
 * A dead server process's sockets in one classroom: forgets them, and every member left with no
 * socket on any process (or whose presence that process wrote) starts the grace period.
 * KEYS: presence, sockets, seat version. ARGV: dead serverId, disconnected Presence JSON. Returns the members now disconnected.
 */
export const REAP_PROCESS_SCRIPT = `
local held, emptied, gone = {}, {}, {}
local sockets = redis.call('HGETALL', KEYS[2])
for i = 1, #sockets, 2 do
  local member, counts = sockets[i], cjson.decode(sockets[i + 1])
  local had = counts[ARGV[1]] ~= nil
  counts[ARGV[1]] = nil
  local total = 0
  for _, n in pairs(counts) do total = total + n end
  if total > 0 then
    held[member] = true
    if had then redis.call('HSET', KEYS[2], member, cjson.encode(counts)) end
  else
    redis.call('HDEL', KEYS[2], member)
    if had then emptied[member] = true end
  end
end
local presence = redis.call('HGETALL', KEYS[1])
for i = 1, #presence, 2 do
  local member, p = presence[i], cjson.decode(presence[i + 1])
  if p.state == 'connected' and not held[member] and (p.serverId == ARGV[1] or emptied[member]) then
    redis.call('HSET', KEYS[1], member, ARGV[2])
    table.insert(gone, member)
  end
end
if #gone > 0 then${bump('KEYS[3]')}
end
return gone
`;

/**
 * A token bucket in Redis, on Redis's clock, so every socket of a member on every process draws
 * from one budget. KEYS: bucket. ARGV: tokens per second, burst. Returns {wait, tokens left}: wait
is 0 when a token was taken, else the milliseconds until one will be there (what a 429's
Retry-After says); tokens left (a decimal string) keeps each process's copy of the bucket current.
 */
export const TAKE_TOKEN_SCRIPT = `
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local stored = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(stored[1]) or burst
local at = tonumber(stored[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) / 1000 * rate)
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = math.ceil((1 - tokens) / rate * 1000)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return {wait, tostring(tokens)}
`;

/**
 * Issues the classroom's host-screen token and revokes the one before it, in one step: there is one
 * display link per classroom, and a new link is also how the instructor takes an old one back.
 * KEYS: meta, tokens, seat version. ARGV: the new token's hash, the tokens-hash value that marks a display token.
 */
export const ISSUE_DISPLAY_TOKEN_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local old = redis.call('HGET', KEYS[1], 'displayTokenHash')
if old then redis.call('HDEL', KEYS[2], old) end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[1], 'displayTokenHash', ARGV[1])${bump('KEYS[3]')}
return 1
`;
