/**
 * A bot for every role nobody plays (bot help on, no student holding the seat). Every
 * `botPace.secondsPerAction` simulated seconds (a recurring BullMQ timer `botTick` per role, so
 * bots survive a restart and tick once with several server processes) it plays as a student
 * would: it asks the rulebook for its next move and sends it through the API server, again and
 * again until nothing is left to do this tick. One path, so one request-log format, whoever plays.
 * When a student plays the controller manager, its bot still watches one thing: a node silent for
 * a whole grace period after the student was prompted is marked Unknown (one missed prompt).
 */
import { getCondition } from '@shared/model';
import { isLeaderElected, leaseNameOf, roleSchema, type ClassroomView, type Role } from '@shared/protocol';
import { heartbeatDeadline, nextMove, legalMoves, NODE_MONITOR_GRACE_SECONDS, type ClusterState } from '@shared/sim';
import { z } from 'zod';
import type { ApiServer } from '../cluster/api-server';
import type { ClusterRuntime, Moment } from '../cluster/cluster-runtime';
import type { SimTimer } from '../jobs/sim-timer';

export const BOT_TICK = 'botTick';
const tickKey = (role: Role): string => `${BOT_TICK}:${role}`;
const tickPayload = z.object({ role: roleSchema });
/** A bot's moves per tick: enough for a reconcile pass of a classroom cluster, bounded so a tick ends. */
const MOVES_PER_TICK = 40;
const NODE_LIFECYCLE: Role = 'controller-manager';

/** Whether the role's bot should be acting now. */
export function botPlays(view: ClassroomView, role: Role): boolean {
  return view.phase === 'running' && view.seats.some((s) => s.role === role && s.bot === 'playing');
}

/** A student plays the controller manager: the bot's node lifecycle loop stands behind them. */
function backstops(view: ClassroomView): boolean {
  return view.phase === 'running' && view.seats.some((s) => s.role === NODE_LIFECYCLE && s.bot !== 'playing');
}

export class BotPlayers {
  constructor(
    private readonly runtime: ClusterRuntime,
    private readonly api: ApiServer,
  ) {}

  register(): void {
    this.runtime.timers.onTimer(BOT_TICK, (classroomId, timer) => this.tick(classroomId, timer));
  }

  /** The keys of the ticks the classroom's bots need now (the timer sweep checks they are pending). */
  wantedTicks(view: ClassroomView): string[] {
    return view.seats.filter(({ role }) => this.ticks(view, role)).map(({ role }) => tickKey(role));
  }

  private ticks(view: ClassroomView, role: Role): boolean {
    return botPlays(view, role) || (role === NODE_LIFECYCLE && backstops(view));
  }

  /** Starts the ticks of the roles a bot now plays, cancels the others; idempotent in every process. */
  async follow(view: ClassroomView): Promise<void> {
    const pending = new Set((await this.runtime.timers.pending(view.id)).map((t) => t.key));
    const now = (await this.runtime.moment(view.id))?.now ?? view.clock.simAtWall;
    for (const { role } of view.seats) {
      const key = tickKey(role);
      if (this.ticks(view, role)) {
        if (!pending.has(key)) await this.schedule(view, role, now);
      } else if (pending.has(key)) await this.runtime.timers.cancel(view.id, key);
    }
  }

  /** Something the role's bot waits for happened (a timer of its component): play now. */
  async wake(classroomId: string, role: Role): Promise<void> {
    const moment = await this.runtime.moment(classroomId);
    if (moment && botPlays(moment.view, role)) await this.play(classroomId, role, moment);
  }

  private schedule(view: ClassroomView, role: Role, from: number): Promise<void> {
    const dueAt = from + Math.round(view.botPace.secondsPerAction * 1000);
    return this.runtime.timers.schedule(view.id, { kind: BOT_TICK, key: tickKey(role), dueAt, payload: { role } });
  }

  private async tick(classroomId: string, timer: SimTimer): Promise<void> {
    const role = tickPayload.parse(timer.payload).role;
    const moment = await this.runtime.moment(classroomId);
    if (!moment) return;
    const plays = botPlays(moment.view, role);
    if (!this.ticks(moment.view, role)) return; // a student took the role: the ticks end here
    // The next tick is booked before this one acts, so a failure while acting (Redis gone
    // mid-move) never ends the bot's ticks.
    await this.schedule(moment.view, role, moment.now);
    try {
      if (plays) await this.play(classroomId, role, moment);
      else await this.backstop(classroomId, moment);
    } catch (error) {
      this.runtime.logger.warn({ err: error, classroomId, role }, 'a bot move failed; the bot tries again at its next tick');
    }
  }

  /**
   * The role's next moves, one request each, until none is left (or the seat changes hands). The
   * first move is decided on the view the tick just read, at the time of now (one classroom read
   * less per tick); the API server checks the seat again, on a fresh read, before it writes.
   */
  private async play(classroomId: string, role: Role, first: Moment): Promise<void> {
    const caller = { kind: 'bot' as const, classroomId, role };
    const tried = new Set<string>();
    for (let i = 0; i < MOVES_PER_TICK; i++) {
      const moment = i === 0 ? this.runtime.momentOf(first.view) : await this.runtime.moment(classroomId);
      if (!moment || !botPlays(moment.view, role)) return;
      const state = await this.runtime.state(classroomId);
      if (!this.leads(state, role)) return;
      const move = nextMove(role, state, moment.now);
      if (!move) return;
      const key = JSON.stringify(move.action);
      // The same move twice in a tick was refused or changed nothing visible yet: look again next tick.
      if (tried.has(key)) return;
      tried.add(key);
      const { reply } = await this.api.act(caller, move.action);
      if (!reply.ok) return;
    }
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
