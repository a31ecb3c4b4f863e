/**
 * A bot for every role nobody plays (bot help on, no student holding the seat). Every
 * `botPace.secondsPerAction` simulated seconds (a recurring BullMQ timer `botTick` per component,
 * so bots survive a restart and tick once with several server processes) each bot of that
 * component plays as a student would: it asks the rulebook for its next move and sends it through
 * the API server, again and again until nothing is left to do this tick. One path, so one
 * request-log format, whoever plays. One timer per component, not per seat: a classroom of 1,000
 * nodes has 3,000 per-node seats, and a timer job each per tick would cost more than their moves.
 * When a student plays the controller manager, its bot still watches one thing: a node silent for
 * a whole grace period after the student was prompted is marked Unknown (one missed prompt).
 */
import { getCondition } from '@shared/model';
import { isLeaderElected, leaseNameOf, nodeOfRole, parseRole, type ClassroomView, type ParsedRole, type Role } from '@shared/protocol';
import { heartbeatDeadline, legalMoves, nextMoveInTurn, NODE_MONITOR_GRACE_SECONDS, type ClusterState } from '@shared/sim';
import { z } from 'zod';
import type { ApiServer } from '../cluster/api-server';
import type { ClusterRuntime, Moment } from '../cluster/cluster-runtime';
import { mapAtMost } from '../cluster/map-at-most';
import type { SimTimer } from '../jobs/sim-timer';
import { ChangedNodes, type NodeComponent } from './changed-nodes';

export const BOT_TICK = 'botTick';
type Component = ParsedRole['component'];
const COMPONENTS: readonly Component[] = ['scheduler', 'controller-manager', 'kubelet', 'container-runtime', 'kube-proxy'];
const tickKey = (component: Component): string => `${BOT_TICK}:${component}`;
const tickPayload = z.object({ component: z.enum(['scheduler', 'controller-manager', 'kubelet', 'container-runtime', 'kube-proxy']) });
const componentOf = (role: Role): Component | undefined => parseRole(role)?.component;
const isNodeComponent = (component: Component): component is NodeComponent => component !== 'scheduler' && component !== 'controller-manager';
/**
 * Bots of one component playing side by side in a tick: their moves wait on Redis round trips,
 * not on the CPU, and the store's resourceVersion checks settle any race between them.
 */
const PLAYERS_AT_ONCE = 16;
/** A bot's moves per tick: enough for a reconcile pass of a classroom cluster, bounded so a tick ends. */
const MOVES_PER_TICK = 40;
const NODE_LIFECYCLE: Role = 'controller-manager';

/** The roles whose bot plays in this view, worked out once per view (a classroom may have 3,000 seats). */
const playedByBots = new WeakMap<ClassroomView, ReadonlySet<Role>>();

/** Whether the role's bot should be acting now. */
export function botPlays(view: ClassroomView, role: Role): boolean {
  if (view.phase !== 'running') return false;
  let played = playedByBots.get(view);
  if (!played) {
    played = new Set(view.seats.filter((s) => s.bot === 'playing').map((s) => s.role));
    playedByBots.set(view, played);
  }
  return played.has(role);
}

/** A student plays the controller manager: the bot's node lifecycle loop stands behind them. */
function backstops(view: ClassroomView): boolean {
  return view.phase === 'running' && view.seats.some((s) => s.role === NODE_LIFECYCLE && s.bot !== 'playing');
}

export class BotPlayers {
  private readonly changed = new ChangedNodes();
  /** Component ticks playing in this process now (classroom and component). */
  private readonly playing = new Set<string>();

  constructor(
    private readonly runtime: ClusterRuntime,
    private readonly api: ApiServer,
  ) {}

  register(): void {
    this.runtime.timers.onTimer(BOT_TICK, (classroomId, timer) => this.tick(classroomId, timer));
    this.runtime.onStateChange((classroomId, _simTime, events) => this.changed.note(classroomId, events));
  }

  /** The keys of the ticks the classroom's bots need now (the timer sweep checks they are pending). */
  wantedTicks(view: ClassroomView): string[] {
    return COMPONENTS.filter((component) => this.tickingRoles(view, component).length > 0).map(tickKey);
  }

  private ticks(view: ClassroomView, role: Role): boolean {
    return botPlays(view, role) || (role === NODE_LIFECYCLE && backstops(view));
  }

  /** The component's roles whose bot acts at its tick. */
  private tickingRoles(view: ClassroomView, component: Component): Role[] {
    return view.seats.filter(({ role }) => componentOf(role) === component && this.ticks(view, role)).map(({ role }) => role);
  }

  /**
   * Starts the ticks of the components a bot now plays, cancels the others (and any tick of an
   * older scheme, one per seat, left by a previous version); idempotent in every process.
   */
  async follow(view: ClassroomView): Promise<void> {
    const pending = new Set((await this.runtime.timers.pending(view.id)).map((t) => t.key));
    const now = (await this.runtime.moment(view.id))?.now ?? view.clock.simAtWall;
    const wanted = new Set(this.wantedTicks(view));
    for (const component of COMPONENTS) {
      const key = tickKey(component);
      if (wanted.has(key) && !pending.has(key)) await this.schedule(view, component, now);
    }
    for (const key of pending) {
      if (key.startsWith(`${BOT_TICK}:`) && !wanted.has(key)) await this.runtime.timers.cancel(view.id, key);
    }
  }

  /** Something the role's bot waits for happened (a timer of its component): play now. */
  async wake(classroomId: string, role: Role): Promise<void> {
    const moment = await this.runtime.moment(classroomId);
    if (moment && botPlays(moment.view, role)) await this.play(classroomId, role, moment);
  }

  private schedule(view: ClassroomView, component: Component, from: number): Promise<void> {
    const dueAt = from + Math.round(view.botPace.secondsPerAction * 1000);
    return this.runtime.timers.schedule(view.id, { kind: BOT_TICK, key: tickKey(component), dueAt, payload: { component } });
  }

  private async tick(classroomId: string, timer: SimTimer): Promise<void> {
    const parsed = tickPayload.safeParse(timer.payload);
    // A tick of the older per-seat scheme: the sweep's follow replaces it with its component's.
    if (!parsed.success) return;
    const { component } = parsed.data;
    const moment = await this.runtime.moment(classroomId);
    if (!moment) return;
    const roles = this.tickingRoles(moment.view, component);
    if (!roles.length) {
      // Students took every seat of the component: the ticks end here.
      if (isNodeComponent(component)) this.changed.forget(classroomId, component);
      return;
    }
    // The next tick is booked before this one acts, so a failure while acting (Redis gone
    // mid-move) never ends the bots' ticks.
    await this.schedule(moment.view, component, moment.now);
    // The last tick is still playing (a big classroom, a slow Redis): it goes on, this one passes.
    const key = `${classroomId}\u0000${component}`;
    if (this.playing.has(key)) return;
    this.playing.add(key);
    try {
      await this.playComponent(classroomId, component, roles, moment);
    } finally {
      this.playing.delete(key);
    }
  }

  private async playComponent(classroomId: string, component: Component, roles: readonly Role[], moment: Moment): Promise<void> {
    const nodes = isNodeComponent(component) ? this.changed.take(classroomId, component) : null;
    const looking = nodes ? roles.filter((role) => nodes.has(nodeOfRole(role) ?? '')) : roles;
    await mapAtMost(PLAYERS_AT_ONCE, looking, async (role) => {
      let more = true;
      try {
        if (botPlays(moment.view, role)) more = await this.play(classroomId, role, moment);
        else await this.backstop(classroomId, moment);
      } catch (error) {
        this.runtime.logger.warn({ err: error, classroomId, role }, 'a bot move failed; the bot tries again at its next tick');
      }
      const node = nodeOfRole(role);
      if (more && node !== null && isNodeComponent(component)) this.changed.again(classroomId, component, node);
    });
  }

  /**
   * The role's next moves, one request each, until none is left (or the seat changes hands). The
   * first move is decided on the view the tick just read, at the time of now (one classroom read
   * less per tick); the API server checks the seat again, on a fresh read, before it writes.
   * Resolves to whether the bot may have work left for its next tick (it stopped at the move cap,
   * or a move was refused or changed nothing yet).
   * The controllers of a component take turns, one move each, starting one further at each tick
   * (a tick can end after one move: a refusal, or a move whose write the next look does not show).
   */
  private async play(classroomId: string, role: Role, first: Moment): Promise<boolean> {
    const caller = { kind: 'bot' as const, classroomId, role };
    const tried = new Set<string>();
    const firstTurn = Math.floor(first.now / Math.max(1, Math.round(first.view.botPace.secondsPerAction * 1000)));
    for (let i = 0; i < MOVES_PER_TICK; i++) {
      // The room read while the cache catches up with the last move: one round trip, not two.
      const [moment, state] = await Promise.all([i === 0 ? this.runtime.momentOf(first.view) : this.runtime.moment(classroomId), this.runtime.state(classroomId)]);
      if (!moment || !botPlays(moment.view, role)) return false;
      if (!this.leads(state, role)) return false;
      const move = nextMoveInTurn(role, state, moment.now, firstTurn + i);
      if (!move) return false;
      const key = JSON.stringify(move.action);
      // The same move twice in a tick was refused or changed nothing visible yet: look again next tick.
      if (tried.has(key)) return true;
      tried.add(key);
      const { reply } = await this.api.act(caller, move.action);
      if (!reply.ok) return true;
    }
    return true;
  }

  /** A leader-elected role's bot acts only while it holds the team's Lease. */
  private leads(state: ClusterState, role: Role): boolean {
    if (!isLeaderElected(role)) return true;
    const holder = state.leaderLease(leaseNameOf(role))?.spec.holderIdentity;
    return holder === undefined || holder === `bot:${role}`;
  }

  /** Nodes silent for the grace period plus one more (the student's prompt went unanswered) are marked Unknown. */
  private async backstop(classroomId: string, read: Moment): Promise<void> {
    const moment = this.runtime.momentOf(read.view);
    const state = await this.runtime.state(classroomId);
    for (const move of legalMoves(NODE_LIFECYCLE, state, moment.now)) {
      if (move.action.kind !== 'setNodeCondition') continue;
      const node = state.node(move.action.node);
      if (!node || getCondition(node.status?.conditions, 'Ready')?.status === 'Unknown') continue;
      if (moment.now < heartbeatDeadline(state, node) + NODE_MONITOR_GRACE_SECONDS * 1000) continue;
      await this.api.act({ kind: 'bot', classroomId, role: NODE_LIFECYCLE }, move.action, { backstop: true });
    }
  }
}
