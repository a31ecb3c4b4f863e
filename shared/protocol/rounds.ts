import type { Role } from './roles';

/**
 * A round: one scenario played from its briefing to a debrief. The server decides the phase and
 * which goals are met; every screen (students, instructor, host display) renders this view.
 */
export type RoundPhase = 'briefing' | 'running' | 'paused' | 'won' | 'lost';

/** A scenario as the catalogue lists it (`GET /api/scenarios`). */
export interface ScenarioSummary {
  id: string;
  title: string;
  objective: string;
  timeLimitSeconds: number;
}

/** The person and component whose accepted requests achieved a goal. */
export interface GoalAchiever {
  /** The Kubernetes component, in its own name: `kube-scheduler`, `kubelet`, `kube-controller-manager`. */
  component: string;
  /** A student's member id, or null for a bot or the system. */
  memberId: string | null;
  /** The student's name, or `bot` / `system`. */
  name: string;
}

export interface RoundGoalView {
  id: string;
  /** The check as written in the scenario: `deployment/web readyReplicas == 3`. */
  text: string;
  /** The goal in words, as the class reads it: the scenario's `about` line, or the check told in words (absent from a view stored before it was added). */
  about?: string;
  met: boolean;
  /** Live progress where the check counts something (2 of 3 replicas ready); `percent`: both are percentages (a Service's availability). */
  progress?: { current: number; target: number; percent?: true };
  /** Simulated seconds since the round started when it was last met: it has held since. */
  metAtSeconds?: number;
  /** Who reached it: whoever made the change that met it first, then the players whose components did the work (empty: held from the start). */
  achievedBy?: GoalAchiever[];
  /** It held when it began to count (the round's start, or what it waits for) and has since: nobody reached it. */
  heldFromStart?: boolean;
  /** It does not count yet: it waits for this (a step of the scenario, or an earlier goal), in words. */
  waitsFor?: string;
  /** The change that met it was the scenario's own step or the instructor's: no player reached it. */
  metBy?: 'scenario' | 'instructor';
}

export interface RoundScore {
  memberId: string;
  name: string;
  role: Role | null;
  score: number;
  refusals: number;
  accepted: number;
  /** Mean simulated seconds from Pending to bound for pods this member bound (scheduler). */
  pendingToBoundSeconds?: number;
  /** Mean simulated seconds from bound to Running for pods on this member's node (kubelet, runtime). */
  boundToRunningSeconds?: number;
}

/** A team is the students of one role (or a group, when the class is split). */
export interface RoundTeamScore {
  team: string;
  score: number;
  memberIds: string[];
}

export type RoundMarkKind = 'phase' | 'step' | 'fault' | 'refusal' | 'goal';

/**
 * What made a mark: the instructor (from the console), the scenario (its timed steps), the
 * cluster's components (whoever plays them, students or bots, named in `actor`), or the round
 * itself (a goal no longer met, the round won or out of time). Screens and the debrief go by this,
 * never by a name: a student may join under any name, "scenario" too.
 */
export type RoundMarkBy = 'instructor' | 'scenario' | 'cluster' | 'round';

export interface RoundTimelineMark {
  /** Simulated seconds since the round started. */
  atSeconds: number;
  kind: RoundMarkKind;
  text: string;
  by: RoundMarkBy;
  /** The players whose components made it, by name (`Kim`, `bot (scheduler)`, `nobody`): marks by the cluster only. */
  actor?: string;
}

/**
 * A fault the instructor or the scenario made (recoveries are measured from these), not one of the
 * moments it brought about (a node NotReady, an eviction), which the cluster's components wrote.
 */
export function isFaultMade(mark: Pick<RoundTimelineMark, 'kind' | 'by'>): boolean {
  return mark.kind === 'fault' && (mark.by === 'instructor' || mark.by === 'scenario');
}

/**
 * A mark as stored before `by` (a round record, a view): what made it was told by `actor` alone,
 * `instructor` or `scenario` for theirs, a player's name for the cluster's, none for the round's.
 * Read as it was compared then, so an old round shows and measures its recoveries as it did.
 */
export function markWithBy(mark: Omit<RoundTimelineMark, 'by'> & { by?: RoundMarkBy }): RoundTimelineMark {
  const { atSeconds, kind, text, actor } = mark;
  if (mark.by !== undefined) return actor === undefined ? { atSeconds, kind, text, by: mark.by } : { atSeconds, kind, text, by: mark.by, actor };
  if (actor === 'instructor' || actor === 'scenario') return { atSeconds, kind, text, by: actor };
  if (actor === undefined) return { atSeconds, kind, text, by: kind === 'fault' || kind === 'refusal' ? 'cluster' : 'round' };
  return { atSeconds, kind, text, by: 'cluster', actor };
}

/** What the instructor sees about each student during a round: who is idle or being refused. */
export interface RoundActivity {
  memberId: string;
  name: string;
  role: Role | null;
  accepted: number;
  refusals: number;
  /** Simulated seconds since this member's last accepted request (or since the round started). */
  idleSeconds: number;
}

export interface RoundDebrief {
  /** The scenario's debrief points, naming the component at work. */
  points: string[];
  /** Service availability measured from kube-proxy's routed requests, 0..1, where traffic flowed. */
  availability?: number;
  /**
   * Simulated seconds from each fault to the cluster meeting every goal; `again`: each goal had
   * been met before the fault too (absent from a view stored before it was told).
   */
  recoveries: { fault: string; seconds: number | null; again?: boolean }[];
}

export interface RoundView {
  /** Scenario id (`GET /api/scenarios` or an uploaded one). */
  scenario: string;
  title: string;
  objective: string;
  briefing: string;
  phase: RoundPhase;
  seed: number;
  goals: RoundGoalView[];
  /** Wall-clock ISO times. */
  startedAt: string | null;
  endedAt?: string;
  /** Simulated ms at start and end, so a screen runs the round clock from the classroom's SimClock. */
  startedAtSim: number | null;
  endedAtSim?: number;
  /** Simulated seconds since the round started; stands still while paused. */
  elapsedSeconds: number;
  timeLimitSeconds: number;
  scores: RoundScore[];
  teams: RoundTeamScore[];
  activity: RoundActivity[];
  timeline: RoundTimelineMark[];
  /**
   * etcd takes no writes now (the readOnlyStore fault): the API server answers every write with 503,
   * so screens offer no move as the next one. Absent when it takes them.
   */
  etcdReadOnly?: true;
  /** Present once the round is won or lost. */
  debrief?: RoundDebrief;
}
