/**
 * Rounds: a scenario played from its briefing to its debrief on the classroom's clock. The round
 * clock *is* the classroom's SimClock, so pausing the class freezes the round, simulated time and
 * every pending timer. Timed steps, client traffic and the round's own tick are sim timers (BullMQ,
 * one firing across processes); a step is a request through the API server on the instructor's
 * behalf, so it is in the request log like any fault, but its writes and its mark are the round's
 * (the instructor did nothing: no goal it meets is theirs). Goals are evaluated (debounced) after
 * every decided request and at each tick; the record changes by compare-and-set and every process
 * hears of it on a Redis channel and sends the view to its own sockets.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { getCondition, fromRFC3339, type KubeObject, type Pod, type SimTime } from '@shared/model';
import {
  faultBreaks,
  proxyRole,
  refuse,
  requestLabel,
  simNow,
  type Ack,
  type ApiRequestEntry,
  type ClassroomView,
  type Fault,
  type Identity,
  type Refusal,
  type Role,
  type RoundView,
  type SimClock,
  type WatchEvent,
} from '@shared/protocol';
import {
  achievers,
  activityOf,
  authorsOf,
  componentsOf,
  concerns,
  countsFrom,
  credited,
  evaluateCheck,
  evaluateGoal,
  goalWords,
  GoalWatch,
  isWindowed,
  markWhoText,
  parseCheck,
  recoveries,
  scorePlayers,
  scoreTeams,
  waitWords,
  type BoundToRunning,
  type GoalResult,
  type PlayerTally,
  type Scenario,
} from '@shared/scenarios';
import { kubeletStopped, kubeProxyStopped, staleRules, PROXY_SYNC_DELAY_SECONDS, type ClusterState } from '@shared/sim';
import { ClusterMoments, isFaultMade, type RoundMarker } from '@shared/protocol';
import type { ClassroomChangeReason, ClassroomChanges } from '../classroom/changes';
import type { ApiServer } from '../cluster/api-server';
import type { ClusterRuntime, Moment } from '../cluster/cluster-runtime';
import type { SimTimer } from '../jobs/sim-timer';
import type { Logger } from '../logger';
import type { RedisClient } from '../redis/connect';
import { publishToAll, subscribeToAll, type Subscription } from '../redis/fanout';
import type { ScenarioCatalogue } from './catalogue';
import { RoundRecords, emptyBatch, mark, newRecord, type PlayerBatch, type RoundRecord, type TallyBatch } from './round-record';
import { buildScenarioCluster } from './scenario-cluster';
import { RecentMap } from '../cluster/recent-map';

type Reply = Ack<{ message?: string }>;

export const ROUND_STEP = 'roundStep';
export const ROUND_TRAFFIC = 'roundTraffic';
export const ROUND_TICK = 'roundTick';
/** A won round's class stands still at this time at the latest (see `settle`). */
export const ROUND_FREEZE = 'roundFreeze';
/** The round looks at its goals at least this often (simulated ms): windows move and time runs out. */
const TICK_MS = 2000;
/** Client traffic is sent in batches this far apart (simulated ms). */
const TRAFFIC_PERIOD_MS = 1000;
/**
 * The owner looks at the goals once per batch of changes: at most once this often (wall ms) after
 * its cache of the cluster moved or a request was decided, and at every tick.
 */
const EVALUATE_BATCH_MS = 250;
/** Decided requests are counted in memory and written in one transaction this often (wall ms). */
const FLUSH_MS = 200;
/** A classroom view heard on a change is trusted this long, then read again (a change can be lost with a reconnect). */
const VIEW_TTL_MS = 30_000;
/** A process trusts its copy of a round this long (wall ms); the channel brings changes sooner. */
const CACHE_MS = 2000;
/** How many of the newest request-log entries goal windows are measured on. */
const REQUESTS_READ = 1000;
/**
 * How long past its due sync and its next move a bot's kube-proxy is waited for after a win
 * (simulated ms): on a loaded server a bot's move comes late; the class stands still then anyway.
 */
const SETTLE_MS = 5000;
/** Refusals of one player closer than this (simulated s) share one timeline mark. */
const REFUSAL_MARK_GAP_S = 10;

/** Kubernetes' words for a 503 (apimachinery's generic server response): etcd takes no writes. */
export const READ_ONLY_MESSAGE = 'the server is currently unable to handle the request';

const stepPayload = z.object({ index: z.number().int(), generation: z.number().int() });
const trafficPayload = z.object({ service: z.string(), generation: z.number().int(), carry: z.number(), next: z.number().int() });
const tickPayload = z.object({ generation: z.number().int() });
const freezePayload = z.object({ generation: z.number().int() });
const trafficKey = (service: string): string => `${ROUND_TRAFFIC}:${service}`;

/** The Services clients send requests to at `now`: a steady rate, or a spike not over yet (as `traffic` counts them). */
function flowing(record: RoundRecord, now: SimTime): string[] {
  const services = new Set(Object.entries(record.traffic).flatMap(([service, rate]) => (rate > 0 ? [service] : [])));
  for (const [service, spike] of Object.entries(record.spikes)) if (spike.perSecond > 0 && spike.untilSim > now) services.add(service);
  return [...services];
}

export type RoundListener = (classroomId: string, view: RoundView | null) => void;

export interface RoundServiceOptions {
  runtime: ClusterRuntime;
  redis: RedisClient;
  keyPrefix: string;
  catalogue: ScenarioCatalogue;
  changes: ClassroomChanges;
  announce(classroomId: string, reasons: ClassroomChangeReason[]): Promise<void>;
  logger: Logger;
  run(what: string, work: () => Promise<void>): void;
  /** This process does the classroom's control work (its owner): it alone looks at the goals. */
  owns(classroomId: string): boolean;
}

/** The change that last made a goal true: when, whose, and what it wrote. */
interface Reached {
  atSim: number;
  actor: string;
  object: KubeObject;
}

interface Latched {
  generation: number;
  /** The goals on the cluster's state, read after each change, and the cache they were first read on. */
  goals: { watch: GoalWatch<WatchEvent>; state: ClusterState } | null;
  reached: Map<string, Reached>;
  /** Changes the cache applied since the last latch read it: among them is whatever met a goal since. */
  events: WatchEvent[];
  /** The round's changes read for what a class wants on its timeline (a node NotReady, an eviction, a back-off)... */
  moments: ClusterMoments;
  /** ...and those found since the last look marked them. */
  found: { atSim: number; text: string; actor: string; object: KubeObject }[];
}

/** One classroom's coalesced evaluation: a pending batch timer, the look in flight, another one asked for meanwhile. */
interface Evaluation {
  timer: NodeJS.Timeout | null;
  running: Promise<void> | null;
  again: boolean;
}

interface Cached {
  record: RoundRecord | null;
  readAt: number;
}

const round1 = (n: number): number => Math.round(n * 10) / 10;

export class RoundService {
  readonly records: RoundRecords;
  readonly catalogue: ScenarioCatalogue;
  private api: ApiServer | null = null;
  private readonly listeners = new Set<RoundListener>();
  private readonly cache = new Map<string, Cached>();
  private readonly evaluations = new Map<string, Evaluation>();
  private readonly batches = new Map<string, TallyBatch>();
  private flushTimer: NodeJS.Timeout | null = null;
  /** The rooms as last heard on their change channel (every classroom's, on every process), each trusted VIEW_TTL_MS. */
  private readonly views = new RecentMap<ClassroomView>(VIEW_TTL_MS);
  private readonly scenarios = new Map<string, { id: string; generation: number; scenario: Scenario }>();
  /**
   * Goals on the cluster's state as the owner's cache last showed them (`met`), and for each met
   * one the change that last made it true (`reached`), until the next look marks it.
   */
  private readonly latched = new Map<string, Latched>();
  /** Won rounds whose class runs on until kube-proxy has synced (see `settle`): the round's generation and the bots' nodes, by classroom. */
  private readonly settling = new Map<string, { generation: number; nodes: readonly string[] }>();
  /** Tells this process's own round messages from other processes' (its copy is already current). */
  private readonly source = randomUUID();
  private readonly channel: string;
  private subscription: Subscription | null = null;
  private unsubscribe: (() => void) | null = null;

  constructor(private readonly options: RoundServiceOptions) {
    this.records = new RoundRecords(options.redis, options.keyPrefix);
    this.catalogue = options.catalogue;
    this.channel = `${options.keyPrefix}:round-changes`;
  }

  /** Timer handlers; call before the timer service starts. */
  register(): void {
    const { timers } = this.options.runtime;
    timers.onTimer(ROUND_STEP, (id, timer) => this.step(id, timer));
    timers.onTimer(ROUND_TRAFFIC, (id, timer) => this.traffic(id, timer));
    timers.onTimer(ROUND_TICK, (id, timer) => this.tick(id, timer));
    timers.onTimer(ROUND_FREEZE, (id, timer) => this.freeze(id, freezePayload.parse(timer.payload).generation));
    // etcd read-only: every write through the API server's executor is refused while it lasts.
    this.options.runtime.writeGuard = (classroomId) => this.readOnlyRefusal(classroomId);
    this.options.runtime.roundSeed = (classroomId) => this.cache.get(classroomId)?.record?.seed ?? null;
    // A component's own writes (the kubelet's heartbeat, the runtime's timed completions) count for whoever holds its seat.
    this.options.runtime.automaticWork = (view, role, writes) => this.noteAutomatic(view, role, writes);
    // The owner's cache of the cluster moved: a goal may be met (coalesced with every other change of the batch).
    this.options.runtime.onStateChange((classroomId, simTime, events, state) => {
      const record = this.cache.get(classroomId)?.record;
      const settling = this.settling.get(classroomId);
      if (record && settling?.generation === record.generation) {
        if (rulesSynced(state, settling.nodes, simTime)) this.options.run('freezing a won round', () => this.freeze(classroomId, record.generation));
        return;
      }
      if (record?.phase !== 'running' || !this.options.owns(classroomId)) return;
      this.latch(classroomId, record, events, state);
      this.scheduleEvaluation(classroomId);
    });
  }

  /** The API server sends traffic and steps, and tells us of every decided request. */
  attach(api: ApiServer): void {
    this.api = api;
    api.onRequest((classroomId, entry) => this.noteRequest(classroomId, entry));
  }

  /** Hears round changes of every process, and clock changes (a pause shows on every screen). */
  async start(): Promise<void> {
    this.subscription = await subscribeToAll(this.options.redis, this.channel, (message) => {
      const [classroomId = '', source = ''] = message.split(' ');
      if (classroomId) this.options.run('sending a round', () => this.emitLocal(classroomId, null, source === this.source));
    });
    this.unsubscribe = this.options.changes.subscribe((change) => {
      this.views.set(change.classroomId, change.view);
      if (change.reasons.includes('clock')) this.options.run('sending a round', () => this.emitLocal(change.classroomId, change.view.clock, false));
    });
  }

  async close(): Promise<void> {
    this.unsubscribe?.();
    for (const evaluation of this.evaluations.values()) if (evaluation.timer) clearTimeout(evaluation.timer);
    this.evaluations.clear();
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    await this.flush().catch((error: unknown) => this.options.logger.warn({ err: error }, 'round tallies not written on close'));
    await this.subscription?.close();
  }

  /** Screens of this process get the round; returns the unsubscribe. */
  onRound(listener: RoundListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // ---- what screens and REST read ----

  /** The round as a screen shows it now (the phase and elapsed time follow the clock). */
  async view(classroomId: string, clock?: SimClock): Promise<RoundView | null> {
    const record = await this.fresh(classroomId);
    const at = clock ?? (await this.options.runtime.run(classroomId))?.clock;
    if (!record?.view || !at) return null;
    return liveView(record, record.view, at);
  }

  /** A round is picked and not over: its time scale stays in the round range. */
  async active(classroomId: string): Promise<boolean> {
    const record = await this.fresh(classroomId);
    return record !== null && (record.phase === 'briefing' || record.phase === 'running');
  }

  // ---- the timer sweep's net under the round's own loop ----

  /**
   * The round's loops a running round needs (the sweep's `wanted`): its tick, and the traffic to
   * each Service clients send requests to. From this process's copy, no read.
   */
  wantedTimers(view: ClassroomView): string[] {
    const record = this.cache.get(view.id)?.record;
    if (view.phase !== 'running' || record?.phase !== 'running') return [];
    return [ROUND_TICK, ...flowing(record, simNow(view.clock, Date.now())).map(trafficKey)];
  }

  /**
   * Books the loops of a running round that has none (their job and index entry lost with a Redis
   * master, or a process killed between booking the steps and the tick): the round goes on looking
   * at its goals and its time limit, and the clients' requests go on. Steps whose jobs were lost
   * are the sweep's repair, like every timer.
   */
  async follow(view: ClassroomView): Promise<void> {
    if (view.phase !== 'running') return;
    const record = await this.fresh(view.id, true);
    if (record?.phase !== 'running' || record.startedAtSim === null) return;
    const { timers } = this.options.runtime;
    const pending = new Set((await timers.pending(view.id)).map((t) => t.key));
    const now = Math.floor(simNow(view.clock, Date.now()));
    if (!pending.has(ROUND_TICK)) {
      this.options.logger.warn({ classroomId: view.id }, 'a running round had no tick; booking it again');
      await timers.schedule(view.id, { kind: ROUND_TICK, key: ROUND_TICK, dueAt: now + TICK_MS, payload: { generation: record.generation } });
    }
    for (const service of flowing(record, now).filter((s) => !pending.has(trafficKey(s)))) {
      this.options.logger.warn({ classroomId: view.id, service }, "a running round's traffic to a Service had stopped; sending it again");
      await this.scheduleTraffic(view.id, record, service, now);
    }
  }

  // ---- the instructor's round requests (run inside the instructor's exclusive section) ----

  async runScenario(classroomId: string, scenarioId: string, seed: number | undefined, now: SimTime): Promise<Reply> {
    const scenario = await this.catalogue.find(classroomId, scenarioId);
    if (!scenario) return refuse('NotFound', `scenario "${scenarioId}" not found: GET /api/scenarios lists the built-in ones`);
    await this.pauseClass(classroomId);
    const record = await this.rebuild(classroomId, scenario, seed, now);
    await this.options.announce(classroomId, ['nodes', 'roles', 'clock']);
    await this.changed(classroomId, record);
    return { ok: true, message: `scenario "${scenario.title}" is ready: the class reads the briefing, then start the round` };
  }

  async startRound(classroomId: string): Promise<Reply> {
    const record = await this.fresh(classroomId);
    if (!record) return refuse('BadRequest', 'no round to start: pick a scenario first (runScenario)');
    if (record.phase !== 'briefing') return refuse('BadRequest', `the round is ${record.phase}: only a round in its briefing can start (restartRound plays it again)`);
    const scenario = await this.catalogue.find(classroomId, record.scenario);
    if (!scenario) return refuse('NotFound', `scenario "${record.scenario}" not found`);
    await this.begin(classroomId, scenario);
    return { ok: true, message: `the round "${scenario.title}" has started: ${scenario.timeLimitSeconds} s on the clock` };
  }

  async restartRound(classroomId: string, now: SimTime): Promise<Reply> {
    const record = await this.fresh(classroomId);
    if (!record) return refuse('BadRequest', 'no round to restart: pick a scenario first (runScenario)');
    const scenario = await this.catalogue.find(classroomId, record.scenario);
    if (!scenario) return refuse('NotFound', `scenario "${record.scenario}" not found`);
    await this.pauseClass(classroomId);
    await this.rebuild(classroomId, scenario, record.seed, now);
    await this.options.announce(classroomId, ['nodes', 'roles', 'clock']);
    await this.begin(classroomId, scenario);
    return { ok: true, message: `the round "${scenario.title}" starts again from its first cluster` };
  }

  /** The cluster went back to the class's first one (reset): the round is over and gone from every screen. */
  async clear(classroomId: string): Promise<void> {
    if (!(await this.records.read(classroomId))) return;
    this.batches.delete(classroomId);
    this.latched.delete(classroomId);
    this.settling.delete(classroomId);
    this.scenarios.delete(classroomId);
    await this.records.remove(classroomId);
    this.cache.set(classroomId, { record: null, readAt: Date.now() });
    await publishToAll(this.options.redis, this.channel, classroomId, `${classroomId} ${this.source}`);
  }

  /**
   * Why a fault cannot be made now, if it needs a round (traffic and the store live in the round's
   * record); called before the fault is made.
   */
  async faultRefusal(classroomId: string, fault: Fault): Promise<Refusal | null> {
    if (fault.type !== 'traffic' && fault.type !== 'trafficSpike' && fault.type !== 'readOnlyStore') return null;
    const record = await this.fresh(classroomId);
    if (!record || record.phase === 'won' || record.phase === 'lost') return refuse('BadRequest', `${fault.type} needs a round in play: pick a scenario first (runScenario)`);
    return null;
  }

  /** A fault was made (by the instructor or a scenario step): its effect on the round, and its mark, with whose it was. */
  async noteFault(classroomId: string, fault: Fault, message: string, now: SimTime, by: 'instructor' | 'scenario'): Promise<void> {
    const record = await this.records.update(classroomId, (r) => {
      if (!r) return null;
      if (fault.type === 'readOnlyStore') r.readOnly = fault.readOnly;
      if (fault.type === 'traffic') r.traffic[fault.service] = fault.perSecond;
      if (fault.type === 'trafficSpike') r.spikes[fault.service] = { perSecond: fault.perSecond, untilSim: now + fault.seconds * 1000 };
      if (r.startedAtSim !== null) mark(r, now, faultBreaks(fault) ? 'fault' : 'step', message, by);
      return r;
    });
    if (!record) return;
    if (record.phase === 'running' && (fault.type === 'traffic' || fault.type === 'trafficSpike')) await this.scheduleTraffic(classroomId, record, fault.service, now);
    await this.changed(classroomId, record);
  }

  /**
   * The same refusal for a path that can wait on a read (kubectl's writes): a process that holds no
   * recent copy of the round reads it first, so its first write is never let through on a cold cache.
   */
  async readOnlyRefusalNow(classroomId: string): Promise<Refusal | null> {
    const record = await this.fresh(classroomId);
    return record?.readOnly ? refuse('ServiceUnavailable', READ_ONLY_MESSAGE) : null;
  }

  /** While etcd is read-only every write is refused (the cached copy answers: no read per write). */
  readOnlyRefusal(classroomId: string): Refusal | null {
    const cached = this.cache.get(classroomId);
    if (!cached || Date.now() - cached.readAt > CACHE_MS) this.options.run('reading a round', async () => void (await this.fresh(classroomId, true)));
    return cached?.record?.readOnly ? refuse('ServiceUnavailable', READ_ONLY_MESSAGE) : null;
  }

  // ---- the round's life ----

  private async pauseClass(classroomId: string): Promise<void> {
    const run = await this.options.runtime.classrooms.read(classroomId);
    if (run?.run.phase === 'running') await this.options.runtime.classrooms.runCommand(classroomId, { kind: 'pause' });
  }

  /** The scenario's first cluster, a fresh record in its briefing, the tallies at zero. */
  private async rebuild(classroomId: string, scenario: Scenario, seed: number | undefined, now: SimTime): Promise<RoundRecord> {
    const previous = await this.records.read(classroomId);
    await buildScenarioCluster(this.options.runtime, classroomId, scenario, now);
    this.batches.delete(classroomId);
    this.settling.delete(classroomId);
    await this.records.clearTallies(classroomId);
    const record = newRecord(scenario.id, seed ?? previous?.seed ?? 1, (previous?.generation ?? 0) + 1);
    record.view = await this.compose(classroomId, record, scenario, null);
    await this.records.update(classroomId, () => record);
    return record;
  }

  /** The clock starts (or resumes); the steps, the traffic and the tick are booked on it. */
  private async begin(classroomId: string, scenario: Scenario): Promise<void> {
    const { classrooms, timers } = this.options.runtime;
    const before = await classrooms.read(classroomId);
    if (before?.run.phase === 'lobby') await classrooms.runCommand(classroomId, { kind: 'start' });
    else if (before?.run.phase === 'paused') await classrooms.runCommand(classroomId, { kind: 'resume' });
    const moment = await this.options.runtime.moment(classroomId);
    if (!moment) return;
    // The timers below are booked on the runtime's copy of the clock, which hears of the start only
    // when it is announced: left paused, they were booked parked and fired only once the sweep found
    // them (seconds late: the first step of etcd-read-only after the bots had finished).
    this.options.runtime.noteView(moment.view);
    const now = moment.now;
    const record = await this.records.update(classroomId, (r) => {
      if (!r) return null;
      r.phase = 'running';
      r.generation += 1;
      r.startedAt = new Date().toISOString();
      r.startedAtSim = now;
      mark(r, now, 'phase', `round started: ${scenario.title}`, 'instructor');
      return r;
    });
    if (!record) return;
    this.cache.set(classroomId, { record, readAt: Date.now() });
    await this.recordMarkers(classroomId, [{ kind: 'roundStart', label: `round started: ${scenario.title}` }], now);
    for (const [index, step] of scenario.steps.entries()) {
      // A step that waits on a condition is booked by the look that finds it holds.
      if (step.when !== undefined) continue;
      await timers.schedule(classroomId, { kind: ROUND_STEP, key: `${ROUND_STEP}:${index}`, dueAt: now + Math.round(step.at * 1000), payload: { index, generation: record.generation } });
    }
    await timers.schedule(classroomId, { kind: ROUND_TICK, key: ROUND_TICK, dueAt: now + TICK_MS, payload: { generation: record.generation } });
    // Traffic the instructor set during the briefing starts with the clock.
    for (const [service, rate] of Object.entries(record.traffic)) if (rate > 0) await this.scheduleTraffic(classroomId, record, service, now);
    await this.options.announce(classroomId, ['clock']);
    await this.evaluate(classroomId);
  }

  private async scheduleTraffic(classroomId: string, record: RoundRecord, service: string, now: SimTime): Promise<void> {
    const key = trafficKey(service);
    if ((await this.options.runtime.timers.pending(classroomId)).some((t) => t.key === key)) return;
    await this.options.runtime.timers.schedule(classroomId, { kind: ROUND_TRAFFIC, key, dueAt: now, payload: { service, generation: record.generation, carry: 0, next: 0 } });
  }

  private async step(classroomId: string, timer: SimTimer): Promise<void> {
    const { index, generation } = stepPayload.parse(timer.payload);
    const record = await this.fresh(classroomId, true);
    if (!record || record.phase !== 'running' || record.generation !== generation || !this.api) return;
    const scenario = await this.catalogue.find(classroomId, record.scenario);
    const step = scenario?.steps[index];
    const moment = await this.options.runtime.moment(classroomId);
    const instructor = moment?.view.members.find((m) => m.kind === 'instructor');
    if (!step || !instructor) return;
    const identity: Extract<Identity, { kind: 'instructor' }> = { kind: 'instructor', classroomId, memberId: instructor.id, name: instructor.name };
    const { reply, entry } = await this.api.instruct(identity, { kind: 'fault', fault: step.action }, 'scenario');
    if (!reply.ok) {
      this.options.logger.warn({ classroomId, step: index, reply }, 'a scenario step was refused');
      return;
    }
    // Goals `after` this step count from now on.
    const done = await this.records.update(classroomId, (r) => {
      if (r?.phase !== 'running' || r.generation !== generation) return false;
      (r.stepsDone ??= {})[index] ??= entry.simTime;
      return r;
    });
    if (done) {
      this.cache.set(classroomId, { record: done, readAt: Date.now() });
      if (this.options.owns(classroomId)) this.scheduleEvaluation(classroomId);
    }
  }

  /**
   * Clients' requests to a Service, from the nodes in turn: each request follows the rules
   * kube-proxy programmed on the node it starts on. A machine that is down sends none.
   */
  private async traffic(classroomId: string, timer: SimTimer): Promise<void> {
    const { service, generation, carry, next } = trafficPayload.parse(timer.payload);
    // This process's copy: every change of the record comes on the round channel.
    const record = await this.fresh(classroomId);
    if (!record || record.phase !== 'running' || record.generation !== generation || !this.api) return;
    const spike = record.spikes[service];
    const rate = (record.traffic[service] ?? 0) + (spike && spike.untilSim > timer.dueAt ? spike.perSecond : 0);
    if (rate <= 0) return;
    // The next batch first, so a failed batch never ends the traffic.
    const due = carry + (rate * TRAFFIC_PERIOD_MS) / 1000;
    const count = Math.floor(due);
    const [moment, state] = await Promise.all([this.options.runtime.moment(classroomId), this.options.runtime.state(classroomId)]);
    const nodes = (moment?.view.nodes ?? []).filter((node) => state.node(node) && !kubeletStopped(state, node));
    await this.options.runtime.timers.schedule(classroomId, {
      kind: ROUND_TRAFFIC,
      key: timer.key,
      dueAt: timer.dueAt + TRAFFIC_PERIOD_MS,
      payload: { service, generation, carry: due - count, next: nodes.length ? (next + count) % nodes.length : 0 },
    });
    const programmed = (node: string): boolean => state.proxyTable(node)?.status.services.some((s) => s.service === `default/${service}`) ?? false;
    for (let i = 0; i < count && nodes.length; i++) {
      const node = nodes[(next + i) % nodes.length] ?? '';
      // No rules for the Service on this node yet: the ClusterIP leads nowhere. The request fails
      // (availability counts it), but it is no API request, so no refusal in the class's request log.
      if (!programmed(node)) {
        this.batchOf(classroomId).routes++;
        continue;
      }
      await this.api.act({ kind: 'bot', classroomId, role: proxyRole(node) }, { kind: 'routeRequest', node, service }, { traffic: true });
    }
  }

  private async tick(classroomId: string, timer: SimTimer): Promise<void> {
    const { generation } = tickPayload.parse(timer.payload);
    const record = await this.fresh(classroomId);
    if (!record || record.phase !== 'running' || record.generation !== generation) return;
    await this.options.runtime.timers.schedule(classroomId, { kind: ROUND_TICK, key: ROUND_TICK, dueAt: timer.dueAt + TICK_MS, payload: { generation } });
    // Windows move and time runs out: a look in this batch (one already pending covers it).
    this.scheduleEvaluation(classroomId);
  }

  /** Every decided request: the player's tally, and a look at the goals once things settle. */
  private noteRequest(classroomId: string, entry: ApiRequestEntry): void {
    const cached = this.cache.get(classroomId);
    if (!cached || Date.now() - cached.readAt > CACHE_MS) {
      this.options.run('reading a round', async () => {
        const record = await this.fresh(classroomId, true);
        if (record?.phase === 'running') this.count(classroomId, entry);
      });
      return;
    }
    if (cached.record?.phase === 'running') this.count(classroomId, entry);
  }

  private count(classroomId: string, entry: ApiRequestEntry): void {
    if (this.options.owns(classroomId)) this.scheduleEvaluation(classroomId);
    if (entry.actor === 'instructor') return;
    const batch = this.batchOf(classroomId);
    if (entry.verb === 'routeRequest' && entry.actor.startsWith('bot:kube-proxy:')) {
      batch.routes++;
      if (entry.outcome === 'accepted' && entry.message.startsWith('served by ')) batch.served++;
      return;
    }
    const accepted = entry.outcome === 'accepted';
    const player = this.playerOf(batch, entry.actor, entry.actor.startsWith('bot:') ? `bot (${entry.role ?? ''})` : entry.actorName, entry.role === null ? null : (entry.role as PlayerTally['role']));
    if (!accepted) {
      player.refused++;
      batch.refusals.push(entry);
      return;
    }
    player.accepted++;
    player.lastAcceptedAt = Math.max(player.lastAcceptedAt ?? 0, entry.simTime);
    if (entry.verb !== 'bind') return;
    // Pending -> bound, read off the pod in this process's cache (the bind is in it: this process wrote it).
    this.options.run('counting a bind', async () => {
      const pod = (await this.options.runtime.state(classroomId)).pod(`default/${entry.target.slice('pods/'.length)}`);
      const created = pod?.metadata.creationTimestamp;
      if (!created) return;
      const later = this.playerOf(this.batchOf(classroomId), entry.actor, player.name, player.role);
      later.bindWaitMs += entry.simTime - fromRFC3339(created);
      later.binds++;
    });
  }

  /**
   * The kubelet renewed its node's Lease, or the container runtime finished a call on its own
   * timer: the work of the component, so it counts for whoever holds its seat now (the students of
   * the seat, or its bot when it plays). Not a move: it makes them achievers of the goals it
   * helped reach, never move points. Work of a seat nobody holds is nobody's.
   */
  private noteAutomatic(view: ClassroomView, role: Role, writes: number): void {
    if (writes === 0 || this.cache.get(view.id)?.record?.phase !== 'running') return;
    const seat = view.seats.find((s) => s.role === role);
    if (!seat) return;
    const batch = this.batchOf(view.id);
    if (seat.bot === 'playing') {
      this.playerOf(batch, `bot:${role}`, `bot (${role})`, role).automatic += writes;
      return;
    }
    for (const member of view.members) {
      if (member.kind === 'student' && seat.studentIds.includes(member.id)) this.playerOf(batch, `student:${member.id}`, member.name, role).automatic += writes;
    }
  }

  /**
   * Every batch of changes the owner's cache applies is looked at for the goals on the cluster's
   * state (in memory, no read): a goal that goes from unmet to met is marked at the simulated time
   * of the change that met it (the goals are read after each change of the batch, see GoalWatch) and
   * credited first to its writer, though the coalesced look comes a little later; one that goes
   * unmet forgets it. Windows over the request log move with time: the looks at each tick measure them.
   */
  private latch(classroomId: string, record: RoundRecord, batch: readonly WatchEvent[], state: ClusterState): void {
    let latched = this.latched.get(classroomId);
    if (latched?.generation !== record.generation) {
      latched = { generation: record.generation, goals: null, reached: new Map(), events: [], moments: new ClusterMoments(), found: [] };
      this.latched.set(classroomId, latched);
    }
    latched.events.push(...batch);
    for (const event of batch) for (const text of latched.moments.see(event)) latched.found.push({ atSim: event.simTime, text, actor: event.actor, object: event.object });
    const known = this.scenarios.get(classroomId);
    if (known?.id === record.scenario && known.generation === record.generation) return this.takeChanges(classroomId, record, known.scenario, state);
    // The round's first batch here: its scenario is read once (the changes wait, in order).
    this.options.run('latching goals', async () => {
      const scenario = await this.scenarioOf(classroomId, record);
      if (scenario) this.takeChanges(classroomId, record, scenario, await this.options.runtime.state(classroomId));
    });
  }

  /**
   * The changes latched since the last take, read for the goals they met. Synchronous, on the cache
   * as it is: it holds exactly those changes more than the last take's (each batch is latched as it
   * is applied), so a look that reads the cache takes them first and never finds a goal met by a
   * change not read yet (it credited no one's change for it).
   */
  private takeChanges(classroomId: string, record: RoundRecord, scenario: Scenario, state: ClusterState): void {
    const kept = this.latched.get(classroomId);
    const startedAtSim = record.startedAtSim;
    if (kept?.generation !== record.generation || startedAtSim === null) return;
    const goals = scenario.goals.flatMap((g) => {
      const parsed = parseCheck(g.check);
      return parsed.ok && !isWindowed(parsed.check) ? [{ id: g.id, check: parsed.check }] : [];
    });
    const events = kept.events.splice(0);
    const last = events.at(-1);
    if (!goals.length || !last) return;
    const reach = (id: string, cause: WatchEvent) => kept.reached.set(id, { atSim: Math.max(cause.simTime, startedAtSim), actor: cause.actor, object: cause.object });
    const watch = kept.goals?.state === state ? kept.goals.watch : null;
    // Unknown before the round's first look: that look tells a goal met from the start.
    const before = new Map(goals.map((g) => [g.id, watch ? watch.holdsNow(g.id) : record.goals[g.id]?.met]));
    const turned = watch?.see(events);
    // Read on the cache, each goal is as the watch has it, unless the watch missed a change.
    const missed = goals.filter((g) => watch?.holdsNow(g.id) !== evaluateCheck(g.check, state, [], last.simTime, startedAtSim).met);
    let current: GoalWatch<WatchEvent>;
    if (watch && turned && !missed.length) {
      for (const [id, cause] of turned) reach(id, cause);
      current = watch;
    } else {
      // The first read of this cache (the round's, this process's since it took the classroom, or
      // a fresh list), or a change the watch missed: the goals are read on the state after these
      // changes, not before each, and one known unmet before them is credited to the last change
      // of its object among them.
      if (watch) this.options.logger.warn({ classroomId, goals: missed.map((g) => g.id) }, 'the goals read change by change disagree with the cache: read again from it');
      current = new GoalWatch<WatchEvent>(goals, state);
      for (const goal of goals) {
        if (before.get(goal.id) === false && current.holdsNow(goal.id)) reach(goal.id, events.findLast((e) => concerns(goal.check, e.object)) ?? last);
      }
      kept.goals = { watch: current, state };
    }
    for (const goal of goals) if (!current.holdsNow(goal.id)) kept.reached.delete(goal.id);
  }

  private batchOf(classroomId: string): TallyBatch {
    let batch = this.batches.get(classroomId);
    if (!batch) {
      batch = emptyBatch();
      this.batches.set(classroomId, batch);
    }
    this.flushTimer ??= setTimeout(() => {
      this.flushTimer = null;
      this.options.run('counting requests', () => this.flush());
    }, FLUSH_MS);
    return batch;
  }

  private playerOf(batch: TallyBatch, actor: string, name: string, role: Role | null): PlayerBatch {
    let player = batch.players.get(actor);
    if (!player) {
      player = { name, role, accepted: 0, refused: 0, automatic: 0, bindWaitMs: 0, binds: 0 };
      batch.players.set(actor, player);
    }
    return player;
  }

  /** Every classroom's counts since the last flush, or one classroom's (before its owner looks). */
  private async flush(only?: string): Promise<void> {
    const ids = only === undefined ? [...this.batches.keys()] : [only];
    for (const classroomId of ids) {
      const batch = this.batches.get(classroomId);
      if (!batch) continue;
      this.batches.delete(classroomId);
      await this.records.flush(classroomId, batch);
    }
  }

  /** At most one look per batch of changes: a timer while none is pending, another look after one in flight. */
  private scheduleEvaluation(classroomId: string): void {
    const evaluation = this.evaluationOf(classroomId);
    if (evaluation.timer || evaluation.again) return;
    if (evaluation.running) {
      evaluation.again = true;
      return;
    }
    evaluation.timer = setTimeout(() => {
      evaluation.timer = null;
      this.options.run('evaluating a round', () => this.evaluate(classroomId));
    }, EVALUATE_BATCH_MS);
  }

  private evaluationOf(classroomId: string): Evaluation {
    let evaluation = this.evaluations.get(classroomId);
    if (!evaluation) {
      evaluation = { timer: null, running: null, again: false };
      this.evaluations.set(classroomId, evaluation);
    }
    return evaluation;
  }

  /** The goals now (one look at a time per classroom; a call during a look gets one more after it). */
  async evaluate(classroomId: string): Promise<void> {
    const evaluation = this.evaluationOf(classroomId);
    if (evaluation.timer) {
      clearTimeout(evaluation.timer);
      evaluation.timer = null;
    }
    if (evaluation.running) {
      evaluation.again = true;
      return evaluation.running;
    }
    const running = this.evaluateOnce(classroomId).finally(() => {
      evaluation.running = null;
      if (evaluation.again) {
        evaluation.again = false;
        this.scheduleEvaluation(classroomId);
      }
    });
    evaluation.running = running;
    return running;
  }

  /** The round's scenario, parsed once per run of the round (an uploaded one is read from Redis only then). */
  private async scenarioOf(classroomId: string, record: RoundRecord): Promise<Scenario | undefined> {
    const cached = this.scenarios.get(classroomId);
    if (cached?.id === record.scenario && cached.generation === record.generation) return cached.scenario;
    const scenario = await this.catalogue.find(classroomId, record.scenario);
    if (scenario) this.scenarios.set(classroomId, { id: record.scenario, generation: record.generation, scenario });
    return scenario;
  }

  /** The classroom as last heard on its change channel (no read), or read when not heard lately. */
  private async momentOf(classroomId: string): Promise<Moment | null> {
    const heard = this.views.get(classroomId);
    if (heard) return this.options.runtime.momentOf(heard);
    const moment = await this.options.runtime.moment(classroomId);
    if (moment) this.views.set(classroomId, moment.view);
    return moment;
  }

  /** Reached goals marked, the round won or lost, the view written and sent. */
  private async evaluateOnce(classroomId: string): Promise<void> {
    const { runtime } = this.options;
    const record0 = await this.fresh(classroomId);
    if (!record0 || record0.phase !== 'running' || record0.startedAtSim === null) return;
    const scenario = await this.scenarioOf(classroomId, record0);
    const moment = await this.momentOf(classroomId);
    if (!scenario || !moment) return;
    const now = moment.now;
    const state = await runtime.state(classroomId);
    const windows = scenario.goals.some((g) => g.check.includes(' over '));
    await this.flush(classroomId);
    const [requests, tallies, refusals] = await Promise.all([
      windows ? runtime.store.readRequestLog(classroomId, REQUESTS_READ) : [],
      this.records.tallies(classroomId),
      this.records.takeRefusals(classroomId),
    ]);
    const latched = this.latched.get(classroomId);
    let reached = new Map<string, Reached>();
    const found = latched?.generation === record0.generation ? latched.found.splice(0) : [];
    let ended = false;
    // What the session record keeps of this evaluation (the last attempt of the compare-and-set).
    const markers: { marker: RoundMarker; atSim: number }[] = [];
    // Steps whose condition held at this look, to book once the record says so.
    const due: { index: number; dueAt: number }[] = [];
    const record = await this.records.update(classroomId, (r) => {
      markers.length = 0;
      if (!r || r.phase !== 'running' || r.generation !== record0.generation || r.startedAtSim === null) return null;
      const startedAtSim = r.startedAtSim;
      // The changes the cache holds are read for the goals they met first: a goal met on the cache is met by one of them.
      this.takeChanges(classroomId, r, scenario, state);
      reached = latched?.generation === record0.generation ? new Map(latched.reached) : new Map<string, Reached>();
      // What the faults brought about, named by whoever's component wrote it (the node lifecycle controller, a kubelet).
      for (const seen of found) {
        const who = markWhoText(authorsOf(seen.actor, seen.object, moment.view).achievers);
        mark(r, Math.max(seen.atSim, startedAtSim), 'fault', seen.text, 'cluster', who || undefined);
      }
      const results: GoalResult[] = [];
      for (const goal of scenario.goals) {
        const stored = r.goals[goal.id];
        const firstMet = Object.fromEntries(Object.entries(r.goals).map(([id, g]) => [id, g.firstMetAtSim]));
        const from = countsFrom(goal, scenario, startedAtSim, r.stepsDone ?? {}, firstMet);
        if (from === undefined) {
          // It waits (for a fault, say): whatever holds now is not the class's answer to it yet.
          r.goals[goal.id] = {};
          results.push({ id: goal.id, text: goal.check, about: goalWords(goal), met: false, waitsFor: waitWords(goal, scenario) ?? '' });
          continue;
        }
        const result = evaluateGoal(goal, state, requests, now, from);
        results.push(result);
        const latched = reached.get(result.id);
        // A change before it began to count did not meet it.
        const cause = latched && latched.atSim >= from ? latched : undefined;
        const first = stored?.firstMetAtSim === undefined ? {} : { firstMetAtSim: stored.firstMetAtSim };
        if (!result.met) {
          // Reached once, undone since: the debrief keeps only a time it held from.
          if (stored?.metAtSim !== undefined && !stored.fromStart) {
            mark(r, now, 'goal', `goal no longer met: ${result.about}`, 'round');
            markers.push({ marker: { kind: 'goal', label: `goal no longer met: ${result.about}` }, atSim: now });
          }
          r.goals[result.id] = { met: false, ...first };
          continue;
        }
        // Met since the time stored, unless a change made it true again since (unmet between two looks).
        if (stored?.met && stored.metAtSim !== undefined && !(cause && cause.atSim > stored.metAtSim)) continue;
        if (stored?.met === undefined && !cause) {
          // Already true at the first look it counts at: true before anything happened (or before
          // what it waited for), nobody's doing.
          r.goals[result.id] = { met: true, metAtSim: from, firstMetAtSim: stored?.firstMetAtSim ?? from, fromStart: true, achievedBy: [], actors: [] };
          continue;
        }
        const parsed = parseCheck(result.text);
        // Whoever made the change that met it (a window over the request log is met by time passing:
        // no one change), and the players whose components did the work it depended on: all reached
        // it, unless the change was the scenario's step or the instructor's (then no player did).
        const author = cause ? authorsOf(cause.actor, cause.object, moment.view) : { actors: [], achievers: [] };
        const contributors = parsed.ok ? achievers(tallies.players, componentsOf(parsed.check)) : { actors: [], achievers: [] };
        const authors = credited(author, contributors);
        const atSim = cause ? Math.min(cause.atSim, now) : now;
        r.goals[result.id] = { met: true, metAtSim: atSim, firstMetAtSim: stored?.firstMetAtSim ?? atSim, achievedBy: authors.achievers, actors: authors.actors, ...(author.by ? { metBy: author.by } : {}) };
        // The mark says who made it true where a change did.
        if (author.by) mark(r, atSim, 'goal', `goal reached: ${result.about}`, author.by);
        else {
          const who = author.achievers.length ? author.achievers : contributors.achievers;
          mark(r, atSim, 'goal', `goal reached: ${result.about}`, 'cluster', markWhoText(who) || 'nobody');
        }
        markers.push({ marker: { kind: 'goal', label: `goal reached: ${result.about}` }, atSim });
      }
      due.length = 0;
      for (const [index, step] of scenario.steps.entries()) {
        if (step.when === undefined || r.stepsDue?.[index] !== undefined) continue;
        const when = parseCheck(step.when);
        if (!when.ok || !evaluateCheck(when.check, state, requests, now, startedAtSim).met) continue;
        const dueAt = now + Math.round(step.at * 1000);
        (r.stepsDue ??= {})[index] = dueAt;
        due.push({ index, dueAt });
      }
      addRefusalMarks(r, refusals);
      const allMet = results.every((g) => g.met);
      let endAt = now;
      const lastAllMet = r.allMetAtSim.at(-1);
      if (allMet && (lastAllMet === undefined || r.timeline.some((m) => isFaultMade(m) && m.atSeconds * 1000 + startedAtSim > lastAllMet))) r.allMetAtSim.push(now);
      if (allMet) {
        r.phase = 'won';
        mark(r, now, 'phase', 'round won: every goal met', 'round');
        markers.push({ marker: { kind: 'roundEnd', label: 'round won: every goal met' }, atSim: now });
      } else if (now - startedAtSim >= scenario.timeLimitSeconds * 1000) {
        r.phase = 'lost';
        // Time was up at the limit, not at this look (seconds later at x10 on a busy server): the
        // debrief said "time ran out in 6:43" under a clock stopped at 6:40 / 6:40.
        endAt = startedAtSim + scenario.timeLimitSeconds * 1000;
        mark(r, endAt, 'phase', `time is up (${scenario.timeLimitSeconds} s)`, 'round');
        markers.push({ marker: { kind: 'roundEnd', label: `round lost: time is up (${scenario.timeLimitSeconds} s)` }, atSim: endAt });
      }
      if (r.phase !== 'running') {
        ended = true;
        r.endedAt = new Date().toISOString();
        r.endedAtSim = endAt;
      }
      r.view = composeView(r, scenario, results, tallies, moment.view, state, now);
      return r;
    }).catch((error: unknown) => {
      // Not written (Redis gone): the moments taken for it wait for the next look, not lost with this one.
      if (latched?.generation === record0.generation) latched.found.unshift(...found);
      throw error;
    });
    if (!record) return;
    // Taken into the record: a later look sees only newer changes.
    for (const [id, cause] of reached) if (latched?.reached.get(id) === cause) latched.reached.delete(id);
    for (const { marker, atSim } of markers) await this.recordMarkers(classroomId, [marker], atSim);
    for (const { index, dueAt } of due) {
      await runtime.timers.schedule(classroomId, { kind: ROUND_STEP, key: `${ROUND_STEP}:${index}`, dueAt, payload: { index, generation: record.generation } });
    }
    // The round is over: the class stops with it (timers and bots freeze), the debrief stays up.
    if (ended) {
      // Nothing more is latched for this round: its memory goes with it.
      this.latched.delete(classroomId);
      this.scenarios.delete(classroomId);
      if (record.phase === 'won') await this.settle(classroomId, record.generation, state, now, moment.view);
      else {
        await this.pauseClass(classroomId);
        await this.options.announce(classroomId, ['clock']);
      }
    }
    await this.changed(classroomId, record);
  }

  /**
   * A round won on a change kube-proxy has yet to sync (the last pod Ready, so a new endpoint)
   * ends there, its clock and scores with it, but its class stands still only once the bots'
   * kube-proxies have programmed their rules: frozen at once, the debrief's map showed "rules to
   * sync" on every node beside goals all met, for good. Their sync is due within minSyncPeriod and
   * a bot makes it at its next move. A student's kube-proxy is not waited for (no move counts after
   * the win: what they left undone shows as it is), nor a bot lagging past SETTLE_MS. A round
   * lost on time stands still at the bell.
   */
  private async settle(classroomId: string, generation: number, state: ClusterState, now: SimTime, view: ClassroomView): Promise<void> {
    const nodes = view.seats.flatMap((s) => (s.bot === 'playing' && s.role.startsWith('kube-proxy:') ? [s.role.slice('kube-proxy:'.length)] : []));
    if (rulesSynced(state, nodes, now)) {
      await this.pauseClass(classroomId);
      await this.options.announce(classroomId, ['clock']);
      return;
    }
    this.settling.set(classroomId, { generation, nodes });
    const dueAt = now + (PROXY_SYNC_DELAY_SECONDS + view.botPace.secondsPerAction) * 1000 + SETTLE_MS;
    await this.options.runtime.timers.schedule(classroomId, { kind: ROUND_FREEZE, key: ROUND_FREEZE, dueAt: Math.ceil(dueAt), payload: { generation } });
  }

  /** The won round's class stands still (kube-proxy synced, or its time to is up); once. */
  private async freeze(classroomId: string, generation: number): Promise<void> {
    if (this.settling.get(classroomId)?.generation === generation) this.settling.delete(classroomId);
    const record = await this.fresh(classroomId, true);
    if (record?.generation !== generation || record.phase !== 'won') return;
    await this.options.runtime.timers.cancel(classroomId, ROUND_FREEZE);
    const run = await this.options.runtime.classrooms.read(classroomId);
    if (run?.run.phase !== 'running') return;
    await this.pauseClass(classroomId);
    await this.options.announce(classroomId, ['clock']);
  }

  private async compose(classroomId: string, record: RoundRecord, scenario: Scenario, now: SimTime | null): Promise<RoundView> {
    const moment = await this.options.runtime.moment(classroomId);
    const results = scenario.goals.map((g): GoalResult => {
      const waitsFor = waitWords(g, scenario);
      return waitsFor === undefined ? { id: g.id, text: g.check, about: goalWords(g), met: false } : { id: g.id, text: g.check, about: goalWords(g), met: false, waitsFor };
    });
    return composeView(record, scenario, results, { players: [], routes: 0, served: 0 }, moment?.view ?? null, null, now ?? moment?.now ?? 0);
  }

  /** Round starts, goals and ends go into the session record, so a replay's timeline marks them (a goal at the change that met it). */
  private async recordMarkers(classroomId: string, markers: readonly RoundMarker[], now: SimTime): Promise<void> {
    for (const marker of markers) await this.options.runtime.store.appendMarker(classroomId, marker, { actor: 'system:rounds', simTime: now });
  }

  /** A new record: cached here, and every process told (each sends it to its own sockets). */
  private async changed(classroomId: string, record: RoundRecord): Promise<void> {
    this.cache.set(classroomId, { record, readAt: Date.now() });
    await publishToAll(this.options.redis, this.channel, classroomId, `${classroomId} ${this.source}`);
  }

  /** Sends the round to this process's screens; a change this process wrote is in its copy already. */
  private async emitLocal(classroomId: string, clock: SimClock | null, own: boolean): Promise<void> {
    const record = await this.fresh(classroomId, !own);
    if (!record) {
      // Only a removed round is news; a classroom that never had one stays quiet on clock changes.
      if (clock === null) for (const listener of this.listeners) listener(classroomId, null);
      return;
    }
    const view = await this.view(classroomId, clock ?? undefined);
    for (const listener of this.listeners) listener(classroomId, view);
  }

  /** The record, from this process's copy when it is recent (or always read with `force`). */
  private async fresh(classroomId: string, force = false): Promise<RoundRecord | null> {
    const cached = this.cache.get(classroomId);
    if (!force && cached && Date.now() - cached.readAt < CACHE_MS) return cached.record;
    const record = await this.records.read(classroomId);
    this.cache.set(classroomId, { record, readAt: Date.now() });
    return record;
  }
}

/** No running kube-proxy of these nodes has rules to program: each routes to the Services' endpoints. */
function rulesSynced(state: ClusterState, nodes: readonly string[], now: SimTime): boolean {
  return nodes.every((node) => !state.node(node) || kubeProxyStopped(state, node) || staleRules(state, node, now).length === 0);
}

/**
 * Refusals since the last look, one mark per player and burst, the first move named as its button
 * names it ("refused: bind pods/web-4" named the action's kind, a word no student saw).
 */
export function addRefusalMarks(record: RoundRecord, refusals: readonly ApiRequestEntry[]): void {
  if (record.startedAtSim === null) return;
  const start = record.startedAtSim;
  const bursts = new Map<string, { first: ApiRequestEntry; count: number }>();
  const flush = (actor: string) => {
    const burst = bursts.get(actor);
    if (!burst) return;
    const who = burst.first.actor.startsWith('bot:') ? `bot (${burst.first.role ?? ''})` : burst.first.actorName;
    mark(record, burst.first.simTime, 'refusal', `${burst.count > 1 ? `${burst.count} refusals` : 'refused'}: "${requestLabel(burst.first)}" (${burst.first.code ?? ''}) ${burst.first.message}`.slice(0, 240), 'cluster', who);
    bursts.delete(actor);
  };
  for (const entry of refusals) {
    if (entry.simTime < start) continue;
    const burst = bursts.get(entry.actor);
    if (burst && entry.simTime - burst.first.simTime <= REFUSAL_MARK_GAP_S * 1000) burst.count++;
    else {
      flush(entry.actor);
      bursts.set(entry.actor, { first: entry, count: 1 });
    }
  }
  for (const actor of [...bursts.keys()]) flush(actor);
}

/** Mean bound -> Running per node, from the pods themselves (PodScheduled to the container's start). */
function boundToRunning(state: ClusterState | null): BoundToRunning {
  const out: BoundToRunning = {};
  if (!state) return out;
  for (const pod of state.list('Pod') as Iterable<Pod>) {
    const node = pod.spec.nodeName;
    const scheduled = getCondition(pod.status?.conditions, 'PodScheduled')?.lastTransitionTime;
    const container = pod.status?.containerStatuses?.[0]?.state;
    const started = container && 'running' in container ? container.running.startedAt : undefined;
    if (node === undefined || !scheduled || !started) continue;
    const entry = (out[node] ??= { totalMs: 0, pods: 0 });
    entry.totalMs += Math.max(0, fromRFC3339(started) - fromRFC3339(scheduled));
    entry.pods++;
  }
  return out;
}

function composeView(
  record: RoundRecord,
  scenario: Scenario,
  results: readonly GoalResult[],
  tallies: { players: PlayerTally[]; routes: number; served: number },
  classroom: ClassroomView | null,
  state: ClusterState | null,
  now: SimTime,
): RoundView {
  const start = record.startedAtSim;
  const seconds = (sim: number): number => (start === null ? 0 : round1((sim - start) / 1000));
  const goals = results.map((g) => {
    const stored = g.met ? record.goals[g.id] : undefined;
    return {
      ...g,
      ...(stored?.metAtSim === undefined ? {} : { metAtSeconds: seconds(stored.metAtSim) }),
      ...(stored?.achievedBy ? { achievedBy: stored.achievedBy } : {}),
      ...(stored?.fromStart ? { heldFromStart: true } : {}),
      ...(stored?.metBy ? { metBy: stored.metBy } : {}),
    };
  });
  // 20 points for each goal met now, to every player who reached it (the change's author, the contributors).
  const goalActors = results.flatMap((g) => (g.met ? [record.goals[g.id]?.actors ?? []] : []));
  const scores = scorePlayers({ tallies: tallies.players, boundToRunning: boundToRunning(state), goalActors });
  const students = (classroom?.members ?? []).filter((m) => m.kind === 'student').map((m) => ({ id: m.id, name: m.name, role: m.role }));
  const view: RoundView = {
    scenario: scenario.id,
    title: scenario.title,
    objective: scenario.objective,
    briefing: scenario.briefing,
    phase: record.phase,
    seed: record.seed,
    goals,
    startedAt: record.startedAt,
    startedAtSim: start,
    elapsedSeconds: start === null ? 0 : seconds(record.endedAtSim ?? now),
    timeLimitSeconds: scenario.timeLimitSeconds,
    scores,
    teams: scoreTeams(scores),
    activity: start === null ? [] : activityOf(students, tallies.players, now, start),
    timeline: record.timeline,
  };
  if (record.endedAt !== undefined) view.endedAt = record.endedAt;
  if (record.endedAtSim !== undefined) view.endedAtSim = record.endedAtSim;
  if (record.phase === 'won' || record.phase === 'lost') {
    const faults = record.timeline.filter(isFaultMade);
    view.debrief = {
      points: scenario.debrief,
      ...(tallies.routes > 0 ? { availability: Math.round((tallies.served / tallies.routes) * 1000) / 1000 } : {}),
      recoveries: recoveries(
        faults,
        record.allMetAtSim.map(seconds),
        scenario.goals.map((g) => {
          const first = record.goals[g.id]?.firstMetAtSim;
          return first === undefined ? undefined : seconds(first);
        }),
      ),
    };
  }
  return view;
}

/** The stored view as of the clock now: a paused class shows a paused round, the clock stands still. */
export function liveView(record: RoundRecord, view: RoundView, clock: SimClock): RoundView {
  const running = record.phase === 'running';
  const phase = running && clock.paused ? 'paused' : view.phase;
  const start = record.startedAtSim;
  const elapsedSeconds = start === null ? 0 : round1(((record.endedAtSim ?? simNow(clock, Date.now())) - start) / 1000);
  // etcd's state from the record: the fault changes it without composing a new view.
  const etcd = record.readOnly ? { etcdReadOnly: true as const } : {};
  return { ...view, phase, elapsedSeconds: running || record.endedAtSim !== undefined ? elapsedSeconds : view.elapsedSeconds, ...etcd };
}
