import { createClient } from 'redis';
import type { Logger } from '../logger';
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

function newClient(url: string, name: string) {
  return createClient({
    url,
    name,
    disableOfflineQueue: true,
    commandsQueueMaxLength: MAX_PENDING_COMMANDS,
    commandOptions: { timeout: COMMAND_TIMEOUT_MS },
    socket: { reconnectStrategy: reconnectDelay, connectTimeout: 5000 },
  });
}

export type RedisClient = ReturnType<typeof newClient>;

/** The executors every command, MULTI and pipeline of a node-redis client goes through. */
interface Executors {
  sendCommand(...args: unknown[]): Promise<unknown>;
  _executeMulti(...args: unknown[]): Promise<unknown>;
  _executePipeline(...args: unknown[]): Promise<unknown>;
}

/**
 * Makes every failure to reach Redis a RedisUnavailableError (ServiceUnavailable) and bounds
 * MULTI and pipelines as single commands are: node-redis queues them while offline even with
 * `disableOfflineQueue` and gives them no timeout, so a snapshot asked during an outage would
 * wait (and hold memory) until Redis came back.
 */
function failFast(client: RedisClient): void {
  const executors = client as unknown as Executors;
  const send = executors.sendCommand.bind(client);
  const bounded = (execute: (...args: unknown[]) => Promise<unknown>) => {
    const run = execute.bind(client);
    return (...args: unknown[]): Promise<unknown> => {
      if (!client.isReady) return Promise.reject(new RedisUnavailableError());
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new RedisUnavailableError(new Error(`no reply within ${COMMAND_TIMEOUT_MS} ms`))), COMMAND_TIMEOUT_MS);
      });
      const reply = run(...args);
      reply.catch(() => {}); // after a timeout nobody awaits it
      return Promise.race([reply, timeout]).catch((error: unknown) => Promise.reject(asUnavailable(error))).finally(() => clearTimeout(timer));
    };
  };
  const sendMapped = (...args: unknown[]) => send(...args).catch((error: unknown) => Promise.reject(asUnavailable(error)));
  // Commands run `this._self.sendCommand`: the instance behind the typed facade createClient returns.
  const self = (client as unknown as { _self?: Executors })._self;
  for (const target of new Set([executors, self ?? executors])) target.sendCommand = sendMapped;
  executors._executeMulti = bounded(executors._executeMulti);
  executors._executePipeline = bounded(executors._executePipeline);
}

/**
 * A node-redis client for the application's requests: it keeps reconnecting while Redis is down
 * (capped back-off), fails commands at once instead of queueing them, bounds how long any command
 * waits, and reports the outage as RedisUnavailableError. It logs one line when the connection
 * is lost and one when it is back, never one per retry.
 * Blocking readers, subscribers and BullMQ take `duplicate()`s, which are plain clients.
 */
export async function connectRedis(url: string, logger?: Logger, name = 'clusterplay'): Promise<RedisClient> {
  const client = newClient(url, name);
  let reportedDown = false;
  client.on('error', (error: Error) => {
    if (!reportedDown) logger?.warn({ err: error.message }, 'redis connection lost; reconnecting');
    reportedDown = true;
  });
  client.on('ready', () => {
    if (reportedDown) logger?.info('redis connection restored');
    reportedDown = false;
  });
  await client.connect();
  failFast(client);
  return client;
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
    const pong = await Promise.race([
      client.ping(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), timeoutMs);
      }),
    ]);
    return pong === 'PONG';
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}
