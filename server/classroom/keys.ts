/**
 * Redis keys of the classroom half. Per-classroom keys carry the classroom id as a hash tag so a
 * Redis Cluster keeps one classroom (and the Lua scripts that touch several of its keys) on one shard.
 */
export interface ClassroomKeys {
  /** hash: code, title, nodes, phase, clock, locked, botPace, instructorId, createdAt */
  meta: string;
  /** hash: memberId -> MemberRecord JSON (the instructor is a member too) */
  members: string;
  /** hash: studentId -> role */
  roles: string;
  /** hash: memberId -> Presence JSON */
  presence: string;
  /** hash: role -> '1' | '0'; a missing role means bot help is on */
  botHelp: string;
  /** hash: SHA-256 of a token -> memberId; the token itself is never stored */
  tokens: string;
}

export function classroomKeys(prefix: string, classroomId: string): ClassroomKeys {
  const base = `${prefix}:{${classroomId}}`;
  return {
    meta: `${base}:meta`,
    members: `${base}:members`,
    roles: `${base}:roles`,
    presence: `${base}:presence`,
    botHelp: `${base}:bot-help`,
    tokens: `${base}:tokens`,
  };
}

/** hash: join code -> classroom id, for open classrooms only */
export const codesKey = (prefix: string): string => `${prefix}:codes`;

/** counter per client address and window, for the join rate limit */
export const joinAttemptsKey = (prefix: string, ip: string): string => `${prefix}:join-attempts:${ip}`;

/** pub/sub channel on which every server process hears about classroom changes */
export const classroomChangesChannel = (prefix: string): string => `${prefix}:classroom-changes`;
