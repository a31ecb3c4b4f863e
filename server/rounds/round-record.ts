/**
 * A classroom's round in Redis: one record (phase, clock marks, goals reached, timeline, the
 * faults in force), changed by compare-and-set so processes deciding at once never lose a change,
 * and the players' tallies beside it (one counter per actor, incremented as requests are decided).
 */
import { z } from 'zod';
import type { GoalAchiever, RoundMarkBy, RoundMarkKind, RoundTimelineMark, RoundView } from '@shared/protocol';
import type { PlayerTally } from '@shared/scenarios';
import { apiRequestEntrySchema, roleSchema, roundTimelineMarkSchema, type ApiRequestEntry, type Role } from '@shared/protocol';
import type { RedisClient } from '../redis/connect';
import { COMPARE_AND_SET_SCRIPT } from '../classroom/scripts';

export type StoredPhase = 'briefing' | 'running' | 'won' | 'lost';

export interface RoundRecord {
  scenario: string;
  seed: number;
  phase: StoredPhase;
  /** Bumped by every (re)start: timers of an older run find a different number and stop. */
  generation: number;
  startedAt: string | null;
  startedAtSim: number | null;
  endedAt?: string;
  endedAtSim?: number;
  goals: Record<string, StoredGoal>;
  /** Simulated ms at which every goal was met at once (recoveries are measured to these). */
  allMetAtSim: number[];
  timeline: RoundTimelineMark[];
  /** Faults in force. */
  readOnly: boolean;
  /** Steady client requests per second per Service, and spikes on top until a simulated time. */
  traffic: Record<string, number>;
  spikes: Record<string, { perSecond: number; untilSim: number }>;
  /** Steps that wait on a condition (`when`), by index: the simulated ms each was booked for once it held. */
  stepsDue?: Record<string, number>;
  /** Steps that fired, by index: the simulated ms of each (a goal `after` one counts from then). */
  stepsDone?: Record<string, number>;
  /** The last view computed (what screens get on connect). */
  view: RoundView | null;
}

/**
 * A goal as the looks found it. Reached: met since `metAtSim`, the last time it became true, by
 * whoever made that change and the players whose components did the work (`actors`, the players
 * credited; the debrief names `achievedBy`, the change's author first). A goal that already held at
 * the first look it counted at (the round's, or the first after what it waits for) was reached by
 * no one (`fromStart`); one the scenario's step or the instructor met, by no player (`metBy`).
 */
export interface StoredGoal {
  /** At the last look it counted at; absent before the first (and while it waits). */
  met?: boolean;
  metAtSim?: number;
  /** The first time it was met in this round (the debrief says "met again" only of goals met before). */
  firstMetAtSim?: number;
  achievedBy?: GoalAchiever[];
  actors?: string[];
  fromStart?: boolean;
  metBy?: 'scenario' | 'instructor';
}

export const MAX_TIMELINE_MARKS = 300;

export function newRecord(scenario: string, seed: number, generation: number): RoundRecord {
  return { scenario, seed, phase: 'briefing', generation, startedAt: null, startedAtSim: null, goals: {}, allMetAtSim: [], timeline: [], readOnly: false, traffic: {}, spikes: {}, view: null };
}

/** A mark on the timeline, by what made it; `actor` names the players, for a mark the cluster made. */
export function mark(record: RoundRecord, atSim: number, kind: RoundMarkKind, text: string, by: RoundMarkBy, actor?: string): void {
  const atSeconds = record.startedAtSim === null ? 0 : Math.max(0, Math.round((atSim - record.startedAtSim) / 100) / 10);
  record.timeline.push(actor === undefined ? { atSeconds, kind, text, by } : { atSeconds, kind, text, by, actor });
  record.timeline.sort((a, b) => a.atSeconds - b.atSeconds);
  if (record.timeline.length > MAX_TIMELINE_MARKS) record.timeline.splice(0, record.timeline.length - MAX_TIMELINE_MARKS);
}

const roundKey = (prefix: string, classroomId: string): string => `${prefix}:{${classroomId}}:round`;
const tallyKey = (prefix: string, classroomId: string): string => `${prefix}:{${classroomId}}:round-tally`;
const refusalsKey = (prefix: string, classroomId: string): string => `${prefix}:{${classroomId}}:round-refusals`;
const MAX_REFUSALS = 50;

/** One player's requests since the last flush. */
export interface PlayerBatch {
  name: string;
  role: Role | null;
  accepted: number;
  refused: number;
  /** Writes the component made on its own (heartbeats, a runtime's timed completions) while the player held its seat. */
  automatic: number;
  lastAcceptedAt?: number;
  bindWaitMs: number;
  binds: number;
}

export interface TallyBatch {
  players: Map<string, PlayerBatch>;
  routes: number;
  served: number;
  refusals: ApiRequestEntry[];
}

export const emptyBatch = (): TallyBatch => ({ players: new Map(), routes: 0, served: 0, refusals: [] });
const FIELD = 'record';

// Our own record, but parsed like any stored input: a bad value fails here, not deep in a view.
// Its marks, and its view's, written before a mark said what made it get `by` from their `actor`.
const timelineSchema = z.array(roundTimelineMarkSchema);
const recordSchema = z
  .custom<RoundRecord>((v) => typeof v === 'object' && v !== null && 'scenario' in v && 'phase' in v && 'generation' in v)
  .transform((r): RoundRecord => ({ ...r, timeline: timelineSchema.parse(r.timeline), view: r.view && { ...r.view, timeline: timelineSchema.parse(r.view.timeline) } }));

export class RoundRecords {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {}

  async read(classroomId: string): Promise<RoundRecord | null> {
    const raw = await this.redis.hGet(roundKey(this.prefix, classroomId), FIELD);
    return raw ? recordSchema.parse(JSON.parse(raw)) : null;
  }

  /**
   * Reads, changes and writes the record until no other process wrote in between. `change`
   * returns false to leave it as it is. Returns the record as written (or as it stands).
   */
  async update(classroomId: string, change: (record: RoundRecord | null) => RoundRecord | false | null): Promise<RoundRecord | null> {
    const key = roundKey(this.prefix, classroomId);
    for (;;) {
      const raw = (await this.redis.hGet(key, FIELD)) ?? '';
      const current = raw ? recordSchema.parse(JSON.parse(raw)) : null;
      const next = change(current === null ? null : structuredClone(current));
      if (next === false || next === null) return current;
      const ok = await this.redis.eval(COMPARE_AND_SET_SCRIPT, { keys: [key], arguments: [FIELD, raw, JSON.stringify(next)] });
      if (ok === 1) return next;
    }
  }

  /** No round any more (the instructor reset the cluster to its first state). */
  async remove(classroomId: string): Promise<void> {
    await this.redis.del([roundKey(this.prefix, classroomId), tallyKey(this.prefix, classroomId), refusalsKey(this.prefix, classroomId)]);
  }

  async clearTallies(classroomId: string): Promise<void> {
    await this.redis.del([tallyKey(this.prefix, classroomId), refusalsKey(this.prefix, classroomId)]);
  }

  /**
   * Decided requests since the last flush, in one transaction: counters only (processes never
   * overwrite each other), and the refusals the owner marks on the timeline at its next look.
   */
  async flush(classroomId: string, batch: TallyBatch): Promise<void> {
    const key = tallyKey(this.prefix, classroomId);
    const multi = this.redis.multi();
    for (const [actor, p] of batch.players) {
      multi.hSet(key, { [`n:${actor}`]: p.name, [`o:${actor}`]: p.role ?? '', ...(p.lastAcceptedAt === undefined ? {} : { [`t:${actor}`]: String(p.lastAcceptedAt) }) });
      if (p.accepted) multi.hIncrBy(key, `a:${actor}`, p.accepted);
      if (p.refused) multi.hIncrBy(key, `r:${actor}`, p.refused);
      if (p.automatic) multi.hIncrBy(key, `w:${actor}`, p.automatic);
      if (p.binds) multi.hIncrBy(key, `bw:${actor}`, Math.max(0, Math.round(p.bindWaitMs))).hIncrBy(key, `bc:${actor}`, p.binds);
    }
    if (batch.routes) multi.hIncrBy(key, 'routes', batch.routes);
    if (batch.served) multi.hIncrBy(key, 'served', batch.served);
    if (batch.refusals.length) {
      const list = refusalsKey(this.prefix, classroomId);
      multi.rPush(list, batch.refusals.map((e) => JSON.stringify(e))).lTrim(list, -MAX_REFUSALS, -1);
    }
    await multi.exec();
  }

  /** The refusals counted since the owner last looked (taken: the next look sees only newer ones). */
  async takeRefusals(classroomId: string): Promise<ApiRequestEntry[]> {
    const raw = (await this.redis.lPopCount(refusalsKey(this.prefix, classroomId), MAX_REFUSALS)) ?? [];
    return raw.flatMap((r) => {
      const parsed = apiRequestEntrySchema.safeParse(JSON.parse(r));
      return parsed.success ? [parsed.data] : [];
    });
  }

  async tallies(classroomId: string): Promise<{ players: PlayerTally[]; routes: number; served: number }> {
    const raw = await this.redis.hGetAll(tallyKey(this.prefix, classroomId));
    const players = new Map<string, PlayerTally>();
    const num = (field: string): number => Number(raw[field] ?? 0);
    for (const field of Object.keys(raw)) {
      if (!field.startsWith('n:')) continue;
      const actor = field.slice(2);
      const role = roleSchema.safeParse(raw[`o:${actor}`]);
      const last = raw[`t:${actor}`];
      const tally: PlayerTally = {
        actor,
        name: raw[field] ?? actor,
        role: role.success ? role.data : null,
        accepted: num(`a:${actor}`),
        refused: num(`r:${actor}`),
        bindWaitMs: num(`bw:${actor}`),
        binds: num(`bc:${actor}`),
      };
      const automatic = num(`w:${actor}`);
      if (automatic) tally.automatic = automatic;
      if (last !== undefined) tally.lastAcceptedAt = Number(last);
      players.set(actor, tally);
    }
    return { players: [...players.values()].sort((a, b) => a.actor.localeCompare(b.actor)), routes: num('routes'), served: num('served') };
  }
}
