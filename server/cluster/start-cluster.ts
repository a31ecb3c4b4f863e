/**
 * The cluster half of the server, built in dependency order: store -> timers (BullMQ in simulated
 * time) -> caches (informers) -> runtime -> API server -> bots and kubelet heartbeats. It knows
 * nothing of sockets: the gateway and the HTTP routes call the API server it returns.
 */
import { simNow, type ClassroomView, type SimClock } from '@shared/protocol';
import { owedWorldTimers } from '@shared/sim';
import { clockChanged, seatsChanged, type ClassroomChangeReason, type ClassroomChanges } from '../classroom/changes';
import type { ClassroomRepository } from '../classroom/repository';
import { BotPlayers } from '../bots/bot-players';
import { LocalTimers } from '../jobs/local-timers';
import { SimLoops } from '../jobs/sim-loops';
import { SimTimerService } from '../jobs/sim-timer-service';
import type { Logger } from '../logger';
import type { RedisClient } from '../redis/connect';
import { ObjectStore } from '../store';
import { ApiServer } from './api-server';
import { bootstrapCluster } from './bootstrap';
import { ClusterClaims } from './cluster-claim';
import { ClusterRuntime } from './cluster-runtime';
import { KubeletHeartbeats } from './heartbeats';
import { processHeartbeatKey } from '../classroom/keys';
import { ClassroomLeases } from './classroom-leases';
import { Informers } from './informers';
import { electLeaders } from './leader-election';
import { OwnerTimers } from './owner-timers';
import { fireSimTimer, registerSimTimerHandlers } from './timer-handlers';
import { TimerRouting } from './timer-routing';
import { TimerSweep } from './timer-sweep';
import { ScenarioCatalogue } from '../rounds/catalogue';
import { RoundService } from '../rounds/round-service';
import { ClassGroups } from '../rounds/class-groups';

export interface ClusterOptions {
  redis: RedisClient;
  /** This process's id in the process registry; it names the classroom leases it holds. */
  serverId: string;
  keyPrefix: string;
  logger: Logger;
  classrooms: ClassroomRepository;
  changes: ClassroomChanges;
  /** Tells every process and screen that the classroom changed (a node added: new seats). */
  announce(classroomId: string, reasons: ClassroomChangeReason[]): Promise<void>;
  /** Background work the shutdown waits for. */
  run(what: string, work: () => Promise<void>): void;
  /** Timer queues on a Redis Cluster (REDIS_CLUSTER_TIMER_QUEUES). */
  timerLanes?: number;
  /** REDIS_WRITE_REPLICAS and its timeout (see store/replica-wait.ts). */
  writeReplicas?: { writeReplicas: number; writeReplicasTimeoutMs: number };
}

export interface Cluster {
  store: ObjectStore;
  runtime: ClusterRuntime;
  api: ApiServer;
  /** Rounds: scenarios, their clock, goals, scores and debrief. */
  rounds: RoundService;
  /** The class split into groups, each playing its own cluster. */
  groups: ClassGroups;
  /** Bots playing a seat in the running classrooms this process owns (for /metrics). */
  botsPlaying(): number;
  /** Classrooms whose control work this process owns, and classrooms it keeps a cache of (for /metrics). */
  classroomsOwned(): number;
  classroomsCached(): number;
  /** Sim timers pending in this process's memory (for /metrics). */
  simTimers(): number;
  /** Whether this process owns the classroom's control work now. */
  owns(classroomId: string): boolean;
  /** A server process stopped beating (reaped): what it kept for itself in Redis goes. */
  forgetProcess(serverId: string): Promise<void>;
  /** Creates the classroom's first cluster the first time anyone looks at it. */
  ensureCluster(classroomId: string): Promise<void>;
  /** Stops the timer worker (after the gateway closed), then the caches and the store's watch. */
  close(): Promise<void>;
}

/**
 * BullMQ timer jobs a process runs at once (a round's steps, ticks and traffic; a round's step
 * waits on Redis round trips). Handlers are reconcile steps: the store's resourceVersion checks
 * settle their races, and one component's moves stay in order through the runtime's
 * per-component queue.
 */
const TIMER_CONCURRENCY = 16;
const FOLLOW_ATTEMPTS = 5;
const FOLLOW_RETRY_MS = 1000;

async function retry(attempts: number, delayMs: number, work: () => Promise<void>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}

/** A classroom that is gone has a clock that stands still: its timers are parked, never fired. */
const STOPPED: SimClock = { simAtWall: 0, wall: 0, timeScale: 1, paused: true };

export async function startCluster({ redis, serverId, keyPrefix, logger, classrooms, changes, announce, run, timerLanes, writeReplicas }: ClusterOptions): Promise<Cluster> {
  const store = new ObjectStore({ redis, keyPrefix, logger, ...writeReplicas });
  const informers = new Informers(store);
  // Filled in below: taking a classroom over starts its loops, which need the bots and the sweep.
  let takeOver: (view: ClassroomView) => Promise<void> = async () => {};
  const leases = new ClassroomLeases({
    redis,
    keyPrefix,
    serverId,
    classrooms,
    logger,
    acquired: (view) => takeOver(view),
    released: (classroomId) => {
      simTimers.stop(classroomId);
      informers.drop(classroomId);
      store.forgetClassroom(classroomId);
      bots.release(classroomId);
      heartbeats.release(classroomId);
    },
  });
  const routing = new TimerRouting({ redis, keyPrefix, serverId, logger, ownerOf: (id) => leases.ownerOf(id) });
  const timers = new SimTimerService({
    redis,
    keyPrefix,
    logger,
    ...(timerLanes ? { clusterLanes: timerLanes } : {}),
    concurrency: TIMER_CONCURRENCY,
    // The clock as last announced (ClusterRuntime.run), not a read of the whole classroom per timer:
    // a fire decided on a clock a moment old is checked again (isDue) and parked or moved if need be.
    clocks: { getClock: async (id): Promise<SimClock> => (await runtime.run(id))?.clock ?? STOPPED },
    route: (classroomId, fired, local) => routing.route(classroomId, fired, local),
    // Each process takes only the jobs of the classrooms it owns: a second process divides the
    // timer work instead of waking for every job and handing half of them over (see takeOver for
    // the kubelets' heartbeats when an owner dies).
    owners: {
      serverId,
      ownerOf: (id) => leases.ownerOf(id),
      isAlive: async (id) => (await redis.exists(processHeartbeatKey(keyPrefix, id))) === 1,
    },
  });
  const claims = new ClusterClaims(redis, keyPrefix);
  const simTimers: LocalTimers = new LocalTimers((classroomId, timer): Promise<void> => fireSimTimer(runtime, (id, role) => bots.wake(id, role), classroomId, timer), logger);
  const runtime = new ClusterRuntime({ store, timers, simTimers, classrooms, informers, claims, logger });
  const ownerTimers = new OwnerTimers(runtime, simTimers, (classroomId) => leases.owns(classroomId));
  const rounds = new RoundService({ runtime, redis, keyPrefix, catalogue: new ScenarioCatalogue(redis, keyPrefix), changes, announce, logger, run, owns: (classroomId) => leases.owns(classroomId) });
  const api = new ApiServer({ runtime, announce, rounds });
  rounds.attach(api);
  const groups = new ClassGroups({ redis, keyPrefix, classrooms, api, rounds, runtime, announce });
  rounds.register();
  await rounds.start();
  // The class reads every request; the log is appended off the request's path.
  api.onRequest((classroomId, entry, committedAt) => {
    if (committedAt === undefined) run('logging an API request', () => store.appendRequestLog(classroomId, entry));
  });
  const loops = new SimLoops(logger);
  const bots = new BotPlayers(runtime, api, loops, (classroomId) => leases.owns(classroomId));
  const heartbeatLoops = new SimLoops(logger, 'kubelet heartbeats');
  const heartbeats = new KubeletHeartbeats(runtime, heartbeatLoops, (classroomId) => leases.owns(classroomId));
  registerSimTimerHandlers(runtime, (classroomId, role) => bots.wake(classroomId, role));
  ownerTimers.register();
  bots.register();
  heartbeats.register();
  await routing.start((classroomId, fired) => timers.runHanded(classroomId, fired));
  await timers.start();
  const bootstrapped = new Set<string>();

  async function ensureCluster(classroomId: string): Promise<void> {
    if (bootstrapped.has(classroomId)) return;
    const record = await classrooms.read(classroomId);
    if (!record) return;
    await bootstrapCluster(store, claims, classroomId, record.nodes, Math.floor(simNow(record.run.clock, Date.now())));
    bootstrapped.add(classroomId);
  }

  /**
   * What a seat change starts: the control-plane Leases, the bots' ticks, the kubelets' heartbeats.
   * The cluster is created first: it is created only on an empty store, so a Lease written before
   * it would leave the classroom without Nodes or Deployment for good.
   */
  async function followSeats(view: ClassroomView): Promise<void> {
    await ensureCluster(view.id);
    await electLeaders(store, view);
    await bots.follow(view);
    await heartbeats.follow(view);
    await rounds.follow(view);
  }
  const sweep = new TimerSweep({
    timers,
    classrooms,
    logger,
    wanted: (view) => [...bots.wantedTicks(view), ...heartbeats.wantedBeats(view), ...rounds.wantedTimers(view)],
    running: (classroomId) => [...bots.runningTicks(classroomId), ...heartbeats.runningBeats(classroomId)],
    owed: async (classroomId) => owedWorldTimers(await runtime.state(classroomId)),
    worldTimers: simTimers,
    follow: followSeats,
    owns: (classroomId) => leases.owns(classroomId),
    owned: () => leases.ownedIds(),
    // A clock change whose announcement was lost (pub/sub drops messages in a reconnect): the
    // sweep's view, read again every 30 s, sets the owner's timers and loops on the right clock.
    noteView: (view) => {
      ownerTimers.noteView(view);
      bots.noteView(view);
      heartbeats.noteView(view);
    },
  });
  // A classroom taken over (started, given back by a process over its share, or left by a dead
  // one): its world timers derived from the store, its BullMQ timers moved to the clock it has
  // now and its loops started, then swept from here on.
  // The kubelets beat first: their loop was the old owner's, so a dead owner's nodes went unrenewed
  // since it died (a lease's TTL and a pass, up to 65 simulated s at time scale 10); the
  // node-lifecycle controller, whose wake-ups were there too, must find the Leases renewed when it
  // looks again, as a new kube-controller-manager leader judges heartbeats from when it starts.
  takeOver = async (view) => {
    sweep.noteView(view);
    await ownerTimers.takeOver(view);
    await heartbeats.beatNow(view);
    await timers.repair(view.id, view.clock);
    await followSeats(view);
  };
  sweep.start();
  leases.start();

  const unsubscribe = changes.subscribe((change) => {
    const { classroomId, view } = change;
    runtime.noteView(view);
    sweep.noteView(view);
    leases.noteView(view);
    // A classroom that just started is claimed here (when under the share) and taken over as a whole.
    if (clockChanged(change)) leases.claim(view);
    // A closed classroom keeps its log, not its timers (idempotent: every process may cancel).
    if (clockChanged(change) && view.phase === 'closed') run('cancelling timers', async () => void (await timers.cancelAll(classroomId)));
    if (view.phase === 'closed') simTimers.stop(classroomId);
    // The rest is the owner's control work once the clock has started; a lobby has no loops, only
    // its cluster and Leases, which every process settles alike (the store lets one write win).
    if (view.phase !== 'lobby' && !leases.owns(classroomId)) return;
    if (view.phase === 'closed') {
      bots.release(classroomId);
      heartbeats.release(classroomId);
    } else {
      bots.noteView(view);
      heartbeats.noteView(view);
    }
    if (view.phase !== 'closed' && clockChanged(change)) ownerTimers.noteView(view);
    if (clockChanged(change) && view.phase !== 'closed') run('rescheduling timers', () => timers.onClockChanged(classroomId, view.clock));
    if (seatsChanged(change) || clockChanged(change)) {
      // A failed attempt (a queue connection still coming up after a restart or an outage) is
      // tried again at once; the timer sweep is the net behind it.
      run('following the seats', () =>
        retry(FOLLOW_ATTEMPTS, FOLLOW_RETRY_MS, () => followSeats(view)),
      );
    }
  });

  return {
    store,
    runtime,
    api,
    rounds,
    groups,
    ensureCluster,
    botsPlaying: () => sweep.botsPlaying(),
    classroomsOwned: () => leases.ownedCount,
    owns: (classroomId) => leases.owns(classroomId),
    classroomsCached: () => informers.size,
    simTimers: () => simTimers.size,
    forgetProcess: (id) => timers.forgetProcess(id),
    async close() {
      unsubscribe();
      // Leases first: the other processes take the classrooms over while this one winds down.
      await leases.close();
      await sweep.close();
      await rounds.close();
      await loops.close();
      await heartbeatLoops.close();
      await simTimers.close();
      await timers.close();
      await routing.close();
      informers.close();
      await store.close();
    },
  };
}
