/**
 * The rulebook's vocabulary. A move is one protocol action a role can send now, with the button's
 * label and why it is the move, in Kubernetes' words. A waiting move is one the role will make but
 * cannot yet, with what it waits for. Screens, bots, scripted players and the API server all read
 * the same lists (`legalMoves`, `roleMoves`), so what a role may do is decided in one place.
 */
import type { SimTime } from '@shared/model';
import type { ClusterAction, ClusterActionKind } from '@shared/protocol';
import type { Step } from '../requests';
import type { Rng } from '../rng';

export interface Move {
  action: ClusterAction;
  /** Short button text: "Pull nginx:1.27". */
  label: string;
  /** Why this is the move: "nginx:1.27 is not on node-1 yet: ask the runtime to pull it". */
  why: string;
  /**
   * It brings the cluster closer to what its objects ask for. Bots make these, and the screen
   * highlights the first. A probe (sending a request through a Service) is legal but changes nothing asked for.
   */
  progress: boolean;
}

/** A move the role cannot make yet: the screen shows it disabled with `reason`. */
export interface WaitingMove {
  kind: ClusterActionKind;
  label: string;
  reason: string;
  /** Simulated time at which it is expected to become possible, when known. */
  until?: SimTime;
  node?: string;
  pod?: string;
  container?: string;
  service?: string;
  callId?: string;
}

export interface RoleMoves {
  /** In the order a real component would make them: the first is the next move. */
  moves: Move[];
  waiting: WaitingMove[];
}

/** A move with the requests it makes: what the API server writes when the move is sent. */
export interface PlannedMove extends Move {
  plan(rng: Rng): Step[];
}

export interface PlannedMoves {
  moves: PlannedMove[];
  waiting: WaitingMove[];
}

export const secondsUntil = (at: SimTime, now: SimTime): number => Math.max(0, Math.ceil((at - now) / 1000));
