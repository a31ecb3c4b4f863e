import { createClient, createCluster } from 'redis';
import type { Logger } from '../logger';
import { Deadlines } from './deadlines';
import { RedisUnavailableError, asUnavailable } from './unavailable';

/**
 * The longest a command may wait for its reply. A request makes a few round trips and must be
 * answered within 2 s even when Redis hangs; a healthy Redis answers in a millisecond.
 */
export const COMMAND_TIMEOUT_MS = 1500;
/** Commands waiting to be written or answered, at most: memory stays bounded even if Redis stalls. */
export const MAX_PENDING_COMMANDS = 10_000;
/** Reconnect back-off: 50 ms doubling to at most 1 s, forever (the reconnect is cheap; Redis is back sooner). */
export const reconnectDelay = (retries: number): number => Math.min(50 * 2 ** retries, 1000);

/** `perCommandTimeout: false` leaves the bound to the caller (the application's client: one timer per connection, see deadlines.ts). */
export function newClient(url: string, name: string, { perCommandTimeout = true } = {}) {
  return createClient({
    url,
    name,
    disableOfflineQueue: true,
    commandsQueueMaxLength: MAX_PENDING_COMMANDS,
    commandOptions: { timeout: perCommandTimeout ? COMMAND_TIMEOUT_MS : 0 },
    socket: { reconnectStrategy: reconnectDelay, connectTimeout: 5000 },
  });
}

export type RedisStandalone = ReturnType<typeof newClient>;

/**
 * What the application's client emits when a command went unanswered for COMMAND_TIMEOUT_MS: Redis
 * hangs (frozen, or a network that drops packets) and no connection error will say so.
 */
export const OVERDUE_EVENT = 'overdue';

/**
 * A node-redis cluster client: it routes each command by its key's slot and follows MOVED/ASK.
 * Every node connection fails fast as the standalone client does (no offline queue, bounded queue,
 * a command timeout, capped reconnect back-off).
 */
export function newCluster(nodes: readonly string[], name: string, overrides: { offlineQueue?: boolean; timeoutMs?: number; perCommandTimeout?: boolean } = {}) {
  return createCluster({
    rootNodes: nodes.map((node) => ({ url: `redis://${node}` })),
    defaults: {
      name,
      disableOfflineQueue: !overrides.offlineQueue,
      commandsQueueMaxLength: MAX_PENDING_COMMANDS,
      socket: { reconnectStrategy: reconnectDelay, connectTimeout: 5000 },
    },
    commandOptions: { timeout: overrides.perCommandTimeout === false ? 0 : (overrides.timeoutMs ?? COMMAND_TIMEOUT_MS) },
    // A master that died stays in the client's map, refusing its slots' commands, until the map
    // is read again: node-redis does that once a node has been reconnecting this long (5 s by
    // default, on top of the cluster's own failover), and again at the next attempt after as long.
    topologyRefreshOnReconnectionAttemptStrategy: TOPOLOGY_REFRESH_MS,
  });
}

/** A node reconnecting this long makes the cluster client read the topology again (see newCluster). */
export const TOPOLOGY_REFRESH_MS = 500;

export type RedisClusterClient = ReturnType<typeof newCluster>;
/**
 * What the application talks to: one Redis, or a Redis Cluster (REDIS_CLUSTER_NODES). Both take
 * the same keyed commands; every multi-key command, MULTI and script of ours stays within one
 * hash tag, so it runs on a cluster unchanged. Where the two differ (blocking reads, pub/sub,
 * BullMQ, the Socket.IO adapter, readiness) the code asks `isCluster`.
 */
export type RedisClient = RedisStandalone | RedisClusterClient;

export function isCluster(redis: RedisClient): redis is RedisClusterClient {
  return 'masters' in redis;
}

/** Where Redis is: one server's URL, or some of a cluster's nodes (`host:port`). */
export type RedisTarget = { url: string; clusterNodes?: undefined } | { url?: undefined; clusterNodes: readonly string[] };

export const describeTarget = (target: RedisTarget): string => target.url ?? `redis cluster ${target.clusterNodes.join(',')}`;

/** The executors every command, MULTI and pipeline of a node-redis client goes through. */
interface Executors {
  sendCommand(...args: unknown[]): Promise<unknown>;
  _executeMulti(...args: unknown[]): Promise<unknown>;
  _executePipeline(...args: unknown[]): Promise<unknown>;
}

/**
 * Makes every failure to reach Redis a RedisUnavailableError (ServiceUnavailable) and bounds every
 * command, MULTI and pipeline by the connection's one Deadlines timer. MULTI and pipelines also
 * fail at once while offline: node-redis queues them even with `disableOfflineQueue`, so a
 * snapshot asked during an outage would wait (and hold memory) until Redis came back.
 */
function failFast(client: RedisStandalone): void {
  const executors = client as unknown as Executors;
  const send = executors.sendCommand.bind(client);
  const deadlines = new Deadlines(COMMAND_TIMEOUT_MS, overdueOn(client));
  const bounded = (execute: (...args: unknown[]) => Promise<unknown>) => {
    const run = execute.bind(client);
    return (...args: unknown[]): Promise<unknown> => {
      if (!client.isReady) return Promise.reject(new RedisUnavailableError());
      const reply = run(...args);
      reply.catch(() => {}); // after a timeout nobody awaits it
      return deadlines.bound(reply).catch((error: unknown) => Promise.reject(asUnavailable(error)));
    };
  };
  const sendBounded = (...args: unknown[]) => deadlines.bound(send(...args)).catch((error: unknown) => Promise.reject(asUnavailable(error)));
  // Commands run `this._self.sendCommand`: the instance behind the typed facade createClient returns.
  const self = (client as unknown as { _self?: Executors })._self;
  for (const target of new Set([executors, self ?? executors])) target.sendCommand = sendBounded;
  executors._executeMulti = bounded(executors._executeMulti);
  executors._executePipeline = bounded(executors._executePipeline);
  keepTimeoutOnDuplicates(client);
}

/** The error of a command left unanswered, told to the client's OVERDUE_EVENT listeners first. */
const overdueOn =
  (client: { emit(event: typeof OVERDUE_EVENT): unknown }) =>
  (): Error => {
    client.emit(OVERDUE_EVENT);
    return new RedisUnavailableError(new Error(`no reply within ${COMMAND_TIMEOUT_MS} ms`));
  };

/**
 * The application's client has no per-command timeout (its Deadlines bound it); its duplicates
 * (subscribers, BullMQ's connections) are plain clients and keep node-redis' own, unless they set one.
 */
function keepTimeoutOnDuplicates(client: RedisStandalone | RedisClusterClient): void {
  type Duplicate = (overrides?: { commandOptions?: object }) => unknown;
  const duplicate = (client.duplicate as Duplicate).bind(client);
  const withTimeout: Duplicate = (overrides = {}) => duplicate({ ...overrides, commandOptions: { timeout: COMMAND_TIMEOUT_MS, ...overrides.commandOptions } });
  Object.assign(client, { duplicate: withTimeout });
}

/**
 * A node-redis client for the application's requests: it keeps reconnecting while Redis is down
 * (capped back-off), fails commands at once instead of queueing them, bounds how long any command
 * waits, and reports the outage as RedisUnavailableError. It logs one line when the connection
 * is lost and one when it is back, never one per retry.
 * Blocking readers, subscribers and BullMQ take `duplicate()`s, which are plain clients.
 */
export async function connectRedis(url: string, logger?: Logger, name = 'clusterplay'): Promise<RedisStandalone> {
  const client = newClient(url, name, { perCommandTimeout: false });
  reportOutages(client, logger);
  await client.connect();
  failFast(client);
  return client;
}

/** A cluster client (see newCluster); outages are logged as for one Redis. */
export async function connectRedisCluster(nodes: readonly string[], logger?: Logger, name = 'clusterplay'): Promise<RedisClusterClient> {
  const cluster = newCluster(nodes, name, { perCommandTimeout: false });
  // A node's connection errors come as 'node-error' (and the cluster's own as 'error', which must have a listener).
  let reportedDown = false;
  const down = (error: Error) => {
    if (!reportedDown) logger?.warn({ err: error.message }, 'redis cluster connection lost; reconnecting');
    reportedDown = true;
  };
  cluster.on('error', down);
  cluster.on('node-error', down);
  cluster.on('node-ready', () => {
    if (reportedDown) logger?.info('redis cluster connection restored');
    reportedDown = false;
  });
  await cluster.connect();
  boundCluster(cluster);
  return cluster;
}

/**
 * A master that hangs (frozen, or a network that drops packets) would hold every command, MULTI
 * and script on its slots forever: the cluster client does not bound them (the node clients'
 * timeouts do not reach it). Every execution of the cluster's (commands, MULTI and scripts all go
 * through `_execute`) fails after COMMAND_TIMEOUT_MS instead, as ServiceUnavailable; a connection
 * error is one at once. Duplicates (subscribers) are left alone.
 */
function boundCluster(cluster: RedisClusterClient): void {
  type Execute = (...args: unknown[]) => Promise<unknown>;
  const self = (cluster as unknown as { _self?: { _execute: Execute } })._self ?? (cluster as unknown as { _execute: Execute });
  const execute = self._execute.bind(self);
  const deadlines = new Deadlines(COMMAND_TIMEOUT_MS, overdueOn(cluster));
  self._execute = (...args: unknown[]): Promise<unknown> => {
    const reply = execute(...args);
    reply.catch(() => {}); // after a timeout nobody awaits it
    return deadlines.bound(reply).catch((error: unknown) => Promise.reject(asUnavailable(error)));
  };
  keepTimeoutOnDuplicates(cluster);
}

export function connectTo(target: RedisTarget, logger?: Logger, name = 'clusterplay'): Promise<RedisClient> {
  return target.clusterNodes ? connectRedisCluster(target.clusterNodes, logger, name) : connectRedis(target.url, logger, name);
}

function reportOutages(client: RedisStandalone, logger: Logger | undefined): void {
  let reportedDown = false;
  client.on('error', (error: Error) => {
    if (!reportedDown) logger?.warn({ err: error.message }, 'redis connection lost; reconnecting');
    reportedDown = true;
  });
  client.on('ready', () => {
    if (reportedDown) logger?.info('redis connection restored');
    reportedDown = false;
  });
}

/** Resolves true once the client is ready (at once if it is), false after `timeoutMs` or when it closes for good. */
export function whenReady(client: { isReady: boolean; isOpen: boolean; once(event: 'ready' | 'end', listener: () => void): unknown; off(event: 'ready' | 'end', listener: () => void): unknown }, timeoutMs: number): Promise<boolean> {
  if (client.isReady) return Promise.resolve(true);
  if (!client.isOpen) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (ready: boolean) => {
      clearTimeout(timer);
      client.off('ready', onReady);
      client.off('end', onEnd);
      resolve(ready);
    };
    const onReady = () => done(true);
    const onEnd = () => done(false);
    const timer = setTimeout(() => done(client.isReady), timeoutMs);
    client.once('ready', onReady);
    client.once('end', onEnd);
  });
}

/** True when Redis answers PING within the timeout. */
export async function redisReachable(client: RedisClient, timeoutMs = 1000): Promise<boolean> {
  if (!client.isReady) return false;
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      isCluster(client) ? clusterHealthy(client) : client.ping().then((pong) => pong === 'PONG'),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), timeoutMs);
      }),
    ]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The cluster serves every slot: each master the client knows reports cluster_state:ok (one
 * node answering PING says nothing about the slots another serves).
 */
async function clusterHealthy(cluster: RedisClusterClient): Promise<boolean> {
  if (cluster.masters.length === 0) return false;
  const states = await Promise.all(cluster.masters.map(async (master) => (await cluster.nodeClient(master)).clusterInfo()));
  return states.every((info) => /^cluster_state:ok\b/m.test(info));
}
