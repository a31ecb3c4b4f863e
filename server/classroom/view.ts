import { nodeOfRole, rolesForNodes, type BotPace, type ClassroomView, type MemberView, type Role, type RoleSeatView } from '@shared/protocol';
import { holdsSeat, presenceAt, type Presence } from './presence';
import type { RunState } from './run-state';

export interface MemberRecord {
  id: string;
  name: string;
  kind: 'instructor' | 'student';
  joinedAt: number;
  tokenHash: string;
}

/** A classroom as read from Redis, before anything is derived from it. */
export interface ClassroomRecord {
  id: string;
  code: string;
  title: string;
  nodes: string[];
  /** When it was created (wall ms); its simulated clock starts there (lobbyRunState). */
  createdAt: number;
  run: RunState;
  locked: boolean;
  botPace: BotPace;
  /** The class this classroom is a group of (see server/rounds/class-groups.ts); absent for a class. */
  classId?: string;
  /** In join order. */
  members: MemberRecord[];
  roles: ReadonlyMap<string, Role>;
  presence: ReadonlyMap<string, Presence>;
  /** Roles whose bot help the instructor turned off; every other role has it on. */
  botHelpOff: ReadonlySet<Role>;
}

/**
 * Who plays each role as of `now`. The team's leader is, for now, its earliest-joined student who
 * still holds the seat; the Lease-based election of the control plane will replace that choice.
 */
export function seatViews(record: ClassroomRecord, now: number): RoleSeatView[] {
  // The students grouped by role in one pass: a classroom of 1,000 nodes has 3,000 per-node seats,
  // and filtering every member for each of them was a few percent of a busy server's CPU.
  const teams = new Map<Role, MemberRecord[]>();
  for (const m of record.members) {
    const role = m.kind === 'student' ? record.roles.get(m.id) : undefined;
    if (role === undefined) continue;
    const team = teams.get(role);
    if (team) team.push(m);
    else teams.set(role, [m]);
  }
  return rolesForNodes(record.nodes).map((role) => seatOf(record, role, teams.get(role) ?? [], now));
}

/** The seat of one role as of `now` (seatViews' entry for it), for a role of the classroom's cluster. */
function roleSeat(record: ClassroomRecord, role: Role, now: number): RoleSeatView {
  return seatOf(record, role, record.members.filter((m) => m.kind === 'student' && record.roles.get(m.id) === role), now);
}

/** The seat of a role whose students, in join order, are `team`. */
function seatOf(record: ClassroomRecord, role: Role, team: readonly MemberRecord[], now: number): RoleSeatView {
  const holders = team.filter((m) => holdsSeat(presenceAt(record.presence.get(m.id), now)));
  const botHelp = !record.botHelpOff.has(role);
  return {
    role,
    studentIds: team.map((m) => m.id),
    leaderId: holders[0]?.id ?? null,
    bot: !botHelp ? 'off' : holders.length ? 'standby' : 'playing',
    botHelp,
  };
}

/** Whether the role's bot plays it as of `now`: the classroom runs, the role is one of its cluster's, and no student holds it. */
export function botPlays(record: ClassroomRecord, role: Role, now: number): boolean {
  if (record.run.phase !== 'running') return false;
  const node = nodeOfRole(role);
  if (node !== null ? !record.nodes.includes(node) : !rolesForNodes([]).includes(role)) return false;
  return roleSeat(record, role, now).bot === 'playing';
}

export function memberViews(record: ClassroomRecord, now: number): MemberView[] {
  return record.members.map((m) => ({
    id: m.id,
    name: m.name,
    kind: m.kind,
    connected: presenceAt(record.presence.get(m.id), now).state === 'connected',
    role: m.kind === 'student' ? (record.roles.get(m.id) ?? null) : null,
  }));
}

export function classroomView(record: ClassroomRecord, now: number): ClassroomView {
  return {
    id: record.id,
    code: record.code,
    title: record.title,
    phase: record.run.phase,
    locked: record.locked,
    clock: record.run.clock,
    botPace: record.botPace,
    nodes: record.nodes,
    ...(record.classId === undefined ? {} : { classId: record.classId }),
    members: memberViews(record, now),
    seats: seatViews(record, now),
  };
}
