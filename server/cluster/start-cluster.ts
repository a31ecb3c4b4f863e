/**
 * The cluster half of the server, built in dependency order: store -> timers (BullMQ in simulated
 * time) -> caches (informers) -> runtime -> API server -> bots and kubelet heartbeats. It knows
 * nothing of sockets: the gateway and the HTTP routes call the API server it returns.
 */
import { simNow, type ClassroomView, type SimClock } from '@shared/protocol';
import { clockChanged, seatsChanged, type ClassroomChangeReason, type ClassroomChanges } from '../classroom/changes';
import type { ClassroomRepository } from '../classroom/repository';
import { BotPlayers } from '../bots/bot-players';
import { SimTimerService } from '../jobs/sim-timer-service';
import type { Logger } from '../logger';
import type { RedisClient } from '../redis/connect';
import { ObjectStore } from '../store';
import { ApiServer } from './api-server';
import { bootstrapCluster } from './bootstrap';
import { ClusterRuntime } from './cluster-runtime';
import { KubeletHeartbeats } from './heartbeats';
import { Informers } from './informers';
import { electLeaders } from './leader-election';
import { registerSimTimerHandlers } from './timer-handlers';
import { TimerSweep } from './timer-sweep';
import { ScenarioCatalogue } from '../rounds/catalogue';
import { RoundService } from '../rounds/round-service';

export interface ClusterOptions {
  redis: RedisClient;
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
}

export interface Cluster {
  store: ObjectStore;
  runtime: ClusterRuntime;
  api: ApiServer;
  /** Rounds: scenarios, their clock, goals, scores and debrief. */
  rounds: RoundService;
  /** Bots playing a seat in the running classrooms this process follows (for /metrics). */
  botsPlaying(): number;
  /** Creates the classroom's first cluster the first time anyone looks at it. */
  ensureCluster(classroomId: string): Promise<void>;
  /** Stops the timer worker (after the gateway closed), then the caches and the store's reader. */
  close(): Promise<void>;
}

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

export async function startCluster({ redis, keyPrefix, logger, classrooms, changes, announce, run, timerLanes }: ClusterOptions): Promise<Cluster> {
  const store = new ObjectStore({ redis, keyPrefix, logger });
  const timers = new SimTimerService({
    redis,
    keyPrefix,
    logger,
    ...(timerLanes ? { clusterLanes: timerLanes } : {}),
    clocks: { getClock: async (id) => (await classrooms.read(id))?.run.clock ?? STOPPED },
  });
  const informers = new Informers(store);
  const runtime = new ClusterRuntime({ store, timers, classrooms, informers, logger });
  const rounds = new RoundService({ runtime, redis, keyPrefix, catalogue: new ScenarioCatalogue(redis, keyPrefix), changes, announce, logger, run });
  const api = new ApiServer({ runtime, announce, rounds });
  rounds.attach(api);
  rounds.register();
  await rounds.start();
  // The class reads every request; the log is appended off the request's path.
  api.onRequest((classroomId, entry) => run('logging an API request', () => store.appendRequestLog(classroomId, entry)));
  const bots = new BotPlayers(runtime, api);
  const heartbeats = new KubeletHeartbeats(runtime);
  registerSimTimerHandlers(runtime, (classroomId, role) => bots.wake(classroomId, role));
  bots.register();
  heartbeats.register();
  await timers.start();
  const bootstrapped = new Set<string>();

  async function ensureCluster(classroomId: string): Promise<void> {
    if (bootstrapped.has(classroomId)) return;
    const record = await classrooms.read(classroomId);
    if (!record) return;
    await bootstrapCluster(store, classroomId, record.nodes, Math.floor(simNow(record.run.clock, Date.now())));
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
    follow: followSeats,
  });
  sweep.start();

  const unsubscribe = changes.subscribe((change) => {
    const { classroomId, view } = change;
    runtime.noteView(view);
    sweep.noteView(view);
    if (clockChanged(change)) {
      // A closed classroom keeps its log, not its timers.
      if (view.phase === 'closed') run('cancelling timers', async () => void (await timers.cancelAll(classroomId)));
      else run('rescheduling timers', () => timers.onClockChanged(classroomId, view.clock));
    }
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
    ensureCluster,
    botsPlaying: () => sweep.botsPlaying(),
    async close() {
      unsubscribe();
      await sweep.close();
      await rounds.close();
      await timers.close();
      informers.close();
      await store.close();
    },
  };
}
