import type { Role } from './roles';

/** A classroom's life: students gather in the lobby, the cluster runs (or is paused), then it closes. */
export type ClassroomPhase = 'lobby' | 'running' | 'paused' | 'closed';

/** The simulated clock: simNow = simAtWall + (wallNow - wall) * timeScale, frozen while paused. */
export interface SimClock {
  simAtWall: number;
  wall: number;
  timeScale: number;
  paused: boolean;
}

export function simNow(clock: SimClock, wallNow: number): number {
  return clock.paused ? clock.simAtWall : clock.simAtWall + (wallNow - clock.wall) * clock.timeScale;
}

/** How fast bots act, in simulated seconds between two of their actions (a human-like pace). */
export interface BotPace {
  secondsPerAction: number;
}

export interface MemberView {
  id: string;
  name: string;
  kind: 'instructor' | 'student';
  connected: boolean;
  role: Role | null;
}

/** Who plays a role now: a student team (with its leader) or the bot. */
export interface RoleSeatView {
  role: Role;
  studentIds: string[];
  /** Holder of the role's Lease for leader-elected roles; the only student of other roles. */
  leaderId: string | null;
  /** 'playing' while no student holds the role and bot help is on. */
  bot: 'playing' | 'standby' | 'off';
  botHelp: boolean;
}

/** What every member of a classroom sees about the room itself (not the cluster). */
export interface ClassroomView {
  id: string;
  code: string;
  title: string;
  phase: ClassroomPhase;
  locked: boolean;
  clock: SimClock;
  botPace: BotPace;
  nodes: string[];
  /** When this classroom is a group of a class split into groups: the class's id. */
  classId?: string;
  members: MemberView[];
  seats: RoleSeatView[];
}

/** A member of the classroom: the instructor or a student, with the token they hold. */
export type MemberIdentity =
  | { kind: 'instructor'; classroomId: string; memberId: string; name: string }
  | { kind: 'student'; classroomId: string; memberId: string; name: string; role: Role | null };

/**
 * Who this connection is: a member, or the host screen on the projector, which watches the
 * classroom with a read-only token of its own (no member, no seat, no request of any kind).
 */
export type Identity = MemberIdentity | { kind: 'display'; classroomId: string; name: string };
