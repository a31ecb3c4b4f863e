/**
 * The API server: every request of the classroom's cluster, whoever sends it (a student's click,
 * a bot's move, the instructor's apply or fault, later kubectl), goes through `act` or `instruct`:
 * schema -> the caller's role -> the team's leader Lease -> a stopped kubelet -> the rulebook
 * (`planAction`) -> the store write with the versions the move was based on -> the reply. Each
 * request, accepted or refused, becomes one request-log entry of one format. No socket in here:
 * the gateway (and later the REST routes) adapt their transport to these calls.
 */
import { randomUUID } from 'node:crypto';
import {
  actionComponent,
  clusterAction,
  faultBreaks,
  isLeaderElected,
  leaseNameOf,
  nodeOfRole,
  parseRole,
  refuse,
  simNow,
  type Ack,
  type ApiRequestEntry,
  type ClusterAction,
  type Identity,
  type MemberIdentity,
  type Refusal,
  type Role,
} from '@shared/protocol';
import {
  kubeProxyStopped,
  kubeProxyStoppedMessage,
  kubeletStopped,
  partitioned,
  partitionedMessage,
  planAction,
  planNextMove,
  stoppedMessage,
  type ActionPlan,
  type ClusterState,
} from '@shared/sim';
import { forbidden } from '@shared/model';
import { botPlays } from '../classroom/view';
import type { Room } from '../classroom/room-read';
import type { RunState } from '../classroom/run-state';
import { ApiError, GuardMoved, type LoggedRequest, type WriteContext } from '../store';
import { CONFLICT_RETRIES, type ClusterRuntime } from './cluster-runtime';
import { runInstructorAction, type ClusterInstructorAction, type InstructorBy, type InstructorContext } from './instructor-actions';
import { standbyReason } from './leader-election';
import { refusalOf } from './refusal';
import { targetOf } from './targets';

export type ActionReply = Ack<{ resourceVersion?: string; message?: string }>;
export type InstructorReply = Ack<{ message?: string }>;

/** The bot playing a role. */
export interface BotCaller {
  kind: 'bot';
  classroomId: string;
  role: Role;
}

/** Who sends a request: a member of the classroom (by token) or the bot playing a role; never the host screen. */
export type Caller = MemberIdentity | BotCaller;

/**
 * What a request asks: this action, or (a bot) the role's next move in its turn (see `actNext`).
 * Once a next move is decided, the request is that move's action.
 */
type Ask = { action: ClusterAction } | { next: number; made: MadeAlready };

/** Whether the bot made this move already on the cache at this version (it changed nothing): not again. */
export type MadeAlready = (action: ClusterAction, resourceVersion: string) => boolean;

/** The move a request made or tried, and the cache version it was decided on (see `actNext`). */
interface Decided {
  action?: ClusterAction;
  decidedOn?: string;
  /** The next move was one the bot had made on the same cache: not made again. */
  repeated?: boolean;
}

/** A bot's next move as `actNext` made it: the request's result, its action, and the cache version it was decided on. */
export interface NextMoveResult extends ApiResult<ActionReply> {
  action: ClusterAction;
  decidedOn: string;
}

export interface ApiResult<R> {
  reply: R;
  entry: ApiRequestEntry;
}

/**
 * Where every entry goes once decided: the classroom's request log stream and its live feed.
 * `committedAt`: the entry was written with the move's last change, at that resourceVersion; it is
 * in the request log and the session record already, and every process's watch brings it.
 */
export type RequestListener = (classroomId: string, entry: ApiRequestEntry, committedAt?: string) => void;

export interface ActOptions {
  /**
   * The node lifecycle backstop: the controller manager's bot marks a node Unknown that its
   * student left silent a whole grace period past the prompt, though the student holds the seat.
   */
  backstop?: boolean;
  /**
   * Clients' requests to a Service (a round's traffic): the rules kube-proxy programmed on the node
   * the request starts on route it whoever plays that node's kube-proxy, so its bot sends them even
   * while a student holds the seat.
   */
  traffic?: boolean;
  /** The request came through the Kubernetes API (kubectl): its log entry says so. */
  via?: 'kubectl';
}

export interface ApiServerOptions {
  runtime: ClusterRuntime;
  /** Rounds: scenarios, and what faults do to the round in play. */
  rounds: InstructorContext['rounds'];
  /** Re-announces the classroom when a request changes it (a node added: new seats). */
  announce: InstructorContext['announce'];
}

const actorOf = (caller: Caller): string => (caller.kind === 'bot' ? `bot:${caller.role}` : caller.kind === 'instructor' ? 'instructor' : `student:${caller.memberId}`);

/** The Lease holder identity this caller would have. */
const holderOf = (caller: Caller): string => (caller.kind === 'bot' ? `bot:${caller.role}` : caller.memberId);

/**
 * How often a bot's move is decided again because the seats changed between its seat check and its
 * write (each time one more join, leave, role change or hand-over landed right then).
 */
const SEAT_RETRIES = 3;

function schemaMessage(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string {
  return issues.map((i) => (i.path.length ? `${i.path.map(String).join('.')}: ${i.message}` : i.message)).join('; ');
}

export class ApiServer {
  private readonly runtime: ClusterRuntime;
  private readonly announce: InstructorContext['announce'];
  private readonly rounds: InstructorContext['rounds'];
  private readonly listeners = new Set<RequestListener>();

  constructor(options: ApiServerOptions) {
    this.runtime = options.runtime;
    this.announce = options.announce;
    this.rounds = options.rounds;
  }

  /** Every decided request, in every process that decided it; returns the unsubscribe. */
  onRequest(listener: RequestListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** A cluster action from a student or a bot. Never throws for the caller's mistakes. */
  async act(caller: Caller, payload: unknown, options: ActOptions = {}): Promise<ApiResult<ActionReply>> {
    const parsed = clusterAction.safeParse(payload);
    const clock = { simTime: 0 };
    const logged: { request?: LoggedRequest } = {};
    let reply: ActionReply;
    if (!parsed.success) reply = refuse('BadRequest', schemaMessage(parsed.error.issues));
    else {
      try {
        reply = await this.decide(caller, { action: parsed.data }, clock, options, logged, {});
      } catch (error) {
        reply = refusalOf(error);
      }
    }
    // Accepted and written with its last change: logged already.
    const ridden = reply.ok ? logged.request : undefined;
    if (ridden?.committedAt !== undefined) {
      this.record(caller.classroomId, ridden.entry, ridden.committedAt);
      return { reply, entry: ridden.entry };
    }
    const kind = typeof payload === 'object' && payload !== null && 'kind' in payload ? String(payload.kind).slice(0, 40) : 'unknown';
    const entry = this.entry(caller, parsed.success ? parsed.data.kind : kind, parsed.success ? targetOf(parsed.data) : '', reply, await this.timeOf(caller.classroomId, clock));
    if (options.via) entry.via = options.via;
    this.record(caller.classroomId, entry);
    return { reply, entry };
  }

  /**
   * A bot's next move (`nextMoveInTurn`'s), decided here on this request's own cache and time and
   * made as if the bot had sent its action: one plan, where the bot choosing the move and `check`
   * planning the same move again on the same cache made two (the rulebook's `planNextMove` is
   * `planAction` for that move). The request is checked, authorized, written and logged as `act`
   * does; a Conflict looks again at that same action. 'idle' when the role has nothing to do, and
   * 'repeated' when its next move is one `made` says it made on this very cache: no request then.
   */
  async actNext(caller: BotCaller, turn: number, made: MadeAlready): Promise<NextMoveResult | 'idle' | 'repeated'> {
    const clock = { simTime: 0 };
    const logged: { request?: LoggedRequest } = {};
    const decided: Decided = {};
    let reply: ActionReply;
    try {
      reply = await this.decide(caller, { next: turn, made }, clock, {}, logged, decided);
    } catch (error) {
      // Failed before a move was decided (Redis gone): no request to log; the bot's tick says so.
      if (!decided.action) throw error;
      reply = refusalOf(error);
    }
    const { action, decidedOn = '' } = decided;
    if (!action) return decided.repeated ? 'repeated' : 'idle';
    const ridden = reply.ok ? logged.request : undefined;
    if (ridden?.committedAt !== undefined) {
      this.record(caller.classroomId, ridden.entry, ridden.committedAt);
      return { reply, entry: ridden.entry, action, decidedOn };
    }
    const entry = this.entry(caller, action.kind, targetOf(action), reply, await this.timeOf(caller.classroomId, clock));
    this.record(caller.classroomId, entry);
    return { reply, entry, action, decidedOn };
  }

  /**
   * The instructor's cluster requests: apply, delete, faults, reset; `by` the scenario for a round's
   * timed step, sent on the instructor's behalf (logged as theirs) but written and marked as the round's.
   */
  async instruct(instructor: Extract<Identity, { kind: 'instructor' }>, action: ClusterInstructorAction, by: InstructorBy = 'instructor'): Promise<ApiResult<InstructorReply>> {
    const clock = { simTime: 0 };
    let reply: InstructorReply;
    try {
      reply = await runInstructorAction({ runtime: this.runtime, announce: this.announce, rounds: this.rounds }, instructor.classroomId, action, clock, by);
    } catch (error) {
      reply = refusalOf(error);
    }
    const entry = this.entry(instructor, action.kind, instructorTarget(action), reply, await this.timeOf(instructor.classroomId, clock));
    // A replay's timeline tells a fault from a scenario's change (traffic, a new node or image) by this.
    if (action.kind === 'fault') entry.breaks = faultBreaks(action.fault);
    this.record(instructor.classroomId, entry);
    return { reply, entry };
  }

  /**
   * A Kubernetes API write from kubectl or a client library, made by `write` (which authorizes it
   * and throws the store's ApiError to refuse), one at a time per classroom in this process, at the
   * classroom's simulated now. Logged like every request, accepted or refused, marked `kubectl`;
   * resolves to what `write` returned, or rethrows its refusal once logged.
   */
  async kube<T extends { message: string }>(caller: Extract<Identity, { memberId: string }>, verb: string, target: string, write: (context: WriteContext) => Promise<T>): Promise<T> {
    const run = await this.runtime.run(caller.classroomId);
    const simTime = run ? Math.floor(simNow(run.clock, Date.now())) : 0;
    let reply: Ack<{ message?: string }> = refuse('InternalError', 'the server failed to handle this request');
    try {
      if (!run || run.phase === 'closed') throw new ApiError(forbidden('Pod', '', 'this classroom is closed'));
      const result = await this.runtime.exclusive(caller.classroomId, 'kubectl', () => write({ actor: actorOf(caller), simTime }));
      reply = { ok: true, message: result.message };
      return result;
    } catch (error) {
      reply = refusalOf(error);
      throw error;
    } finally {
      this.record(caller.classroomId, { ...this.entry(caller, verb, target, reply, simTime), via: 'kubectl' });
    }
  }

  /**
   * A room control the instructor was refused (roles, lock, bots, the clock, closing): logged like
   * every request. An accepted one is in the record already, as the room change it made.
   */
  async roomRefusal(instructor: Extract<Identity, { kind: 'instructor' }>, verb: string, target: string, reply: Refusal): Promise<void> {
    const run = await this.runtime.run(instructor.classroomId).catch(() => null);
    this.record(instructor.classroomId, this.entry(instructor, verb, target, reply, run ? Math.floor(simNow(run.clock, Date.now())) : 0));
  }

  /**
   * The simulated time a request is logged at: the one it was decided at, or, for a request refused
   * before it read the clock (a bad payload, a role that may not send it), the classroom's now from
   * this process's copy of its clock (no read as a rule). 0 only when not even that can be had.
   */
  private async timeOf(classroomId: string, clock: { simTime: number }): Promise<number> {
    if (clock.simTime !== 0) return clock.simTime;
    const run = await this.runtime.run(classroomId).catch(() => null);
    return run ? Math.floor(simNow(run.clock, Date.now())) : 0;
  }

  private record(classroomId: string, entry: ApiRequestEntry, committedAt?: string): void {
    for (const listener of this.listeners) listener(classroomId, entry, committedAt);
  }

  private entry(caller: Caller, verb: string, target: string, reply: Ack<{ message?: string }>, simTime: number): ApiRequestEntry {
    const role = caller.kind === 'bot' ? caller.role : caller.kind === 'student' ? caller.role : null;
    const entry: ApiRequestEntry = {
      id: randomUUID(),
      wallTime: Date.now(),
      simTime,
      actor: actorOf(caller),
      actorName: caller.kind === 'bot' ? 'bot' : caller.name,
      role,
      verb,
      target,
      outcome: reply.ok ? 'accepted' : 'refused',
      message: reply.ok ? (reply.message ?? '') : reply.message,
    };
    if (!reply.ok) entry.code = reply.code;
    return entry;
  }

  /** The role check: the component that sends this kind of request, and only for its own node. */
  private authorize(caller: Caller, action: ClusterAction): { ok: true; role: Role } | { ok: false; message: string } {
    const component = actionComponent[action.kind];
    if (caller.kind === 'instructor') return { ok: false, message: `the instructor does not play a component: ${action.kind} is the ${component}'s request` };
    if (caller.role === null) return { ok: false, message: `you have no role yet: ${action.kind} is the ${component}'s request; wait for the instructor to assign you one` };
    const role = parseRole(caller.role);
    if (!role || role.component !== component) return { ok: false, message: `${caller.role} may not ${action.kind}: only the ${component} sends that request` };
    if ('node' in role && 'node' in action && action.node !== role.node) {
      return { ok: false, message: `${caller.role} acts only for its own node ${role.node}, not for ${action.node}: each kubelet, container runtime and kube-proxy manages only the node it runs on` };
    }
    return { ok: true, role: caller.role };
  }

  /**
   * `logged.request`: the entry of the move as planned, written with its last change (see WriteContext.request).
   * `decided`: the action of the move asked for, once decided, and the cache version it was decided on.
   */
  private async decide(caller: Caller, asked: Ask, clock: { simTime: number }, options: ActOptions, logged: { request?: LoggedRequest }, decided: Decided): Promise<ActionReply> {
    let ask = asked;
    let role: Role;
    if ('action' in ask) {
      const authorized = this.authorize(caller, ask.action);
      if (!authorized.ok) return refuse('Forbidden', authorized.message);
      role = authorized.role;
    } else if (caller.kind === 'bot') {
      // A bot's next move is one of its own role's moves (the rulebook lists a role's moves only).
      role = caller.role;
    } else return refuse('Forbidden', 'only a bot asks the API server for its next move');
    const sent = 'action' in ask ? ask.action : null;
    const runtime = this.runtime;
    const classroomId = caller.classroomId;
    return runtime.exclusive(classroomId, role, async () => {
      const backstop = caller.kind === 'bot' && options.backstop === true && sent?.kind === 'setNodeCondition';
      const seatCheck = caller.kind === 'bot' && !backstop && !(options.traffic === true && sent?.kind === 'routeRequest');
      // A bot's seat is checked on the room this process read last, with no read on the move's
      // path: the move's first write commits only while the seat version is the one that room was
      // read at (checked in its script), else the room is read again and the move decided again.
      // A refusal is checked the same way (one GET) before it is answered.
      let fresh = false; // the room in hand was read on this move's path
      let reread = false; // the next look reads the room again
      let seatMoves = 0;
      const seatRoom = async (): Promise<Room | null> => {
        const kept = reread ? undefined : runtime.classrooms.keptRoom(classroomId);
        reread = false;
        fresh = !kept;
        return kept ?? runtime.classrooms.room(classroomId);
      };
      /** The seats moved since the room in hand was read: look again on a fresh read, unless they keep moving. */
      const seatsMoved = (): boolean => {
        reread = true;
        return ++seatMoves <= SEAT_RETRIES;
      };
      const seatsHeld = async (room: Room | null): Promise<boolean> => !room || fresh || (await runtime.classrooms.room(classroomId)) === room;
      // What an earlier attempt wrote before its later write met a Conflict. Part of the move is in
      // the store then, so the request was accepted: a look again that finds nothing left to do
      // answers with what was written, never a refusal for another component's write.
      let landed: { resourceVersion: string; message: string } | null = null;
      const refused = (refusal: Refusal): ActionReply => (landed ? { ok: true, ...landed } : refusal);
      for (let attempt = 0; ; ) {
        const [run, state, room] = await Promise.all([runtime.run(classroomId), runtime.state(classroomId), seatCheck ? seatRoom() : null]);
        const checked = await this.check(caller, ask, role, { run, state, room, seatCheck, backstop }, clock);
        if ('idle' in checked) {
          decided.repeated = checked.idle === 'repeated';
          return refuse('NotFound', `${role} has nothing to do now`);
        }
        if (checked.action && 'next' in ask) {
          // A next move, once decided, is that action from here on: a look again checks it as it would the sent action.
          ask = { action: checked.action };
          decided.decidedOn = state.resourceVersion;
        }
        if (checked.action) decided.action = checked.action;
        if (!checked.ok) {
          // Refused on a room kept from before: answered only if the seats have not moved since.
          if (!(await seatsHeld(room)) && seatsMoved()) continue;
          return refused(checked.refusal);
        }
        const { plan, now, action } = checked;
        // A look again finishes the request the first write began: it keeps that move's words.
        const message: string = landed?.message ?? plan.message;
        const entry = this.entry(caller, action.kind, targetOf(action), { ok: true, message }, now);
        if (options.via) entry.via = options.via;
        logged.request = { entry };
        const guard = seatCheck && room ? { key: runtime.classrooms.seatVersionKey(classroomId), value: room.version } : undefined;
        let outcome;
        try {
          // Pod creates are admitted on the PriorityClasses of the copy the move was decided on (see WriteContext).
          const context = { actor: actorOf(caller), simTime: now, priorityClasses: [...state.list('PriorityClass')] };
          outcome = await runtime.apply(classroomId, plan.steps, context, { stopAtRefusal: true, request: logged.request, ...(guard ? { guard } : {}) });
        } catch (error) {
          if (!(error instanceof GuardMoved)) throw error;
          logged.request = undefined;
          if (seatsMoved()) continue;
          return refused(refuse('Conflict', `the seats of this classroom kept changing while ${role} moved: the move was not made; try again`));
        }
        // The versions the caller sent were checked by the rulebook; a Conflict here is another
        // component's write landing between our read and our write (a kubelet's status report is
        // written before the runtime object whose answers it read, so it may land first): look
        // again on a cache holding that write, as a controller requeues. The fresh plan holds
        // only what is left (an equal status is no step), its entry riding with its last write.
        if (outcome.refusal?.code === 'Conflict' && attempt < CONFLICT_RETRIES) {
          attempt++;
          // An event is a report of a change, not the change: only those make the request accepted.
          const last = outcome.written.findLast((o) => o.kind !== 'Event');
          if (last) landed = { resourceVersion: last.metadata.resourceVersion, message };
          await runtime.catchUp(classroomId);
          continue;
        }
        if (outcome.refusal) return outcome.refusal;
        const resourceVersion = outcome.written.at(-1)?.metadata.resourceVersion ?? state.resourceVersion;
        return { ok: true, resourceVersion, message };
      }
    });
  }

  /**
   * Everything a move is checked for before its plan (the classroom open, the bot's seat, the
   * team's Lease, a stopped or cut-off node), then the rulebook's plan; sets the simulated now.
   * A next move is planned first (idle: the role has none), then checked by its action as a sent one is.
   */
  private async check(
    caller: Caller,
    ask: Ask,
    role: Role,
    { run, state, room, seatCheck, backstop }: { run: RunState | null; state: ClusterState; room: Room | null; seatCheck: boolean; backstop: boolean },
    clock: { simTime: number },
  ): Promise<
    | { ok: true; plan: Extract<ActionPlan, { ok: true }>; now: number; action: ClusterAction }
    | { ok: false; refusal: Refusal; action?: ClusterAction }
    | { ok: false; idle: 'none' | 'repeated' }
  > {
    if (!run || run.phase === 'closed') return { ok: false, refusal: refuse('Forbidden', 'this classroom is closed') };
    const now = Math.floor(simNow(run.clock, Date.now()));
    clock.simTime = now;
    const rng = this.runtime.rng(caller.classroomId, state, role);
    const next = 'next' in ask ? planNextMove(role, state, now, ask.next, rng) : undefined;
    let action: ClusterAction;
    if ('action' in ask) action = ask.action;
    else if (!next) return { ok: false, idle: 'none' };
    else if (ask.made(next.move.action, state.resourceVersion)) return { ok: false, idle: 'repeated' };
    else action = next.move.action;
    const no = (refusal: Refusal) => ({ ok: false as const, refusal, action });
    if (seatCheck && (!room || !botPlays(room.record, role, Date.now()))) return no(refuse('Forbidden', `a student plays ${role} now: its bot stands down`));
    if (isLeaderElected(role) && !backstop) {
      const holder = state.leaderLease(leaseNameOf(role))?.spec.holderIdentity;
      if (holder !== undefined && holder !== holderOf(caller)) {
        const members = (await this.runtime.classrooms.view(caller.classroomId))?.members ?? [];
        return no(refuse('Forbidden', standbyReason(holder, role, (id) => members.find((m) => m.id === id)?.name ?? id)));
      }
    }
    const node = nodeOfRole(role);
    if (node !== null && kubeletStopped(state, node)) return no(refuse('ServiceUnavailable', stoppedMessage(node)));
    if (node !== null && role.startsWith('kubelet:') && partitioned(state, node)) return no(refuse('ServiceUnavailable', partitionedMessage(node)));
    if (node !== null && action.kind === 'syncProxyRules' && kubeProxyStopped(state, node)) return no(refuse('ServiceUnavailable', kubeProxyStoppedMessage(node)));
    const plan = next ?? planAction(state, action, now, rng);
    if (!plan.ok) return no(refuse(plan.code, plan.message));
    return { ok: true, plan, now, action };
  }
}

function instructorTarget(action: ClusterInstructorAction): string {
  switch (action.kind) {
    case 'deleteObject':
      return `${action.objectKind.toLowerCase()}s/${action.name}`;
    case 'fault': {
      const f = action.fault;
      if ('node' in f) return `nodes/${f.node}`;
      if ('pod' in f) return `pods/${f.pod}`;
      if ('deployment' in f) return `deployments/${f.deployment}`;
      if ('service' in f) return `services/${f.service}`;
      return f.type === 'readOnlyStore' ? 'etcd' : 'nodes';
    }
    case 'runScenario':
      return `scenarios/${action.scenario}`;
    case 'startRound':
    case 'restartRound':
      return 'rounds/current';
    default:
      return '';
  }
}
