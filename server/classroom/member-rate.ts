/**
 * Each member's request budget: one token bucket per member in Redis, shared by their sockets on
 * every process and by their Kubernetes API requests (kubectl, client libraries), so a member has
 * one budget however they ask. The host screens of a classroom share one bucket.
 */
import type { Identity } from '@shared/protocol';
import type { Logger } from '../logger';
import type { RedisClient } from '../redis/connect';
import { LuaScript } from '../redis/lua-script';
import { memberRateKey } from './keys';
import { TAKE_TOKEN_SCRIPT } from './scripts';

/** Every event of every member runs it: by SHA, not its source each time. */
const takeToken = new LuaScript(TAKE_TOKEN_SCRIPT);

export interface MemberRate {
  perSecond: number;
  burst: number;
}

export interface MemberRateOptions {
  redis: RedisClient;
  keyPrefix: string;
  logger: Logger;
  rate: MemberRate;
}

export class MemberRateLimiter {
  #redisFailing = false;

  constructor(private readonly options: MemberRateOptions) {}

  get rate(): MemberRate {
    return this.options.rate;
  }

  /**
   * One token from the member's bucket: 0 when taken, else the milliseconds until one will be.
   * While Redis is down the limit lets requests through: the handlers answer for the outage.
   */
  async take(identity: Identity): Promise<number> {
    const { redis, rate, logger, keyPrefix } = this.options;
    const key = memberRateKey(keyPrefix, identity.classroomId, identity.kind === 'display' ? 'display' : identity.memberId);
    try {
      const wait = Number(await takeToken.call(redis, [key], [String(rate.perSecond), String(rate.burst)]));
      if (this.#redisFailing) logger.info('member rate limit: redis answers again');
      this.#redisFailing = false;
      return wait;
    } catch (error) {
      if (!this.#redisFailing) logger.warn({ err: error }, 'member rate limit: redis unavailable; letting requests through');
      this.#redisFailing = true;
      return 0;
    }
  }
}
