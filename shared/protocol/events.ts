import type { KubeObject } from '../model';
import type { ClusterAction, InstructorAction } from './actions';
import type { ClassroomView, Identity } from './classroom';
import type { Ack, ErrorCode, Refusal } from './errors';
import type { RoundView } from './rounds';

/** Bumped whenever a message changes shape; the client refuses to talk to another version. */
export const PROTOCOL_VERSION = 2;

export interface ServerHello {
  protocolVersion: number;
  serverId: string;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** One committed change, as the classroom log holds it. */
export interface WatchEvent {
  type: WatchEventType;
  object: KubeObject;
  /** The classroom's resourceVersion after this change (decimal string, as Kubernetes sends it). */
  resourceVersion: string;
  /** Who asked: `student:<id>`, `bot:<role>`, `instructor`, `system:<timer>`. */
  actor: string;
  simTime: number;
  wallTime: number;
}

/** The whole cluster as of one resourceVersion. */
export interface Snapshot {
  resourceVersion: string;
  objects: KubeObject[];
}

/** One request through the API server, accepted or refused: the classroom's request log. */
export interface ApiRequestEntry {
  id: string;
  wallTime: number;
  simTime: number;
  actor: string;
  actorName: string;
  role: string | null;
  /** The action's kind (`bind`, `deletePod`, …) or a verb for instructor requests. */
  verb: string;
  /** What it targets, in kubectl's form: `pods/web-1`, `nodes/node-2`. */
  target: string;
  outcome: 'accepted' | 'refused';
  code?: ErrorCode;
  message: string;
  /** Sent through the Kubernetes API (kubectl, client-go, client-node) rather than a screen's buttons. */
  via?: 'kubectl';
  /** An instructor's `fault` request: whether it breaks something (see `faultBreaks`) or only changes the cluster. */
  breaks?: boolean;
}

/** Events the server emits to a client. */
export interface ServerToClientEvents {
  hello: (hello: ServerHello) => void;
  /** Who this connection is; sent after the handshake and when the role changes. */
  session: (identity: Identity) => void;
  classroom: (view: ClassroomView) => void;
  snapshot: (snapshot: Snapshot) => void;
  /**
   * Committed changes, in order, and the request-log entries decided meanwhile, coalesced per
   * event-loop turn: one message per move for every client, not one per change and one per entry.
   * A refusal comes alone (`[]` changes) to its sender and the instructor only.
   */
  watch: (events: WatchEvent[], requests?: ApiRequestEntry[]) => void;
  /** The classroom's current round (null when none was picked); sent on connect and on every change. */
  round: (view: RoundView | null) => void;
  /** The instructor removed this student or closed the classroom. */
  removed: (reason: { message: string }) => void;
  /**
   * A request that could not be acked (sent without an ack callback) was refused: which event, and
   * why; for an `action` that names a move, the move as the request log keeps it (`verb`, `target`).
   */
  refused: (refusal: Refusal & { event: string; verb?: string; target?: string }) => void;
  /**
   * Whether the process holding this socket reaches the cluster's store (Redis, our etcd), as its
   * /readyz says: sent on connect and on every change. While it does not, every request is
   * refused at once with ServiceUnavailable, and the simulated clock runs on (it is wall time).
   */
  store: (state: StoreState) => void;
}

export interface StoreState {
  reachable: boolean;
}

export type ResyncReply = Ack<{ events: WatchEvent[] } | { snapshot: Snapshot }>;

/** Events a client emits to the server; each carries an ack. */
export interface ClientToServerEvents {
  action: (action: ClusterAction, ack: (reply: Ack<{ resourceVersion?: string; message?: string }>) => void) => void;
  instructor: (action: InstructorAction, ack: (reply: Ack<{ message?: string }>) => void) => void;
  /** After a reconnect: what changed since this version, or a fresh snapshot. */
  resync: (request: { resourceVersion: string }, ack: (reply: ResyncReply) => void) => void;
}

/** Between server processes (through the Socket.IO adapter). */
export interface InterServerEvents {
  /** A request this process decided, for the other processes' sockets of the classroom. */
  requestDecided: (classroomId: string, entry: ApiRequestEntry) => void;
}

export interface SocketData {
  identity: Identity;
}
