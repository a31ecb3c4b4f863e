/**
 * A bot for every role nobody plays (bot help on, no student holding the seat). Every
 * `botPace.secondsPerAction` simulated seconds each bot of a component plays as a student would:
 * the rulebook's next move, made through the API server (which decides it: ApiServer.actNext),
 * again and again until nothing is left to do this tick. One path, so one request-log format, whoever plays.
 * The ticks are loops of the process that owns the classroom (classroom-leases.ts), one per
 * component, not per seat (a classroom of 1,000 nodes has 3,000 per-node seats); a new owner
 * starts them when it takes the classroom over. A tick that finds nothing to do costs no Redis
 * command: it decides on the owner's cache and the room as last announced, and the API server
 * checks the seat on a fresh read before any write.
 * When a student plays the controller manager, its bot still watches one thing: a node silent for
 * a whole grace period after the student was prompted is marked Unknown (one missed prompt).
 */
import { getCondition } from '@shared/model';
import { isLeaderElected, leaseNameOf, parseRole, type ClassroomView, type ClusterAction, type ParsedRole, type Role } from '@shared/protocol';
import { heartbeatDeadline, legalMoves, NODE_MONITOR_GRACE_SECONDS, type ClusterState } from '@shared/sim';
import type { ApiServer } from '../cluster/api-server';
import type { ClusterRuntime, Moment } from '../cluster/cluster-runtime';
import { mapAtMost } from '../cluster/map-at-most';
import { isConnectionError, isRedisUnavailable } from '../redis/unavailable';
import type { SimLoops } from '../jobs/sim-loops';
import { ChangedNodes, type NodeComponent } from './changed-nodes';

export const BOT_TICK = 'botTick';
type Component = ParsedRole['component'];
const COMPONENTS: readonly Component[] = ['scheduler', 'controller-manager', 'kubelet', 'container-runtime', 'kube-proxy'];
const tickKey = (component: Component): string => `${BOT_TICK}:${component}`;
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
/**
 * The room as last announced is trusted this long for a tick's decision, then read again (an
 * announcement can be lost with a Redis reconnect); the API server checks seats on a fresh read anyway.
 */
const VIEW_TTL_MS = 5000;

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

/**
 * Per component, the roles whose bot acts at its tick in this view, worked out once per view: every
 * component's tick asked it of every seat (3,000 per-node seats in a classroom of 1,000 nodes).
 */
const tickingByView = new WeakMap<ClassroomView, ReadonlyMap<Component, readonly Role[]>>();

function tickingRolesOf(view: ClassroomView): ReadonlyMap<Component, readonly Role[]> {
  let ticking = tickingByView.get(view);
  if (ticking) return ticking;
  const byComponent = new Map<Component, Role[]>();
  const backstopping = backstops(view);
  for (const { role } of view.seats) {
    const component = componentOf(role);
    if (component === undefined || !(botPlays(view, role) || (role === NODE_LIFECYCLE && backstopping))) continue;
    const roles = byComponent.get(component);
    if (roles) roles.push(role);
    else byComponent.set(component, [role]);
  }
  tickingByView.set(view, (ticking = byComponent));
  return ticking;
}

export class BotPlayers {
  private readonly changed = new ChangedNodes();
  /** The rooms of the classrooms whose bots tick here, as last announced or read. */
  private readonly views = new Map<string, { view: ClassroomView; readAt: number }>();
  /** A room read on its way, by classroom: the component loops of a classroom, due together, share it. */
  private readonly reading = new Map<string, Promise<ClassroomView | null>>();
  /** Classrooms whose ticks of the BullMQ scheme (before the ticks were loops) were looked for. */
  private readonly cleaned = new Set<string>();

  constructor(
    private readonly runtime: ClusterRuntime,
    private readonly api: ApiServer,
    private readonly loops: SimLoops,
    /** Whether this process owns the classroom: only the owner's bots tick. */
    private readonly owns: (classroomId: string) => boolean,
  ) {}

  register(): void {
    this.runtime.onStateChange((classroomId, _simTime, events) => this.changed.note(classroomId, events));
  }

  /** The names of the tick loops the classroom's bots need now (the timer sweep checks they run). */
  wantedTicks(view: ClassroomView): string[] {
    return COMPONENTS.filter((component) => this.tickingRoles(view, component).length > 0).map(tickKey);
  }

  /** The tick loops running here for the classroom. */
  runningTicks(classroomId: string): string[] {
    return this.loops.names(classroomId).filter((name) => name.startsWith(`${BOT_TICK}:`));
  }

  /** The component's roles whose bot acts at its tick. */
  private tickingRoles(view: ClassroomView, component: Component): readonly Role[] {
    return tickingRolesOf(view).get(component) ?? [];
  }

  /** The room changed (a clock, a pace): the running ticks follow its clock and pace. */
  noteView(view: ClassroomView): void {
    if (!this.views.has(view.id)) return;
    this.views.set(view.id, { view, readAt: Date.now() });
    this.loops.follow(view.id, scheduleOf(view));
  }

  /**
   * Starts the ticks of the components a bot now plays and stops the others; on the owner only,
   * idempotent. Ticks of the BullMQ scheme left by a previous version are cancelled.
   */
  async follow(view: ClassroomView): Promise<void> {
    if (!this.owns(view.id)) return this.release(view.id);
    this.views.set(view.id, { view, readAt: Date.now() });
    const wanted = new Set(this.wantedTicks(view));
    for (const component of COMPONENTS) {
      const key = tickKey(component);
      if (wanted.has(key)) this.loops.start(view.id, key, scheduleOf(view), (now) => this.tick(view.id, component, now));
      else this.loops.stop(view.id, key);
    }
    if (this.cleaned.has(view.id)) return;
    for (const timer of await this.runtime.timers.pending(view.id)) if (timer.kind === BOT_TICK) await this.runtime.timers.cancel(view.id, timer.key);
    this.cleaned.add(view.id);
  }

  /** This process gave the classroom up (or it closed): its bots stop ticking here. */
  release(classroomId: string): void {
    this.loops.stopAll(classroomId);
    this.views.delete(classroomId);
    this.cleaned.delete(classroomId);
    for (const component of COMPONENTS) if (isNodeComponent(component)) this.changed.forget(classroomId, component);
  }

  /** Something the role's bot waits for happened (a timer of its component): play now. */
  async wake(classroomId: string, role: Role): Promise<void> {
    const view = await this.viewOf(classroomId);
    const parsed = parseRole(role);
    if (view && parsed && botPlays(view, role)) await this.play(classroomId, role, parsed, this.runtime.momentOf(view));
  }

  /**
   * The room for a decision: as last announced, read again when older than VIEW_TTL_MS. The
   * classroom's five component loops fall due at the same moment, so they share one read: each
   * reading on its own made five reads of the room (5 HGETALL each) where one does.
   */
  private viewOf(classroomId: string): Promise<ClassroomView | null> {
    const known = this.views.get(classroomId);
    if (known && Date.now() - known.readAt < VIEW_TTL_MS) return Promise.resolve(known.view);
    const pending = this.reading.get(classroomId);
    if (pending) return pending;
    const startedAt = Date.now();
    const read = this.runtime.classrooms
      .view(classroomId)
      .then((view) => {
        // Given up meanwhile: no cache is kept for it. A view announced while this read was on its way is as fresh: kept.
        const announced = (this.views.get(classroomId)?.readAt ?? -Infinity) >= startedAt;
        if (view && this.owns(classroomId) && !announced) this.views.set(classroomId, { view, readAt: Date.now() });
        return view;
      })
      .finally(() => this.reading.delete(classroomId));
    this.reading.set(classroomId, read);
    return read;
  }

  /** One tick of the component's bots; false ends the loop (students took every seat, or the classroom went elsewhere). */
  private async tick(classroomId: string, component: Component, now: number): Promise<boolean> {
    if (!this.owns(classroomId)) return false;
    const view = await this.viewOf(classroomId);
    if (!view) return false;
    const roles = this.tickingRoles(view, component);
    if (!roles.length) {
      if (isNodeComponent(component)) this.changed.forget(classroomId, component);
      return false;
    }
    await this.playComponent(classroomId, component, roles, { view, now });
    return true;
  }

  private async playComponent(classroomId: string, component: Component, roles: readonly Role[], moment: Moment): Promise<void> {
    const nodes = isNodeComponent(component) ? this.changed.take(classroomId, component) : null;
    // A per-node role is `<component>:<node>` (roles.ts): its node is cut out, not parsed (1,000 roles at every tick).
    const looking = nodes ? roles.filter((role) => nodes.has(role.slice(component.length + 1))) : roles;
    await mapAtMost(PLAYERS_AT_ONCE, looking, async (role) => {
      const parsed = parseRole(role);
      if (!parsed) return;
      const lookAgain = () => {
        if ('node' in parsed) this.changed.again(classroomId, parsed.component, parsed.node);
      };
      let more = true;
      try {
        if (botPlays(moment.view, role)) more = await this.play(classroomId, role, parsed, moment);
        else await this.backstop(classroomId, moment);
      } catch (error) {
        if (isConnectionError(error) || isRedisUnavailable(error)) {
          // Redis gone: the tick's loop says so once (SimLoops), not once per bot. The change that
          // marked this node was taken at this tick: its bot looks again once Redis is back.
          lookAgain();
          throw error;
        }
        this.runtime.logger.warn({ err: error, classroomId, role }, 'a bot move failed; the bot tries again at its next tick');
      }
      if (more) lookAgain();
    });
  }

  /**
   * The role's next moves, one request each, until none is left (or the seat changes hands): the
   * bot plays while the room as last announced gives it the seat, and the API server decides each
   * move on its cache, checks the seat again on a fresh read, and writes it (see ApiServer.actNext).
   * Resolves to whether the bot may have work left for its next tick (it stopped at the move cap,
   * or a move was refused or changed nothing yet).
   * The controllers of a component take turns, one move each, starting one further at each tick
   * (a tick can end after one move: a refusal, or the same move again on the same copy).
   */
  private async play(classroomId: string, role: Role, parsed: ParsedRole, first: Moment): Promise<boolean> {
    const caller = { kind: 'bot' as const, classroomId, role };
    const tried = new Set<string>();
    const firstTurn = Math.floor(first.now / Math.max(1, Math.round(first.view.botPace.secondsPerAction * 1000)));
    for (let i = 0; i < MOVES_PER_TICK; i++) {
      // The room read while the cache catches up with the last move: one round trip, not two.
      const [view, state] = await Promise.all([i === 0 ? first.view : this.viewOf(classroomId), this.runtime.state(classroomId)]);
      if (!view || !botPlays(view, role)) return false;
      if (!this.leads(state, role)) return false;
      // The cache holds this bot's last write (see ClusterRuntime.state): its change is noted by now.
      const stamp = this.changed.stamp();
      // The API server decides the move (nextMoveInTurn's) on its own read of the cache and makes it.
      const made = await this.api.actNext(caller, firstTurn + i, (action, resourceVersion) => tried.has(madeKey(action, resourceVersion)));
      if (made === 'idle') {
        this.lookedAt(classroomId, parsed, stamp);
        return false;
      }
      // The same move on the same copy of the cluster was made already this tick, and changed
      // nothing (each move's write is in the cache before the next look): look again next tick.
      if (made === 'repeated') return true;
      tried.add(madeKey(made.action, made.decidedOn));
      if (!made.reply.ok) return true;
    }
    return true;
  }

  /** A per-node bot found nothing to do on a cache holding the changes up to `stamp` (see ChangedNodes.looked). */
  private lookedAt(classroomId: string, role: ParsedRole, stamp: number): void {
    if ('node' in role) this.changed.looked(classroomId, role.component, role.node, stamp);
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

/**
 * A move as made on one copy of the cluster. A move without a version in its action (a
 * ReplicaSet's next pod, a status update) repeats legitimately once the last one landed, so it is
 * told apart by the copy it is decided on.
 */
const madeKey = (action: ClusterAction, resourceVersion: string): string => `${JSON.stringify(action)}@${resourceVersion}`;

/** A tick loop's clock and period: the bot pace in the classroom's simulated time. */
function scheduleOf(view: ClassroomView): { clock: ClassroomView['clock']; periodMs: number } {
  return { clock: view.clock, periodMs: Math.max(1, Math.round(view.botPace.secondsPerAction * 1000)) };
}
