/**
 * Redis keys of the classroom half. Per-classroom keys carry the classroom id as a hash tag so a
 * Redis Cluster keeps one classroom (and the Lua scripts that touch several of its keys) on one shard.
 */
export interface ClassroomKeys {
  /** hash: code, title, nodes, phase, clock, locked, botPace, instructorId, createdAt, displayTokenHash, classId (a group's class) */
  meta: string;
  /** hash: memberId -> MemberRecord JSON (the instructor is a member too) */
  members: string;
  /** hash: studentId -> role */
  roles: string;
  /** hash: memberId -> Presence JSON */
  presence: string;
  /** hash: memberId -> JSON { serverId: open sockets on that process }, for the cap per member and dead processes */
  sockets: string;
  /** hash: role -> '1' | '0'; a missing role means bot help is on */
  botHelp: string;
  /**
   * string `<changes>.<s>.<us>` (see scripts.ts), bumped in the same MULTI or script as every write
   * of meta, members, roles, presence or botHelp (the five hashes a room read returns), so an
   * unchanged value means an unchanged room: a process keeps the room it read and reads it again
   * only when this moved (see room-read.ts), and a bot's write commits only while it holds the
   * value its seat was checked at.
   */
  seatVersion: string;
  /** hash: SHA-256 of a token -> memberId (or `display` for the host screen's); the token itself is never stored */
  tokens: string;
  /**
   * hash: displayNameKey of a member's name -> memberId, written with the member (join, a group's
   * copy, creation for the instructor) and freed with their removal, so one name is held once
   */
  names: string;
  /** hash: position ('0', '1', …) -> GroupRef JSON, while the class is split into groups */
  groups: string;
  /** hash: studentId -> the classroom id of the group the student plays in */
  groupOf: string;
  /** hash: group classroom id -> '1', for groups made by a split not (yet) committed or left by a dissolve not finished: the next split or dissolve closes them */
  groupsPending: string;
  /** string with a TTL: the attempt id of the split or dissolve under way (one at a time) */
  groupsLock: string;
}

export function classroomKeys(prefix: string, classroomId: string): ClassroomKeys {
  const base = `${prefix}:{${classroomId}}`;
  return {
    meta: `${base}:meta`,
    members: `${base}:members`,
    roles: `${base}:roles`,
    presence: `${base}:presence`,
    sockets: `${base}:sockets`,
    botHelp: `${base}:bot-help`,
    seatVersion: `${base}:seat-version`,
    tokens: `${base}:tokens`,
    names: `${base}:names`,
    groups: `${base}:groups`,
    groupOf: `${base}:group-of`,
    groupsPending: `${base}:groups-pending`,
    groupsLock: `${base}:groups-lock`,
  };
}

/**
 * string with a TTL (JOIN_ATTEMPT_TTL_MS, from its last try): `<newest try> <memberId>` of a join
 * attempt (the SHA-256 of its secret), so a retry of a join whose answer was lost gets that member
 * back (renamed, if the retry corrected the name) and an older try arriving late changes nothing.
 */
export const joinAttemptKey = (prefix: string, classroomId: string, attemptHash: string): string => `${prefix}:{${classroomId}}:join-attempt:${attemptHash}`;

/** sorted set: classroom id -> when it closed (wall ms), until its record is archived (server/replay/archive.ts) */
export const closedClassroomsKey = (prefix: string): string => `${prefix}:closed-classrooms`;

/** hash: join code -> classroom id, for open classrooms only */
export const codesKey = (prefix: string): string => `${prefix}:codes`;

/** hash { tokens, at }: the token bucket of a member's events, shared by all their sockets on every process */
export const memberRateKey = (prefix: string, classroomId: string, memberId: string): string => `${prefix}:{${classroomId}}:rate:${memberId}`;

// The process registry's keys share the hash tag `{processes}`: a heartbeat and the registry are written in one MULTI.

/** string with a TTL: a server process is alive while its heartbeat key exists (value: its last beat, ms) */
export const processHeartbeatKey = (prefix: string, serverId: string): string => `${prefix}:{processes}:${serverId}`;

/** sorted set: serverId -> its last beat (ms); every process that ever beat, until a survivor reaps it */
export const processesKey = (prefix: string): string => `${prefix}:{processes}`;

/** set: ids of the classrooms a process wrote presences in, so a survivor knows where to look */
export const processClassroomsKey = (prefix: string, serverId: string): string => `${prefix}:{processes}:${serverId}:classrooms`;

/** sorted set: `<classroomId>:<memberId>` -> graceUntil (ms); swept by every process, so a hand-back outlives the process that started it */
export const seatHandbacksKey = (prefix: string): string => `${prefix}:seat-handbacks`;

/** counter per client address and window, for the join rate limit */
export const joinAttemptsKey = (prefix: string, ip: string): string => `${prefix}:join-attempts:${ip}`;

/** pub/sub channel on which every server process hears about classroom changes */
export const classroomChangesChannel = (prefix: string): string => `${prefix}:classroom-changes`;
