import { z } from 'zod';
import {
  assignRolesBalanced,
  displayNameKey,
  nameTakenMessage,
  rolesForNodes,
  type BotPace,
  type ClassroomView,
  type CreateClassroomRequest,
  type CreateClassroomResponse,
  type Identity,
  type JoinClassroomRequest,
  type JoinClassroomResponse,
  type Role,
} from '@shared/protocol';
import type { RedisClient } from '../redis/connect';
import { classroomKeys, closedClassroomsKey, codesKey, joinAttemptKey, processClassroomsKey, seatHandbacksKey, type ClassroomKeys } from './keys';
import { connected, disconnected, presenceSchema, type Presence } from './presence';
import { RefusalError } from './refusal-error';
import { createRoomReader, runStateSchema } from './room-read';
import { applyRunCommand, lobbyRunState, type RunCommand, type RunState } from './run-state';
import {
  ADD_NODE_SCRIPT,
  BUMP_SEAT_VERSION_SCRIPT,
  COMPARE_AND_DELETE_SCRIPT,
  COMPARE_AND_SET_ROOM_SCRIPT,
  CONNECT_SOCKET_SCRIPT,
  DISCONNECT_SOCKET_SCRIPT,
  ISSUE_DISPLAY_TOKEN_SCRIPT,
  JOIN_SCRIPT,
  REAP_PROCESS_SCRIPT,
  SET_ROLES_SCRIPT,
} from './scripts';
import { classroomIdOfToken, hashToken, newClassroomId, newJoinCode, newMemberId, newToken } from './secrets';
import { classroomView, type ClassroomRecord, type MemberRecord } from './view';

export interface ClassroomRepositoryOptions {
  redis: RedisClient;
  prefix: string;
  maxStudents: number;
  /** Worker nodes a classroom may have; MAX_NODES when not given. */
  maxNodes?: number;
  seatGraceMs: number;
  /** This server process, named on every presence it writes (see process-heartbeat.ts). */
  serverId: string;
  /** Sockets one member may hold open across all processes (tabs, devices). */
  maxSocketsPerMember?: number;
  now?: () => number;
}

/** A member whose grace period ran out, handed back to the bot. */
export interface HandBack {
  classroomId: string;
  memberId: string;
}

export const DEFAULT_NODE_COUNT = 3;
/** As many worker nodes as a classroom may have unless the server's MAX_NODES says otherwise. */
export const MAX_NODES = 12;
export const DEFAULT_BOT_PACE: BotPace = { secondsPerAction: 5 };
export const DEFAULT_MAX_SOCKETS_PER_MEMBER = 8;
/** How many due hand-backs one sweep takes on; the rest wait for the next sweep. */
const HAND_BACKS_PER_SWEEP = 200;

const MAX_CODE_ATTEMPTS = 20;
/**
 * How long a join attempt is remembered after its last try. A retry comes from the join page still
 * open after a try failed, most within a minute; an hour covers a page left open until the lesson
 * starts, and outlives a try still on its way (Node drops a request after 5 minutes,
 * server.requestTimeout), which must find the record to be known as older.
 */
export const JOIN_ATTEMPT_TTL_MS = 60 * 60 * 1000;
/** What the tokens hash holds for the host screen's token, in place of a member id (those are 16 hex digits). */
const DISPLAY_HOLDER = 'display';

export type ClassroomRepository = ReturnType<typeof createClassroomRepository>;

/** Classrooms, members, tokens, roles, seats and the simulated clock, kept in Redis. */
export function createClassroomRepository({
  redis,
  prefix,
  maxStudents,
  maxNodes = MAX_NODES,
  seatGraceMs,
  serverId,
  maxSocketsPerMember = DEFAULT_MAX_SOCKETS_PER_MEMBER,
  now = Date.now,
}: ClassroomRepositoryOptions) {
  const keysOf = (classroomId: string): ClassroomKeys => classroomKeys(prefix, classroomId);
  const handBackMember = (classroomId: string, memberId: string): string => `${classroomId}:${memberId}`;
  /** Told of each hand-back this process schedules (the process heartbeat sets its timer by them). */
  const handBackListeners = new Set<(graceUntil: number) => void>();

  /** The grace period's end on the shared timers: whichever process is alive then hands the seat back. */
  async function scheduleHandBack(classroomId: string, memberId: string, graceUntil: number): Promise<void> {
    await redis.zAdd(seatHandbacksKey(prefix), { score: graceUntil, value: handBackMember(classroomId, memberId) });
    for (const listener of handBackListeners) listener(graceUntil);
  }

  /** Compare-and-set of a field of one of the room's hashes (meta, presence), bumping the seat version. */
  async function compareAndSet(classroomId: string, key: string, field: string, expected: string, next: string): Promise<boolean> {
    return (await redis.eval(COMPARE_AND_SET_ROOM_SCRIPT, { keys: [key, keysOf(classroomId).seatVersion], arguments: [field, expected, next] })) === 1;
  }

  /** Sets fields of one of the room's hashes (meta, botHelp), bumping the seat version in the same step. */
  async function setRoomFields(classroomId: string, key: string, fields: Record<string, string>): Promise<void> {
    await redis.multi().hSet(key, fields).eval(BUMP_SEAT_VERSION_SCRIPT, { keys: [keysOf(classroomId).seatVersion] }).exec();
  }

  const rooms = createRoomReader(redis, prefix);

  /** Frees a join code if it still names this classroom. */
  async function releaseCode(code: string, classroomId: string): Promise<void> {
    await redis.eval(COMPARE_AND_DELETE_SCRIPT, { keys: [codesKey(prefix)], arguments: [code, classroomId] });
  }

  async function read(classroomId: string): Promise<ClassroomRecord | null> {
    return (await rooms.read(classroomId))?.record ?? null;
  }

  async function existing(classroomId: string): Promise<ClassroomRecord> {
    const record = await read(classroomId);
    if (!record) throw new RefusalError('NotFound', `classroom "${classroomId}" not found`);
    return record;
  }

  /** The record of a classroom that is still open to changes. */
  async function open(classroomId: string): Promise<ClassroomRecord> {
    const record = await existing(classroomId);
    if (record.run.phase === 'closed') throw new RefusalError('Forbidden', 'this classroom is closed: its log can be replayed but nothing in it can change');
    return record;
  }

  function roleOf(record: ClassroomRecord, role: string): Role {
    const roles = rolesForNodes(record.nodes);
    const found = roles.find((r) => r === role);
    if (!found) throw new RefusalError('BadRequest', `role "${role}" does not exist in this cluster; its roles are ${roles.join(', ')}`);
    return found;
  }

  async function setRoles(classroomId: string, assignments: ReadonlyMap<string, Role | null>): Promise<void> {
    const args = [...assignments].flatMap(([id, role]) => [id, role ?? '']);
    if (!args.length) return;
    const keys = keysOf(classroomId);
    const missing = await redis.eval(SET_ROLES_SCRIPT, { keys: [keys.members, keys.roles, keys.seatVersion], arguments: args });
    if (missing) throw new RefusalError('NotFound', `student "${String(missing)}" not found in this classroom`);
  }

  /**
   * The name index of a classroom made before there was one, from its members: each name to its
   * earliest holder, never over an entry already there (another process may be building it too).
   */
  async function indexNames(classroomId: string): Promise<void> {
    const members = (await read(classroomId))?.members ?? [];
    if (!members.length) return;
    const index = redis.multi();
    for (const m of members) index.hSetNX(keysOf(classroomId).names, displayNameKey(m.name), m.id);
    await index.exec();
  }

  function identityOf(record: ClassroomRecord, memberId: string): Identity | null {
    const member = record.members.find((m) => m.id === memberId);
    if (!member) return null;
    const base = { classroomId: record.id, memberId: member.id, name: member.name };
    return member.kind === 'instructor' ? { kind: 'instructor', ...base } : { kind: 'student', ...base, role: record.roles.get(member.id) ?? null };
  }

  return {
    /**
     * `id` is given by a caller that must record it before the classroom exists (a split into groups,
     * to undo a failed one); `classId` makes it a group of that class, written with the classroom itself.
     */
    async create(request: CreateClassroomRequest, id = newClassroomId(), classId?: string): Promise<CreateClassroomResponse> {
      const keys = keysOf(id);
      if ((request.nodes ?? DEFAULT_NODE_COUNT) > maxNodes) throw new RefusalError('BadRequest', `a classroom has at most ${maxNodes} worker nodes on this server`);
      const instructorToken = newToken(id);
      const instructor: MemberRecord = { id: newMemberId(), name: 'Instructor', kind: 'instructor', joinedAt: now(), tokenHash: hashToken(instructorToken) };
      const nodes = Array.from({ length: request.nodes ?? DEFAULT_NODE_COUNT }, (_, i) => `node-${i + 1}`);
      const named = (code: string) => ({ code, title: request.title ?? `Classroom ${code}` });
      // One instant: the simulated clock starts at the creation time (a namespace's creationTimestamp is read from it).
      const createdAt = now();
      // The classroom first, its join code last: the codes hash lives on another shard of a Redis
      // Cluster, so the two cannot be one MULTI, and a code must never name a classroom that is not there.
      let code = newJoinCode();
      await redis
        .multi()
        .hSet(keys.meta, {
          ...named(code),
          nodes: JSON.stringify(nodes),
          run: JSON.stringify(lobbyRunState(createdAt)),
          locked: '0',
          botPace: JSON.stringify(DEFAULT_BOT_PACE),
          instructorId: instructor.id,
          createdAt: String(createdAt),
          ...(classId === undefined ? {} : { classId }),
        })
        .hSet(keys.members, instructor.id, JSON.stringify(instructor))
        .hSet(keys.tokens, instructor.tokenHash, instructor.id)
        .hSet(keys.names, displayNameKey(instructor.name), instructor.id)
        .eval(BUMP_SEAT_VERSION_SCRIPT, { keys: [keys.seatVersion] })
        .exec();
      try {
        for (let attempt = 1; !(await redis.hSetNX(codesKey(prefix), code, id)); attempt++) {
          if (attempt >= MAX_CODE_ATTEMPTS) throw new RefusalError('ServiceUnavailable', 'no free join code found; try again');
          code = newJoinCode();
          await setRoomFields(id, keys.meta, named(code));
        }
      } catch (error) {
        // Undone whole: the code too, in case it was taken though its reply was lost.
        await releaseCode(code, id).catch(() => undefined);
        await redis.del([keys.meta, keys.members, keys.tokens, keys.names, keys.seatVersion]).catch(() => undefined);
        throw error;
      }
      return { id, code, instructorToken };
    },

    async join({ code, name, attempt, try: tryNumber = 0 }: JoinClassroomRequest): Promise<JoinClassroomResponse> {
      const classroomId = await redis.hGet(codesKey(prefix), code);
      if (!classroomId) throw new RefusalError('NotFound', `no open classroom has the join code ${code}; check the code on the projector`);
      const keys = keysOf(classroomId);
      const token = newToken(classroomId);
      const student: MemberRecord = { id: newMemberId(), name, kind: 'student', joinedAt: now(), tokenHash: hashToken(token) };
      const add = () =>
        redis.eval(JOIN_SCRIPT, {
          keys: [keys.meta, keys.members, keys.tokens, keys.seatVersion, keys.names, joinAttemptKey(prefix, classroomId, attempt === undefined ? '' : hashToken(attempt)), keys.presence, keys.groupOf],
          arguments: [student.id, JSON.stringify(student), student.tokenHash, String(maxStudents), displayNameKey(name), attempt === undefined ? '' : String(JOIN_ATTEMPT_TTL_MS), String(tryNumber)],
        });
      let outcome = await add();
      if (outcome === 'NoNameIndex') {
        await indexNames(classroomId);
        outcome = await add();
      }
      if (Array.isArray(outcome)) {
        const [kind, value] = z.tuple([z.enum(['Again', 'Used']), z.string()]).parse(outcome);
        if (kind === 'Again') return { classroomId, studentId: value, token };
        throw new RefusalError(
          'Conflict',
          `an earlier try of this join made the student "${value}", who has connected or been placed in a group since and cannot be renamed: join as "${value}" to take that seat, or ask the instructor to remove it first`,
        );
      }
      switch (outcome) {
        case 'OK':
          return { classroomId, studentId: student.id, token };
        case 'NameTaken':
          throw new RefusalError('AlreadyExists', nameTakenMessage(name));
        case 'Stale':
          // Nobody waits for this answer any more: the page sent a later try after this one failed.
          throw new RefusalError('Conflict', `try ${tryNumber} of this join arrived after a later try, whose answer stands: it changes nothing`);
        case 'Locked':
          throw new RefusalError('Forbidden', 'this classroom is locked: the instructor is not letting more students join');
        case 'Full':
          // Kubernetes answers an exceeded quota with 403 Forbidden, too.
          throw new RefusalError('Forbidden', `this classroom is full: it has the maximum of ${maxStudents} students`);
        default:
          throw new RefusalError('NotFound', `no open classroom has the join code ${code}; check the code on the projector`);
      }
    },

    /** Every classroom not yet closed (those with a join code), for the loops that look after all of them. */
    async openClassroomIds(): Promise<string[]> {
      return [...new Set(await redis.hVals(codesKey(prefix)))];
    },

    /** Who holds this token, or null for an unknown or revoked one. */
    async authenticate(token: string): Promise<Identity | null> {
      const classroomId = classroomIdOfToken(token);
      if (!classroomId) return null;
      const memberId = await redis.hGet(keysOf(classroomId).tokens, hashToken(token));
      if (!memberId) return null;
      // A student of a class split into groups plays in the group's own classroom.
      const [record, group] = await Promise.all([read(classroomId), memberId === DISPLAY_HOLDER ? null : redis.hGet(keysOf(classroomId).groupOf, memberId)]);
      if (memberId === DISPLAY_HOLDER) return record && { kind: 'display', classroomId, name: 'Host screen' };
      if (group && record?.run.phase !== 'closed') {
        const groupRecord = await read(group);
        if (groupRecord && groupRecord.run.phase !== 'closed') return identityOf(groupRecord, memberId);
      }
      const identity = record && identityOf(record, memberId);
      if (identity?.kind === 'student' && record?.run.phase === 'closed') {
        throw new RefusalError('Forbidden', 'this classroom is closed');
      }
      return identity;
    },

    /** A new read-only token for the classroom's host screen; the previous one stops working. */
    async issueDisplayToken(classroomId: string): Promise<string> {
      const token = newToken(classroomId);
      const keys = keysOf(classroomId);
      const issued = await redis.eval(ISSUE_DISPLAY_TOKEN_SCRIPT, { keys: [keys.meta, keys.tokens, keys.seatVersion], arguments: [hashToken(token), DISPLAY_HOLDER] });
      if (issued !== 1) throw new RefusalError('NotFound', `classroom "${classroomId}" not found`);
      return token;
    },

    async identity(classroomId: string, memberId: string): Promise<Identity | null> {
      const record = await read(classroomId);
      return record && identityOf(record, memberId);
    },

    read,

    /**
     * The room this process read last and the seat version it was read at, without a round trip:
     * it may be behind, so a decision on it is committed only while the version holds (see api-server.ts).
     */
    keptRoom: rooms.kept,

    /** The key of the classroom's seat version, for a write that must commit only while it holds a value. */
    seatVersionKey: (classroomId: string): string => keysOf(classroomId).seatVersion,

    /** The room with its seat version, as of now. */
    room: rooms.read,

    async view(classroomId: string): Promise<ClassroomView | null> {
      const record = await read(classroomId);
      return record && classroomView(record, now());
    },

    async assignRole(classroomId: string, studentId: string, role: string | null): Promise<void> {
      const record = await open(classroomId);
      await setRoles(classroomId, new Map([[studentId, role === null ? null : roleOf(record, role)]]));
    },

    /** Reassigns every student, balanced across roles in join order; returns who was assigned. */
    async autoAssignRoles(classroomId: string): Promise<string[]> {
      const record = await open(classroomId);
      const students = record.members.filter((m) => m.kind === 'student').map((m) => m.id);
      await setRoles(classroomId, assignRolesBalanced(students, rolesForNodes(record.nodes)));
      return students;
    },

    /**
     * Appends the next worker node to the classroom's node list (its kubelet and container runtime
     * become roles); returns its name and its position in the list.
     */
    async addNode(classroomId: string): Promise<{ name: string; index: number }> {
      const reply = z
        .union([z.tuple([z.literal('OK'), z.string(), z.number()]), z.tuple([z.enum(['NotFound', 'Closed', 'Full'])])])
        .parse(await redis.eval(ADD_NODE_SCRIPT, { keys: [keysOf(classroomId).meta, keysOf(classroomId).seatVersion], arguments: [String(maxNodes)] }));
      switch (reply[0]) {
        case 'OK':
          return { name: reply[1], index: reply[2] };
        case 'NotFound':
          throw new RefusalError('NotFound', `classroom "${classroomId}" not found`);
        case 'Closed':
          throw new RefusalError('Forbidden', 'this classroom is closed: its log can be replayed but nothing in it can change');
        case 'Full':
          throw new RefusalError('Forbidden', `this cluster already has the maximum of ${maxNodes} worker nodes: no node can be added`);
      }
    },

    /**
     * A scenario's nodes replace the classroom's node list; students whose role was on a node that
     * is gone lose that role (returns who), the others keep theirs.
     */
    async setNodes(classroomId: string, nodes: readonly string[]): Promise<string[]> {
      const record = await open(classroomId);
      await setRoomFields(classroomId, keysOf(classroomId).meta, { nodes: JSON.stringify(nodes) });
      const roles = new Set<string>(rolesForNodes(nodes));
      const orphaned = [...record.roles].filter(([, role]) => !roles.has(role)).map(([id]) => id);
      await setRoles(classroomId, new Map(orphaned.map((id) => [id, null])));
      return orphaned;
    },

    async setLocked(classroomId: string, locked: boolean): Promise<void> {
      await open(classroomId);
      await setRoomFields(classroomId, keysOf(classroomId).meta, { locked: locked ? '1' : '0' });
    },

    /** Members copied as they are into a group's classroom (a split of the class, see server/rounds/class-groups.ts). */
    async addMembers(classroomId: string, members: readonly MemberRecord[]): Promise<void> {
      if (!members.length) return;
      const keys = keysOf(classroomId);
      // Their names come along: a join by the group's own code must not take one of them again.
      await redis
        .multi()
        .hSet(keys.members, Object.fromEntries(members.map((m) => [m.id, JSON.stringify(m)])))
        .hSet(keys.names, Object.fromEntries(members.map((m) => [displayNameKey(m.name), m.id])))
        .eval(BUMP_SEAT_VERSION_SCRIPT, { keys: [keys.seatVersion] })
        .exec();
    },

    /** Deletes the student and revokes their token; the classroom log keeps what they did. */
    async removeStudent(classroomId: string, studentId: string): Promise<void> {
      const record = await open(classroomId);
      const member = record.members.find((m) => m.id === studentId && m.kind === 'student');
      if (!member) throw new RefusalError('NotFound', `student "${studentId}" not found in this classroom`);
      const keys = keysOf(classroomId);
      await redis
        .multi()
        .hDel(keys.members, studentId)
        .hDel(keys.roles, studentId)
        .hDel(keys.presence, studentId)
        .hDel(keys.sockets, studentId)
        .hDel(keys.tokens, member.tokenHash)
        // The name is free again, unless (an index built after a duplicate) it names someone else.
        .eval(COMPARE_AND_DELETE_SCRIPT, { keys: [keys.names], arguments: [displayNameKey(member.name), studentId] })
        .eval(BUMP_SEAT_VERSION_SCRIPT, { keys: [keys.seatVersion] })
        .exec();
    },

    async setBotHelp(classroomId: string, role: string, enabled: boolean): Promise<void> {
      const record = await open(classroomId);
      await setRoomFields(classroomId, keysOf(classroomId).botHelp, { [roleOf(record, role)]: enabled ? '1' : '0' });
    },

    async setBotPace(classroomId: string, pace: BotPace): Promise<void> {
      await open(classroomId);
      await setRoomFields(classroomId, keysOf(classroomId).meta, { botPace: JSON.stringify(pace) });
    },

    /** Moves the phase and the clock together; closing also frees the join code. */
    async runCommand(classroomId: string, command: RunCommand): Promise<RunState> {
      const keys = keysOf(classroomId);
      for (;;) {
        const stored = await redis.hGet(keys.meta, 'run');
        if (!stored) throw new RefusalError('NotFound', `classroom "${classroomId}" not found`);
        const run = runStateSchema.parse(JSON.parse(stored));
        const next = applyRunCommand(run, command, now());
        if ('refused' in next) throw new RefusalError(run.phase === 'closed' ? 'Forbidden' : 'BadRequest', next.refused);
        // A concurrent change (another instructor tab) makes us re-read and decide again.
        if (!(await compareAndSet(classroomId, keys.meta, 'run', stored, JSON.stringify(next)))) continue;
        if (next.phase === 'closed') {
          // Only the code goes, so nobody joins; members, the instructor's token and the log stay for replay.
          const code = await redis.hGet(keys.meta, 'code');
          if (code) await releaseCode(code, classroomId);
          // Archived once its retention is over (server/replay/archive.ts).
          await redis.zAdd(closedClassroomsKey(prefix), { score: next.clock.wall, value: classroomId });
        }
        return next;
      }
    },

    /**
     * Counts a socket of the member on this process and marks the member connected; false (and
     * nothing written) when the member already has `maxSocketsPerMember` sockets open.
     */
    async markConnected(classroomId: string, memberId: string, socketId: string): Promise<boolean> {
      const keys = keysOf(classroomId);
      // First the index a survivor reads if this process dies, then the presence it would look for.
      await redis.sAdd(processClassroomsKey(prefix, serverId), classroomId);
      const open = await redis.eval(CONNECT_SOCKET_SCRIPT, {
        keys: [keys.presence, keys.sockets, keys.seatVersion],
        arguments: [memberId, serverId, String(maxSocketsPerMember), JSON.stringify(connected(now(), socketId, serverId))],
      });
      return open !== 0;
    },

    /** How many sockets the member holds open on all processes together. */
    async openSockets(classroomId: string, memberId: string): Promise<number> {
      const raw = await redis.hGet(keysOf(classroomId).sockets, memberId);
      if (!raw) return 0;
      const counts = z.record(z.string(), z.number()).parse(JSON.parse(raw));
      return Object.values(counts).reduce((sum, n) => sum + n, 0);
    },

    maxSocketsPerMember,

    /**
     * Uncounts a socket of the member on this process; when it was their last on any process,
     * starts the grace period and schedules its end on the shared timers. Returns the new presence,
     * or null when the member is still connected elsewhere (another tab, another process) or gone.
     */
    async markDisconnected(classroomId: string, memberId: string): Promise<Presence | null> {
      const keys = keysOf(classroomId);
      const next = disconnected(now(), seatGraceMs);
      const started = await redis.eval(DISCONNECT_SOCKET_SCRIPT, { keys: [keys.presence, keys.sockets, keys.seatVersion], arguments: [memberId, serverId, JSON.stringify(next)] });
      if (started !== 1) return null;
      await scheduleHandBack(classroomId, memberId, next.graceUntil);
      return next;
    },

    /**
     * A dead process's members, in every classroom it wrote presences in: disconnected as of its
     * last heartbeat, their grace periods scheduled. Safe to run on several survivors at once: the
     * second finds nothing left to do. Returns who was disconnected, per classroom.
     */
    async reapProcess(deadServerId: string, lastBeat: number): Promise<HandBack[][]> {
      const index = processClassroomsKey(prefix, deadServerId);
      const next = disconnected(Math.min(lastBeat, now()), seatGraceMs);
      const reaped: HandBack[][] = [];
      for (const classroomId of await redis.sMembers(index)) {
        const keys = keysOf(classroomId);
        const gone = z.array(z.string()).parse(await redis.eval(REAP_PROCESS_SCRIPT, { keys: [keys.presence, keys.sockets, keys.seatVersion], arguments: [deadServerId, JSON.stringify(next)] }));
        for (const memberId of gone) await scheduleHandBack(classroomId, memberId, next.graceUntil);
        if (gone.length) reaped.push(gone.map((memberId) => ({ classroomId, memberId })));
      }
      await redis.del(index);
      return reaped;
    },

    /** Calls `listener` with the due time of each hand-back this process schedules. */
    onHandBackScheduled(listener: (graceUntil: number) => void): () => void {
      handBackListeners.add(listener);
      return () => handBackListeners.delete(listener);
    },

    /** When the soonest hand-back on the shared timers is due (ms), or null when none waits. */
    async nextHandBackAt(): Promise<number | null> {
      const [first] = await redis.zRangeWithScores(seatHandbacksKey(prefix), 0, 0);
      return first ? first.score : null;
    },

    /**
     * Takes the hand-backs due by now off the shared timers (each goes to exactly one process) and
     * writes them; returns those that happened. A member who came back meanwhile keeps the seat.
     */
    async takeDueHandBacks(): Promise<HandBack[]> {
      const key = seatHandbacksKey(prefix);
      const at = now();
      const due = await redis.zRangeByScore(key, '-inf', at, { LIMIT: { offset: 0, count: HAND_BACKS_PER_SWEEP } });
      const handedBack: HandBack[] = [];
      for (const entry of due) {
        if ((await redis.zRem(key, entry)) !== 1) continue; // another process took it
        const [classroomId, memberId] = entry.split(':');
        if (!classroomId || !memberId) continue;
        const presenceKey = keysOf(classroomId).presence;
        const stored = await redis.hGet(presenceKey, memberId);
        if (!stored) continue;
        const presence = presenceSchema.parse(JSON.parse(stored));
        if (presence.state !== 'disconnected') continue;
        if (presence.graceUntil > at) {
          await scheduleHandBack(classroomId, memberId, presence.graceUntil); // a later disconnection moved the end
          continue;
        }
        const next: Presence = { state: 'handedBack', since: presence.graceUntil };
        if (await compareAndSet(classroomId, presenceKey, memberId, stored, JSON.stringify(next))) handedBack.push({ classroomId, memberId });
      }
      return handedBack;
    },
  };
}
