/**
 * The request executor: a classroom's moves (a student's action, a bot's pass, a timer's step) as
 * `shared/sim` steps, written through the store with the actor and the simulated time, their
 * timers booked in the owner's memory (jobs/local-timers.ts). Moves of one component run one at a time in this process; across
 * components and processes the store's resourceVersion preconditions settle races, as etcd does for Kubernetes.
 */
import type { KubeObject, Persisted, SimTime } from '@shared/model';
import { simNow, type ClassroomView, type Refusal, type Role } from '@shared/protocol';
import { decisionRng, isApiRequest, seededRng, type ApiRequest, type ClusterState, type Rng, type Step } from '@shared/sim';
import type { ClassroomRepository } from '../classroom/repository';
import type { RunState } from '../classroom/run-state';
import type { LocalTimers } from '../jobs/local-timers';
import type { SimTimerService } from '../jobs/sim-timer-service';
import type { Logger } from '../logger';
import { GuardMoved, isApiError, type Guard, type LoggedRequest, type ObjectStore, type WriteContext } from '../store';
import type { ChangeListener, Informers } from './informers';
import type { ClusterClaims } from './cluster-claim';
import { asUnavailable, isConnectionError } from '../redis/unavailable';
import { refusalOf } from './refusal';
import { writeRequest } from './write-request';
import { RecentMap } from './recent-map';

export interface ClusterRuntimeOptions {
  store: ObjectStore;
  timers: SimTimerService;
  /** The sim timers of the classrooms this process owns. */
  simTimers: LocalTimers;
  classrooms: ClassroomRepository;
  informers: Informers;
  claims: ClusterClaims;
  logger: Logger;
}

/** The room and its simulated now, read together for one decision. */
export interface Moment {
  view: ClassroomView;
  now: SimTime;
}

export interface ApplyOutcome {
  written: Persisted<KubeObject>[];
  /** Every request tried, with its refusal if it had one (the request log shows them). */
  requests: { request: ApiRequest; refusal: Refusal | null }[];
  /** The first refusal; with `stopAtRefusal` nothing after it was tried. */
  refusal: Refusal | null;
}

const RUN_STATE_TTL_MS = 5000;

/**
 * How many times a move whose write met a Conflict is decided again on a cache holding the write
 * that won (see `catchUp`), as a controller requeues: each lost race means another component wrote.
 */
export const CONFLICT_RETRIES = 3;

/** The Event creates that follow the write at `at` in a move, up to its next step of another kind. */
function reportsAfter(steps: readonly Step[], at: number): ApiRequest[] {
  const events: ApiRequest[] = [];
  for (let next = at + 1; next < steps.length; next++) {
    const step = steps[next] as Step;
    if (!isApiRequest(step) || step.verb !== 'create' || step.kind !== 'Event') break;
    events.push(step);
  }
  return events;
}

export class ClusterRuntime {
  readonly store: ObjectStore;
  readonly timers: SimTimerService;
  readonly simTimers: LocalTimers;
  readonly classrooms: ClassroomRepository;
  /** Who builds the classroom's cluster (a bootstrap, a scenario, a reset): one build at a time. */
  readonly claims: ClusterClaims;
  readonly logger: Logger;
  private readonly informers: Informers;
  private readonly queues = new Map<string, Promise<unknown>>();
  /** Each classroom's phase and clock as last announced or read (every classroom's, on every process). */
  private readonly runs = new RecentMap<RunState>(RUN_STATE_TTL_MS);
  /** Refuses every write while it answers (the round's read-only etcd); set once by the rounds. */
  writeGuard: ((classroomId: string) => Refusal | null) | null = null;

  constructor(options: ClusterRuntimeOptions) {
    this.store = options.store;
    this.timers = options.timers;
    this.simTimers = options.simTimers;
    this.classrooms = options.classrooms;
    this.claims = options.claims;
    this.logger = options.logger;
    this.informers = options.informers;
  }

  /**
   * Runs `work` after the previous move of the same component of the classroom in this process
   * settled: one component's read-decide-write stays whole (a double click never decides twice on
   * the same copy), while different components act side by side, as Kubernetes' do.
   */
  exclusive<T>(classroomId: string, component: string, work: () => Promise<T>): Promise<T> {
    const key = `${classroomId}\u0000${component}`;
    const previous = this.queues.get(key) ?? Promise.resolve();
    const next = previous.then(work, work);
    const tail = next.catch(() => undefined);
    this.queues.set(key, tail);
    void tail.then(() => {
      if (this.queues.get(key) === tail) this.queues.delete(key);
    });
    return next;
  }

  /**
   * The classroom's phase and clock for a student's move, without a read: as last announced (every
   * process hears every classroom change), read again when older than RUN_STATE_TTL_MS in case an
   * announcement was lost with a Redis reconnect.
   */
  async run(classroomId: string): Promise<RunState | null> {
    const cached = this.runs.get(classroomId);
    if (cached) return cached;
    const record = await this.classrooms.read(classroomId);
    if (record) this.runs.set(classroomId, record.run);
    return record?.run ?? null;
  }

  /** A classroom change was announced: its view carries the new phase and clock. */
  noteView(view: ClassroomView): void {
    this.runs.set(view.id, { phase: view.phase, clock: view.clock });
  }

  async moment(classroomId: string): Promise<Moment | null> {
    const view = await this.classrooms.view(classroomId);
    return view && this.momentOf(view);
  }

  /** A view just read, at the simulated time of now. */
  momentOf(view: ClassroomView): Moment {
    return { view, now: Math.floor(simNow(view.clock, Date.now())) };
  }

  /** The loops' cache of the classroom, current as of this call; read it before the next await. */
  state(classroomId: string): Promise<ClusterState> {
    return this.informers.state(classroomId);
  }

  /**
   * A write met a Conflict: another component's change is in the store and maybe not yet in this
   * process's cache. The next decision waits for the cache to hold the store's version as of now,
   * so a requeued move is decided on a copy that has that change (not refused again on the old one).
   */
  async catchUp(classroomId: string): Promise<void> {
    this.informers.reach(classroomId, await this.store.resourceVersion(classroomId));
  }

  /** A batch of changes reached the classroom's cache (the owner's control loops' copy), written at `simTime`; returns the unsubscribe. */
  onStateChange(listener: ChangeListener): () => void {
    return this.informers.onChange(listener);
  }

  /**
   * A component wrote on its own loop, no player's move (the kubelet's heartbeat, a container
   * runtime's call finishing on its timer): set once by the rounds, which count it for the seat.
   */
  automaticWork: ((view: ClassroomView, role: Role, writes: number) => void) | null = null;

  /** The seed of the classroom's round, when one was picked (set by the round service). */
  roundSeed: ((classroomId: string) => number | null) | null = null;

  /**
   * The randomness of one decision (pod name suffixes, score ties). In a round it is drawn from the
   * round's seed, the state version the decision is made on and who decides, so every process agrees
   * and the same seed makes the same draws for the same history; outside a round, a fresh seed.
   */
  rng(classroomId: string, state: ClusterState, decider: string): Rng {
    const seed = this.roundSeed?.(classroomId) ?? null;
    if (seed === null) return seededRng(Math.floor(Math.random() * 2 ** 32));
    return decisionRng(seed, state.resourceVersion, decider);
  }

  /**
   * Requests of several components, each by its own actor, in one store write (see
   * ObjectStore.applyEach: each its own resourceVersion and watch event): every due node's Lease
   * renewal of a heartbeat. Resolves to each request's refusal, or null where it was written.
   */
  async applyEach(classroomId: string, writes: readonly { request: ApiRequest; actor: string }[], simTime: SimTime): Promise<(Refusal | null)[]> {
    if (!writes.length) return [];
    const blocked = this.writeGuard?.(classroomId) ?? null;
    if (blocked) return writes.map(() => blocked);
    try {
      const results = await this.store.applyEach(classroomId, writes, { simTime });
      const versions = results.flatMap((r) => (isApiError(r) ? [] : [Number(r.metadata.resourceVersion)]));
      if (versions.length) this.informers.reach(classroomId, String(Math.max(...versions)));
      return results.map((r) => (isApiError(r) ? refusalOf(r) : null));
    } catch (error) {
      if (isConnectionError(error)) throw asUnavailable(error);
      throw error;
    }
  }

  /**
   * Writes the requests in order and schedules the timers; refusals are returned, never thrown.
   * `request`: the API request the steps carry out, whose log entry rides with the last write.
   * `guard`: the move is made only while it holds, checked once before its first effect (in the
   * first write's own script, or with a read before a timer or a move that writes nothing), as the
   * seat check was made once before the move; GuardMoved is thrown then, with nothing done.
   */
  async apply(
    classroomId: string,
    steps: readonly Step[],
    context: WriteContext,
    { stopAtRefusal = false, request, guard }: { stopAtRefusal?: boolean; request?: LoggedRequest; guard?: Guard } = {},
  ): Promise<ApplyOutcome> {
    const outcome: ApplyOutcome = { written: [], requests: [], refusal: null };
    const lastWrite = request ? steps.findLast(isApiRequest) : undefined;
    let unchecked = guard;
    /** The guard checked with a read, once, before an effect that is not a guarded write. */
    const checkOnce = async (): Promise<void> => {
      if (unchecked) await this.store.checkGuard(unchecked);
      unchecked = undefined;
    };
    for (let at = 0; at < steps.length; at++) {
      const step = steps[at] as Step;
      if (!isApiRequest(step)) {
        await checkOnce();
        // Kept only by the classroom's owner. Elsewhere (a student's move on another process) a
        // world timer reaches the owner through the change that owes it (owner-timers.ts), and any
        // other only wakes a bot early, whose own tick comes a period later.
        this.simTimers.schedule(classroomId, [step.timer]);
        continue;
      }
      const blocked = this.writeGuard?.(classroomId) ?? null;
      if (blocked) {
        // A refusal answers a guarded move only while its guard holds, as a write does.
        await checkOnce();
        outcome.requests.push({ request: step, refusal: blocked });
        outcome.refusal ??= blocked;
        if (stopAtRefusal) return outcome;
        continue;
      }
      // The Events that report this write go with it, in one script (a move that stops at a refusal
      // writes none of them after a refused write either).
      const events = stopAtRefusal ? reportsAfter(steps, at) : [];
      const contextOf = (last: ApiRequest): WriteContext => {
        const own = last === lastWrite ? { ...context, request } : context;
        return unchecked ? { ...own, guard: unchecked } : own;
      };
      try {
        const batch = events.length ? await this.store.applyWithEvents(classroomId, step, events, contextOf(events.at(-1) ?? step)) : null;
        if (batch) at += events.length;
        const written = batch ?? [await writeRequest(this.store, classroomId, step, contextOf(step))];
        unchecked = undefined;
        this.informers.reach(classroomId, written.at(-1)?.metadata.resourceVersion ?? '0');
        outcome.written.push(...written);
        outcome.requests.push(...[step, ...(batch ? events : [])].map((r) => ({ request: r, refusal: null })));
      } catch (error) {
        // Redis gone mid-way is no refusal to record: the caller's work failed (a timer runs again).
        if (isConnectionError(error)) throw asUnavailable(error);
        if (error instanceof GuardMoved) throw error;
        await checkOnce();
        const refusal = refusalOf(error);
        outcome.requests.push({ request: step, refusal });
        outcome.refusal ??= refusal;
        // A loop that decided on a copy that moved on looks again at its next pass.
        if (stopAtRefusal) return outcome;
      }
    }
    await checkOnce();
    return outcome;
  }
}

