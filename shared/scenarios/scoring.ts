/**
 * Scores of a round, from what each player's requests did: pure, deterministic, so a scripted round
 * with known timings gives known scores.
 *   score = 10 × accepted requests − 5 × refused requests
 *           + 20 × goals the player reached (made the change that met it, or their component did the work it depended on)
 *           + speed: 30 − mean seconds from Pending to bound (scheduler) or from bound to Running (kubelet), at least 0
 * never below 0. Kube-proxy's routed client requests are traffic, not moves: they count for availability only.
 */
import type { MemberView, RoleSeatView } from '@shared/protocol/classroom';
import type { GoalAchiever, RoundActivity, RoundScore, RoundTeamScore } from '@shared/protocol/rounds';
import { parseRole, type Role } from '@shared/protocol/roles';
import { TIMER_KINDS } from '@shared/sim/timers';

/** What one player did during the round, folded from the request log. */
export interface PlayerTally {
  /** `student:<id>` or `bot:<role>` */
  actor: string;
  name: string;
  role: Role | null;
  accepted: number;
  refused: number;
  /**
   * Writes the player's component made on its own loop while the player held its seat (the
   * kubelet's heartbeat, the runtime's timed completions): the component's work, so the player
   * reached the goals it helped reach, but no move of theirs, so no move points.
   */
  automatic?: number;
  /** Simulated ms of the last accepted request. */
  lastAcceptedAt?: number;
  /** Sum and count of Pending -> bound waits of the pods this player bound (ms). */
  bindWaitMs: number;
  binds: number;
}

/** Mean bound -> Running per node (ms), measured on the pods themselves. */
export type BoundToRunning = Record<string, { totalMs: number; pods: number }>;

export const POINTS = { accepted: 10, refused: -5, goal: 20, speedBase: 30 } as const;

/** Kubernetes' own name of the component a role plays. */
export function componentName(role: Role | null): string {
  const parsed = role === null ? null : parseRole(role);
  switch (parsed?.component) {
    case 'scheduler':
      return 'kube-scheduler';
    case 'controller-manager':
      return 'kube-controller-manager';
    case 'kubelet':
      return 'kubelet';
    case 'container-runtime':
      return 'container-runtime';
    case 'kube-proxy':
      return 'kube-proxy';
    default:
      return 'none';
  }
}

export const memberIdOf = (actor: string): string | null => (actor.startsWith('student:') ? actor.slice('student:'.length) : null);

const seconds = (ms: number): number => Math.round(ms / 100) / 10;

export interface ScoreInput {
  tallies: readonly PlayerTally[];
  boundToRunning: BoundToRunning;
  /** For each goal reached, the players (`student:<id>`, `bot:<role>`) who reached it. */
  goalActors: readonly (readonly string[])[];
}

export function scorePlayers({ tallies, boundToRunning, goalActors }: ScoreInput): RoundScore[] {
  const scores = tallies.map((t): RoundScore => {
    const goals = goalActors.filter((actors) => actors.includes(t.actor)).length;
    let score = POINTS.accepted * t.accepted + POINTS.refused * t.refused + POINTS.goal * goals;
    const score0: RoundScore = { memberId: memberIdOf(t.actor) ?? t.actor, name: t.name, role: t.role, score: 0, refusals: t.refused, accepted: t.accepted };
    if (t.binds > 0) {
      score0.pendingToBoundSeconds = seconds(t.bindWaitMs / t.binds);
      score += Math.max(0, POINTS.speedBase - Math.round(score0.pendingToBoundSeconds));
    }
    const node = t.role === null ? null : parseRole(t.role);
    if (node?.component === 'kubelet' || node?.component === 'container-runtime') {
      const measured = boundToRunning[node.node];
      if (measured && measured.pods > 0) {
        score0.boundToRunningSeconds = seconds(measured.totalMs / measured.pods);
        score += Math.max(0, POINTS.speedBase - Math.round(score0.boundToRunningSeconds));
      }
    }
    score0.score = Math.max(0, score);
    return score0;
  });
  return scores.sort((a, b) => b.score - a.score || a.name.localeCompare(b.name) || a.memberId.localeCompare(b.memberId));
}

/** A team is the players of one component; a student without a role is on none. */
export function scoreTeams(scores: readonly RoundScore[]): RoundTeamScore[] {
  const teams = new Map<string, RoundTeamScore>();
  for (const s of scores) {
    if (s.role === null) continue;
    const team = componentName(s.role);
    const entry = teams.get(team) ?? { team, score: 0, memberIds: [] };
    entry.score += s.score;
    entry.memberIds.push(s.memberId);
    teams.set(team, entry);
  }
  return [...teams.values()].sort((a, b) => b.score - a.score || a.team.localeCompare(b.team));
}

/** Who is idle or being refused: every student, from their tally (or none yet). */
export function activityOf(students: readonly { id: string; name: string; role: Role | null }[], tallies: readonly PlayerTally[], now: number, startedAt: number): RoundActivity[] {
  return students.map((s) => {
    const t = tallies.find((x) => x.actor === `student:${s.id}`);
    const since = t?.lastAcceptedAt ?? startedAt;
    return { memberId: s.id, name: s.name, role: s.role, accepted: t?.accepted ?? 0, refusals: t?.refused ?? 0, idleSeconds: Math.max(0, Math.floor((now - since) / 1000)) };
  });
}

/**
 * Simulated seconds from each fault to the next moment every goal was met (null: never), and
 * whether that was meeting them *again*: each goal had first been met (`firstMetAtSeconds`, one per
 * goal, undefined: never) before the fault. A goal nobody had met yet is met, not met again.
 */
export function recoveries(
  faults: readonly { atSeconds: number; text: string }[],
  allMetAtSeconds: readonly number[],
  firstMetAtSeconds: readonly (number | undefined)[],
): { fault: string; seconds: number | null; again: boolean }[] {
  return faults.map((f) => {
    const next = allMetAtSeconds.find((t) => t >= f.atSeconds);
    const again = firstMetAtSeconds.every((t) => t !== undefined && t < f.atSeconds);
    return { fault: f.text, seconds: next === undefined ? null : Math.round((next - f.atSeconds) * 10) / 10, again };
  });
}

/** Who reached a goal: the players credited (their tally's actor) and how the debrief names them. */
export interface GoalAuthors {
  actors: string[];
  achievers: GoalAchiever[];
  /** The change was the scenario's own step or the instructor's: no player made it. */
  by?: 'scenario' | 'instructor';
}

/**
 * Who a timeline mark names after its text: the students by name, each once, then the bots summed
 * up: one by its role ("bot (controller-manager)"), several of one component as "4 kubelet bots",
 * of several components as "10 bots" (the debrief lists a goal's per component beside it). Naming
 * every bot ran a goal's mark to eight lines on a debrief played by bots.
 */
export function markWhoText(achievers: readonly GoalAchiever[]): string {
  const students = new Map<string, string>();
  const bots: GoalAchiever[] = [];
  for (const a of achievers) {
    if (a.memberId === null) bots.push(a);
    else if (!students.has(a.memberId)) students.set(a.memberId, a.name);
  }
  const components = [...new Set(bots.map((b) => b.component))];
  const [bot] = bots;
  const botWords = !bot ? [] : bots.length === 1 ? [bot.name] : components.length === 1 ? [`${bots.length} ${bot.component} bots`] : [`${bots.length} bots`];
  return [...students.values(), ...botWords].join(', ');
}

/** The actor of a scenario step's writes (a fault, a new image): the round's, nobody in the class. */
export const SCENARIO_ACTOR = 'system:rounds';

/**
 * The players whose component's work (their accepted requests, or its own loop's while they held
 * the seat) a goal depended on: they reached it with whoever made the change that met it.
 */
export function achievers(players: readonly PlayerTally[], components: readonly string[]): GoalAuthors {
  const found: GoalAuthors = { actors: [], achievers: [] };
  for (const component of components) {
    for (const p of players) {
      if ((p.accepted === 0 && !p.automatic) || componentName(p.role) !== component) continue;
      found.actors.push(p.actor);
      found.achievers.push({ component, memberId: memberIdOf(p.actor), name: p.name });
    }
  }
  return found;
}

/**
 * Everyone credited with a goal: the author of the change that met it first (the debrief names
 * them first), then the contributors, each once (a student by member and component, a bot by name).
 * A goal the scenario's step or the instructor met is theirs alone: the class's components did
 * other work meanwhile, but not this (a new image released at 0:45 is no student's doing).
 */
export function credited(author: GoalAuthors, contributors: GoalAuthors): GoalAuthors {
  if (author.by) return author;
  const key = (a: GoalAchiever): string => JSON.stringify([a.component, a.memberId === null ? { bot: a.name } : { member: a.memberId }]);
  const seen = new Set(author.achievers.map(key));
  return {
    actors: [...new Set([...author.actors, ...contributors.actors])],
    achievers: [...author.achievers, ...contributors.achievers.filter((a) => !seen.has(key(a)))],
  };
}

/** The classroom as the authors of a change are named from it. */
export interface Room {
  members: readonly MemberView[];
  seats: readonly RoleSeatView[];
}

/**
 * Who made a change, from its watch event's actor: a student or a bot by their move; the
 * instructor by their request; a component's own loop (`system:node:<node>`, the kubelet's
 * heartbeat; `system:<timer>`, a container runtime's call finishing) is whoever holds that seat;
 * a scenario's step is the scenario's. Anything else (the scenario's setup, leader election) is nobody's.
 */
export function authorsOf(actor: string, object: { kind: string; metadata: { name: string }; spec?: unknown }, room: Room): GoalAuthors {
  const none: GoalAuthors = { actors: [], achievers: [] };
  if (actor === 'instructor') {
    const instructor = room.members.find((m) => m.kind === 'instructor');
    return { actors: [], achievers: [{ component: 'instructor', memberId: instructor?.id ?? null, name: instructor?.name ?? 'instructor' }], by: 'instructor' };
  }
  if (actor === SCENARIO_ACTOR) return { actors: [], achievers: [], by: 'scenario' };
  if (actor.startsWith('student:')) {
    const member = room.members.find((m) => m.id === actor.slice('student:'.length));
    return member ? { actors: [actor], achievers: [{ component: componentName(member.role), memberId: member.id, name: member.name }] } : none;
  }
  if (actor.startsWith('bot:')) {
    const role = actor.slice('bot:'.length);
    return parseRole(role) ? { actors: [actor], achievers: [{ component: componentName(role as Role), memberId: null, name: `bot (${role})` }] } : none;
  }
  const role = loopRole(actor, object);
  if (!role) return none;
  const seat = room.seats.find((s) => s.role === role);
  if (!seat) return none;
  if (seat.bot === 'playing') return { actors: [`bot:${role}`], achievers: [{ component: componentName(role), memberId: null, name: `bot (${role})` }] };
  const students = room.members.filter((m) => m.kind === 'student' && seat.studentIds.includes(m.id));
  return { actors: students.map((m) => `student:${m.id}`), achievers: students.map((m) => ({ component: componentName(role), memberId: m.id, name: m.name })) };
}

/** The seat whose component's own loop wrote as `actor`, or null. */
function loopRole(actor: string, object: { kind: string; metadata: { name: string }; spec?: unknown }): Role | null {
  if (actor.startsWith('system:node:')) return `kubelet:${actor.slice('system:node:'.length)}`;
  const kind = actor.slice('system:'.length);
  if (!actor.startsWith('system:') || !(kind in TIMER_KINDS)) return null;
  const component = TIMER_KINDS[kind as keyof typeof TIMER_KINDS].component;
  if (component === 'controller-manager') return component;
  const spec = object.spec as { nodeName?: string } | undefined;
  const node = object.kind === 'Pod' ? spec?.nodeName : object.metadata.name;
  return node ? (`${component}:${node}` as Role) : null;
}
