/**
 * The cluster half of the API server, plugged into the gateway: the store, BullMQ timers in
 * simulated time, bots, leader election, the `action` and `resync` events and the live watch.
 */
import { simNow, type SimClock } from '@shared/protocol';
import { clockChanged, seatsChanged, type ClassroomChanges } from '../classroom/changes';
import type { ClassroomRepository } from '../classroom/repository';
import { BotPlayers } from '../bots/bot-players';
import { registerActionHandlers } from '../gateway/actions';
import { electLeaders } from '../gateway/leader-election';
import type { Gateway } from '../gateway/socket-server';
import { classroomRoom } from '../gateway/rooms';
import { isAuthenticated } from '../gateway/types';
import { WatchFeeds } from '../gateway/watch-feeds';
import { SimTimerService } from '../jobs/sim-timer-service';
import type { Logger } from '../logger';
import type { RedisClient } from '../redis/connect';
import { ObjectStore } from '../store';
import { bootstrapCluster } from './bootstrap';
import { ClusterRuntime } from './cluster-runtime';
import { Informers } from './informers';
import { registerInstructorActions } from './instructor-actions';
import { registerSimTimerHandlers } from './timer-handlers';

export interface ClusterOptions {
  redis: RedisClient;
  keyPrefix: string;
  logger: Logger;
  classrooms: ClassroomRepository;
  changes: ClassroomChanges;
  gateway: Gateway;
}

export interface Cluster {
  runtime: ClusterRuntime;
  /** Stops the watch feeds and the timer worker (after the gateway closed), then the store's reader. */
  close(): Promise<void>;
}

/** A classroom that is gone has a clock that stands still: its timers are parked, never fired. */
const STOPPED: SimClock = { simAtWall: 0, wall: 0, timeScale: 1, paused: true };

export async function startCluster({ redis, keyPrefix, logger, classrooms, changes, gateway }: ClusterOptions): Promise<Cluster> {
  const store = new ObjectStore({ redis, keyPrefix, logger });
  const timers = new SimTimerService({
    redis,
    keyPrefix,
    logger,
    clocks: { getClock: async (id) => (await classrooms.read(id))?.run.clock ?? STOPPED },
  });
  const informers = new Informers(store);
  const runtime = new ClusterRuntime({ store, timers, classrooms, informers, logger });
  const { io, deps } = gateway;
  const work = deps.work;
  const bots = new BotPlayers(runtime, (classroomId, entries) => {
    io.to(classroomRoom(classroomId)).emit('requests', entries);
    work.run('logging bot requests', async () => {
      for (const entry of entries) await store.appendRequestLog(classroomId, entry);
    });
  });
  registerSimTimerHandlers(runtime);
  bots.register();
  registerInstructorActions(gateway.clusterInstructor, runtime, deps.broadcaster);
  await timers.start();
  const feeds = new WatchFeeds(io, store, logger);
  const bootstrapped = new Set<string>();

  async function ensureCluster(classroomId: string): Promise<void> {
    if (bootstrapped.has(classroomId)) return;
    const record = await classrooms.read(classroomId);
    if (!record) return;
    await bootstrapCluster(store, classroomId, record.nodes, Math.floor(simNow(record.run.clock, Date.now())));
    bootstrapped.add(classroomId);
  }

  io.on('connection', (socket) => {
    if (!isAuthenticated(socket)) return;
    const classroomId = socket.data.identity.classroomId;
    registerActionHandlers(socket, { io, runtime, work });
    socket.on('resync', (payload: unknown, ack: unknown) => {
      work.run('a resync', async () => {
        const reply = await feeds.resync(classroomId, payload);
        if (typeof ack === 'function') ack(reply);
      });
    });
    work.run('sending the snapshot', async () => {
      await ensureCluster(classroomId);
      await feeds.attach(socket);
    });
  });

  const unsubscribe = changes.subscribe((change) => {
    const { classroomId, view } = change;
    runtime.noteView(view);
    if (clockChanged(change)) {
      // A closed classroom keeps its log, not its timers.
      if (view.phase === 'closed') work.run('cancelling timers', async () => void (await timers.cancelAll(classroomId)));
      else work.run('rescheduling timers', () => timers.onClockChanged(classroomId, view.clock));
    }
    if (seatsChanged(change) || clockChanged(change)) {
      work.run('following the seats', async () => {
        await electLeaders(store, view);
        await bots.follow(view);
      });
    }
  });

  return {
    runtime,
    async close() {
      unsubscribe();
      feeds.close();
      await timers.close();
      informers.close();
      await store.close();
    },
  };
}
