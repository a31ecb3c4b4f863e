/**
 * "Redis is down" as a refusal: while the store (our etcd) cannot be reached, a request is
 * answered at once with ServiceUnavailable (HTTP 503) in words a person understands, instead of
 * waiting, queueing or failing as an internal error. A RefusalError, so every adapter that answers
 * refusals (HTTP, the instructor's socket requests, the handshake) answers this one too.
 */
import { ClientClosedError, ClientOfflineError, ConnectionTimeoutError, SocketClosedUnexpectedlyError, TimeoutError } from 'redis';
import { RefusalError } from '../classroom/refusal-error';

export const REDIS_UNAVAILABLE_MESSAGE =
  "the cluster's store (Redis) cannot be reached right now, so nothing was changed; the server reconnects by itself: try again in a few seconds";

export class RedisUnavailableError extends RefusalError {
  constructor(cause?: unknown) {
    super('ServiceUnavailable', REDIS_UNAVAILABLE_MESSAGE);
    this.name = 'RedisUnavailableError';
    if (cause !== undefined) this.cause = cause;
  }
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTCONN']);
/** The same failures as other libraries word them (BullMQ's ConnectionClosedError, a full command queue). */
const CONNECTION_MESSAGES = new Set(['Connection is closed.', 'The queue is full', 'Disconnects client']);
/**
 * Redis Cluster's answers while a shard fails over: a slot without a live master (CLUSTERDOWN),
 * a slot being moved or a key set split mid-migration (TRYAGAIN), a replica still loading or
 * cut from its master (LOADING, MASTERDOWN). The store is away for a few seconds, not broken.
 */
const UNAVAILABLE_REPLY = /^(CLUSTERDOWN|TRYAGAIN|LOADING|MASTERDOWN)\b/;
/** ioredis' Cluster (BullMQ's client) giving up on a command or its slot map while a shard fails over. */
const CLUSTER_GAVE_UP = /^(Too many Cluster redirections|Failed to refresh slots cache)/;

/** An error that says the connection to Redis is down or too slow, not that a command was wrong. */
export function isConnectionError(error: unknown): boolean {
  if (error instanceof RedisUnavailableError) return true;
  if (
    error instanceof ClientOfflineError ||
    error instanceof ClientClosedError ||
    error instanceof SocketClosedUnexpectedlyError ||
    error instanceof ConnectionTimeoutError ||
    error instanceof TimeoutError
  ) {
    return true;
  }
  if (!(error instanceof Error)) return false;
  const code = 'code' in error && typeof error.code === 'string' ? error.code : '';
  return CONNECTION_CODES.has(code) || CONNECTION_MESSAGES.has(error.message) || UNAVAILABLE_REPLY.test(error.message) || CLUSTER_GAVE_UP.test(error.message);
}

export function isRedisUnavailable(error: unknown): error is RedisUnavailableError {
  return error instanceof RedisUnavailableError;
}

/** A connection failure as RedisUnavailableError; anything else unchanged. */
export function asUnavailable(error: unknown): unknown {
  return isConnectionError(error) && !(error instanceof RedisUnavailableError) ? new RedisUnavailableError(error) : error;
}

/** Runs `work`, turning a connection failure into RedisUnavailableError. */
export async function orUnavailable<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw asUnavailable(error);
  }
}
