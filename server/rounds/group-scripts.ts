/**
 * Lua scripts of a split into groups. Each touches the class's keys only (one hash tag), so they
 * also run on a Redis Cluster.
 */

/**
 * Commits a split in one step: the groups and where each student plays, and the groups leave the
 * pending list. Refused when the attempt no longer holds the lock ('Lost': it ran past the lock's
 * time and another may have begun) or the class is already split ('Split').
 * KEYS: lock, groups, groupOf, pending. ARGV: attempt, { position: GroupRef JSON }, { studentId: groupId }.
 */
export const COMMIT_SPLIT_SCRIPT = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 'Lost' end
if redis.call('EXISTS', KEYS[2]) == 1 then return 'Split' end
for position, ref in pairs(cjson.decode(ARGV[2])) do redis.call('HSET', KEYS[2], position, ref) end
for student, group in pairs(cjson.decode(ARGV[3])) do redis.call('HSET', KEYS[3], student, group) end
redis.call('DEL', KEYS[4])
return 'OK'
`;

/** Extends the lock while its attempt still holds it. KEYS: lock. ARGV: attempt, ms. */
export const HOLD_LOCK_SCRIPT = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`;

/** Frees the lock if its attempt still holds it. KEYS: lock. ARGV: attempt. */
export const RELEASE_LOCK_SCRIPT = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
return redis.call('DEL', KEYS[1])
`;
