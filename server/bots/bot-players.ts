/**
 * A bot for every role nobody plays (bot help on, no student holding the seat): every
 * `botPace.secondsPerAction` simulated seconds it takes one `shared/sim` reconcile pass of its
 * role, through a recurring BullMQ timer (`botTick`, one per role), so bots survive a restart and
 * tick once with several server processes. Seat changes (a student takes the role, a seat is
 * handed back after its grace period, bot help switched) start or stop the ticks at once; a tick
 * re-checks the seat before it acts, so a bot never moves for a student who took over.
 */
import { parseRole, roleSchema, type ClassroomView, type Role } from '@shared/protocol';
import { reconcile } from '@shared/sim';
import { z } from 'zod';
import type { ClusterRuntime } from '../cluster/cluster-runtime';
import { kubeletStopped } from '../cluster/faults';
import { botEntries, type RequestLogSink } from '../cluster/request-log';
import type { SimTimer } from '../jobs/sim-timer';

export const BOT_TICK = 'botTick';
const tickKey = (role: Role): string => `${BOT_TICK}:${role}`;
const tickPayload = z.object({ role: roleSchema });

/** Whether the role's bot should be acting now. */
export function botPlays(view: ClassroomView, role: Role): boolean {
  return view.phase === 'running' && view.seats.some((s) => s.role === role && s.bot === 'playing');
}

export class BotPlayers {
  constructor(
    private readonly runtime: ClusterRuntime,
    private readonly log: RequestLogSink,
  ) {}

  register(): void {
    this.runtime.timers.onTimer(BOT_TICK, (classroomId, timer) => this.tick(classroomId, timer));
  }

  /** Starts the ticks of the roles a bot now plays, cancels the others; idempotent in every process. */
  async follow(view: ClassroomView): Promise<void> {
    const pending = new Set((await this.runtime.timers.pending(view.id)).map((t) => t.key));
    const now = (await this.runtime.moment(view.id))?.now ?? view.clock.simAtWall;
    for (const { role } of view.seats) {
      const key = tickKey(role);
      if (botPlays(view, role)) {
        if (!pending.has(key)) await this.schedule(view, role, now);
      } else if (pending.has(key)) await this.runtime.timers.cancel(view.id, key);
    }
  }

  private schedule(view: ClassroomView, role: Role, from: number): Promise<void> {
    const dueAt = from + Math.round(view.botPace.secondsPerAction * 1000);
    return this.runtime.timers.schedule(view.id, { kind: BOT_TICK, key: tickKey(role), dueAt, payload: { role } });
  }

  private async tick(classroomId: string, timer: SimTimer): Promise<void> {
    const role = tickPayload.parse(timer.payload).role;
    const parsed = parseRole(role);
    if (!parsed) return;
    const runtime = this.runtime;
    await runtime.exclusive(classroomId, role, async () => {
      const moment = await runtime.moment(classroomId);
      if (!moment || !botPlays(moment.view, role)) return; // a student took the role: the tick ends here
      const state = await runtime.state(classroomId);
      // A node whose kubelet is stopped runs nothing; its bots look again at their next tick.
      if (!('node' in parsed && kubeletStopped(state, parsed.node))) {
        const steps = reconcile(parsed, state, moment.now, runtime.rng());
        const outcome = await runtime.apply(classroomId, steps, { actor: `bot:${role}`, simTime: moment.now });
        if (outcome.requests.length) this.log(classroomId, botEntries(role, outcome.requests, moment.now));
      }
      await this.schedule(moment.view, role, moment.now);
    });
  }
}
