import { createHash } from 'node:crypto';
import type { RedisClient } from './connect';

/** A script sent by SHA (one round trip, without its source), loaded on the first NOSCRIPT (a new or flushed Redis). */
export class LuaScript {
  private readonly sha: string;

  constructor(private readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  /** The script's reply as Redis sent it. */
  async call(redis: RedisClient, keys: string[], args: string[]): Promise<unknown> {
    try {
      return await redis.evalSha(this.sha, { keys, arguments: args });
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return await redis.eval(this.source, { keys, arguments: args });
    }
  }
}
