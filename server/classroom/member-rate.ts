/**
 * Each member's request budget: one token bucket per member in Redis, shared by their sockets on
 * every process and by their Kubernetes API requests (kubectl, client libraries), so a member has
 * one budget however they ask. The host screens of a classroom share one bucket.
 *
 * Redis decides; each process keeps a copy of what Redis last said of a bucket (the tokens left,
 * refilled at the rate since, less the takes sent after). While that copy holds more than half a
 * burst and none of the member's takes is on its way, the request passes at once and its take
 * follows it to Redis: a move is decided without a round trip first. Otherwise it waits for Redis'
 * answer, as every request near the end of a budget does, so a flood meets the same refusal. Only
 * a member draining the same bucket elsewhere (another process, kubectl) at that very moment can
 * get one request per round trip past it.
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

/** This process's copy of a bucket: the tokens Redis said were left at `at` (ms), less the takes sent since. */
interface BucketCopy {
  tokens: number;
  at: number;
  /** Takes sent and not yet answered: their answers come in order (one key, one connection). */
  inFlight: number;
}

/** How often copies of buckets refilled long ago are dropped (the next request asks Redis first). */
const SWEEP_MS = 60_000;

function parseReply(reply: unknown): { wait: number; tokens: number } {
  if (!Array.isArray(reply) || typeof reply[0] !== 'number' || typeof reply[1] !== 'string') throw new Error(`unexpected rate-limit reply ${JSON.stringify(reply)}`);
  return { wait: reply[0], tokens: Number(reply[1]) };
}

export class MemberRateLimiter {
  #redisFailing = false;
  readonly #copies = new Map<string, BucketCopy>();
  #sweptAt = Date.now();

  constructor(private readonly options: MemberRateOptions) {}

  get rate(): MemberRate {
    return this.options.rate;
  }

  /**
   * One token from the member's bucket: 0 when taken, else the milliseconds until one will be.
   * A number at once when this process's copy of the bucket answers for Redis (see the file
   * comment), else Redis' answer. While Redis is down the limit lets requests through: the
   * handlers answer for the outage.
   */
  take(identity: Identity): number | Promise<number> {
    const { rate, keyPrefix } = this.options;
    const key = memberRateKey(keyPrefix, identity.classroomId, identity.kind === 'display' ? 'display' : identity.memberId);
    const now = Date.now();
    this.#sweep(now);
    const copy = this.#copies.get(key);
    if (copy && copy.inFlight === 0) {
      const tokens = Math.min(rate.burst, copy.tokens + ((now - copy.at) / 1000) * rate.perSecond);
      if (tokens - 1 >= rate.burst / 2) {
        copy.tokens = tokens - 1;
        copy.at = now;
        void this.#ask(key, copy);
        return 0;
      }
    }
    return this.#ask(key, copy);
  }

  /** Redis takes the token; the copy learns what is left. Never rejects. */
  async #ask(key: string, known: BucketCopy | undefined): Promise<number> {
    const { redis, rate, logger } = this.options;
    const copy = known ?? { tokens: 0, at: Date.now(), inFlight: 0 };
    if (!known) this.#copies.set(key, copy);
    copy.inFlight++;
    try {
      const { wait, tokens } = parseReply(await takeToken.call(redis, [key], [String(rate.perSecond), String(rate.burst)]));
      // Takes sent after this one are not in its count yet.
      copy.tokens = tokens - (copy.inFlight - 1);
      copy.at = Date.now();
      if (this.#redisFailing) logger.info('member rate limit: redis answers again');
      this.#redisFailing = false;
      return wait;
    } catch (error) {
      if (!this.#redisFailing) logger.warn({ err: error }, 'member rate limit: redis unavailable; letting requests through');
      this.#redisFailing = true;
      return 0;
    } finally {
      copy.inFlight--;
    }
  }

  /** Copies untouched for longer than a bucket takes to fill up are dropped: Redis' key has expired too. */
  #sweep(now: number): void {
    if (now - this.#sweptAt < SWEEP_MS) return;
    this.#sweptAt = now;
    const full = (this.options.rate.burst / this.options.rate.perSecond) * 1000 + 1000;
    for (const [key, copy] of this.#copies) if (copy.inFlight === 0 && now - copy.at > full) this.#copies.delete(key);
  }
}
