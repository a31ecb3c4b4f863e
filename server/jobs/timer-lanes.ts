/**
 * Where the timer jobs live. On one Redis: one BullMQ queue under `{bull}`, on node-redis
 * duplicates of the application's client. On a Redis Cluster: several queues, each under a hash
 * tag of its own (`{timers-<i>}`), so their keys and BullMQ's Lua scripts spread over the shards;
 * a classroom's timers always go to the same lane. With owner-local timers (sim-timer-service.ts,
 * what the server runs) each process has lanes of its own instead (`{timers@<serverId>}`, or
 * `{timers@<serverId>-<i>}` on a cluster), which only its workers take jobs from. BullMQ's node-redis adapter has no cluster
 * support (its worker never becomes ready), so on a cluster BullMQ gets ioredis' Cluster client
 * (BullMQ's native client), seeded with the masters node-redis discovered.
 */
import type { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { createNodeRedisClient, type IRedisClient } from 'bullmq';
import type * as Ioredis from 'ioredis';
import { isCluster, type RedisClient, type RedisStandalone } from '../redis/connect';
import { shardOf } from '../redis/fanout';

export const SIM_TIMERS_QUEUE = 'sim-timers';

export interface TimerLane {
  queue: string;
  /** BullMQ's key prefix: the hash tag in it keeps each queue on one slot. */
  prefix: string;
}

export function timerLanes(keyPrefix: string, cluster: boolean, count: number): TimerLane[] {
  if (!cluster) return [{ queue: SIM_TIMERS_QUEUE, prefix: `${keyPrefix}:{bull}` }];
  return Array.from({ length: count }, (_, i) => ({ queue: SIM_TIMERS_QUEUE, prefix: `${keyPrefix}:{timers-${i}}` }));
}

/** The lanes only `serverId`'s workers take jobs from: the timers of the classrooms it owns. */
export function processTimerLanes(keyPrefix: string, serverId: string, cluster: boolean, count: number): TimerLane[] {
  if (!cluster) return [{ queue: SIM_TIMERS_QUEUE, prefix: `${keyPrefix}:{timers@${serverId}}` }];
  return Array.from({ length: count }, (_, i) => ({ queue: SIM_TIMERS_QUEUE, prefix: `${keyPrefix}:{timers@${serverId}-${i}}` }));
}

/** A classroom's lane: a hash of its id, so every process agrees without asking Redis. */
export const laneOf = (classroomId: string, lanes: number): number => shardOf(classroomId, lanes);

/** A job on a process's own lanes is named `<serverId>.<uuid>` (BullMQ refuses ':' in ids); a shared lane's job is a bare uuid. */
export function processOfJob(jobId: string): string | null {
  const dot = jobId.indexOf('.');
  return dot < 0 ? null : jobId.slice(0, dot);
}

/** The lane a classroom's job is on: of the process its id names, or the shared one. */
export function laneOfJob(keyPrefix: string, cluster: boolean, count: number, classroomId: string, jobId: string): TimerLane {
  const process = processOfJob(jobId);
  const lanes = process === null ? timerLanes(keyPrefix, cluster, count) : processTimerLanes(keyPrefix, process, cluster, count);
  return lanes[laneOf(classroomId, lanes.length)] as TimerLane;
}

/**
 * ioredis, loaded when a Redis Cluster first needs it: on one Redis a process never loads its
 * modules (0.5 MB of source text its heap would keep).
 */
let ioredis: typeof Ioredis | undefined;
const loadIoredis = (): typeof Ioredis => (ioredis ??= createRequire(import.meta.url)('ioredis') as typeof Ioredis);

/** Whether a connection is an ioredis Cluster: none is before ioredis is loaded. */
const isIoredisCluster = (connection: BullConnection): connection is Ioredis.Cluster => ioredis !== undefined && connection instanceof ioredis.Cluster;

/** A connection BullMQ takes: a node-redis client, or an ioredis Cluster. */
export type BullConnection = RedisStandalone | Ioredis.Cluster;

export interface BullConnectionOptions {
  /** Commands queue while disconnected (the worker's fetch loop) instead of failing at once (the queue's requests). */
  offlineQueue: boolean;
  /** No command timeout (the worker's blocking fetch). */
  blocking: boolean;
}

/**
 * A new connection for BullMQ beside the application's client: a duplicate of it on one Redis
 * (not connected: BullMQ connects it), an ioredis Cluster on a cluster.
 */
export function bullConnection(redis: RedisClient, { offlineQueue, blocking }: BullConnectionOptions): BullConnection {
  if (!isCluster(redis)) {
    return redis.duplicate({ ...(offlineQueue ? { disableOfflineQueue: false } : {}), ...(blocking ? { commandOptions: { timeout: 0 } } : {}) });
  }
  const nodes = redis.masters.map((master) => ({ host: master.host, port: master.port }));
  return new (loadIoredis().Cluster)(nodes, {
    enableOfflineQueue: offlineQueue,
    // While a master fails over its slots answer CLUSTERDOWN for a few seconds; ioredis retries a
    // command every `retryDelayOnClusterDown` ms, 16 times. The worker's few commands may wait
    // out a failover (about 5 s); the queue's, made for requests, fail soon (the default 100 ms).
    ...(blocking ? { retryDelayOnClusterDown: 300, retryDelayOnFailover: 300 } : {}),
    // BullMQ requires it of a worker's connection: a blocked fetch is never retried by ioredis itself.
    redisOptions: { maxRetriesPerRequest: null, connectionName: 'clusterplay-timers' },
    clusterRetryStrategy: (times) => Math.min(50 * 2 ** times, 1000),
  });
}

/** What BullMQ's queues are given: an ioredis Cluster, or BullMQ's adapter of a node-redis client. */
export type QueueConnection = Ioredis.Cluster | IRedisClient;

/**
 * BullMQ wraps a node-redis client in an adapter of its own per queue, which re-emits the client's
 * errors and goes on listening after its queue closed: the next error (Redis going away, or closing
 * at shutdown) would then be thrown with nobody listening, and end the process. One adapter, made
 * here and given to every queue, has a listener for good (the raw client's own listener reports).
 */
export function sharedQueueConnection(client: BullConnection): QueueConnection {
  if (isIoredisCluster(client)) return client;
  const adapter = createNodeRedisClient(client);
  adapter.on('error', () => {});
  return adapter;
}

/** Both kinds are EventEmitters with 'error' and 'ready'. */
export const eventsOf = (connection: BullConnection): EventEmitter => connection;

/** ioredis connects by itself; a node-redis client is connected here. */
export async function openConnection(connection: BullConnection): Promise<void> {
  if (!isIoredisCluster(connection)) await connection.connect();
}

export function isConnectionReady(connection: BullConnection): boolean {
  return isIoredisCluster(connection) ? connection.status === 'ready' : connection.isReady;
}

export async function closeConnection(connection: BullConnection): Promise<void> {
  if (isIoredisCluster(connection)) {
    await connection.quit().catch(() => connection.disconnect());
    return;
  }
  if (connection.isOpen) await connection.close().catch(() => connection.destroy());
}

/** Ends a connection at once, whatever it was waiting for. */
export function cutConnection(connection: BullConnection): void {
  if (isIoredisCluster(connection)) connection.disconnect();
  else connection.destroy();
}
