import type { RedisClient } from '../redis/connect';
import { joinAttemptsKey } from './keys';
import { COUNT_IN_WINDOW_SCRIPT } from './scripts';

export interface JoinLimiter {
  /** Counts one attempt from this address; true while the address is within its limit. */
  allow(ip: string): Promise<boolean>;
  readonly limit: number;
  readonly windowSeconds: number;
}

/**
 * Join attempts per client address and window, counted in Redis so every server process shares the
 * count: guessing join codes (31^6 of them) takes millions of tries, and this allows a few a minute.
 */
export function createJoinLimiter(redis: RedisClient, prefix: string, limit: number, windowSeconds: number): JoinLimiter {
  return {
    limit,
    windowSeconds,
    async allow(ip) {
      const count = await redis.eval(COUNT_IN_WINDOW_SCRIPT, { keys: [joinAttemptsKey(prefix, ip)], arguments: [String(windowSeconds * 1000)] });
      return Number(count) <= limit;
    },
  };
}
