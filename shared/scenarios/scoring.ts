/**
 * Scores of a round, from what each player's requests did: pure, deterministic, so a scripted round
 * with known timings gives known scores.
 *   score = 10 × accepted requests − 5 × refused requests + 20 × goals the player's component helped reach
 *           + speed: 30 − mean seconds from Pending to bound (scheduler) or from bound to Running (kubelet), at least 0
 * never below 0. Kube-proxy's routed client requests are traffic, not moves: they count for availability only.
 */
import type { GoalAchiever, RoundActivity, RoundScore, RoundTeamScore } from '@shared/protocol/rounds';
import { parseRole, type Role } from '@shared/protocol/roles';

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
  /** For each goal reached, the components (Kubernetes names) whose requests reached it. */
  goalComponents: readonly string[][];
}

export function scorePlayers({ tallies, boundToRunning, goalComponents }: ScoreInput): RoundScore[] {
  const scores = tallies.map((t): RoundScore => {
    const component = componentName(t.role);
    const goals = goalComponents.filter((components) => components.includes(component)).length;
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

/** A team is the players of one component. */
export function scoreTeams(scores: readonly RoundScore[]): RoundTeamScore[] {
  const teams = new Map<string, RoundTeamScore>();
  for (const s of scores) {
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

/** Simulated seconds from each fault to the next moment every goal was met (null: never). */
export function recoveries(faults: readonly { atSeconds: number; text: string }[], allMetAtSeconds: readonly number[]): { fault: string; seconds: number | null }[] {
  return faults.map((f) => {
    const next = allMetAtSeconds.find((t) => t >= f.atSeconds);
    return { fault: f.text, seconds: next === undefined ? null : Math.round((next - f.atSeconds) * 10) / 10 };
  });
}

/** The players whose component's work (their accepted requests, or its own loop's while they held the seat) a goal depended on. */
export function achievers(players: readonly PlayerTally[], components: readonly string[]): GoalAchiever[] {
  const found: GoalAchiever[] = [];
  for (const component of components) {
    for (const p of players) {
      if ((p.accepted === 0 && !p.automatic) || componentName(p.role) !== component) continue;
      found.push({ component, memberId: memberIdOf(p.actor), name: p.name });
    }
  }
  return found;
}
