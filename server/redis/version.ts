/**
 * ClusterPlay needs Redis 7 or later: every commit notifies its watchers on the classroom's shard
 * channel (SPUBLISH, new in 7.0), and BullMQ and the stores use commands of 6.2. An older server
 * would run, but every watch would lag by its catch-up period; it is refused at start instead,
 * with its version named.
 */
import { isCluster, type RedisClient } from './connect';

export const REDIS_MAJOR_NEEDED = 7;

export class RedisTooOldError extends Error {
  constructor(readonly version: string) {
    super(`this Redis is ${version}; ClusterPlay needs Redis ${REDIS_MAJOR_NEEDED} or later (set REDIS_URL to a Redis ${REDIS_MAJOR_NEEDED} server, or run \`docker compose up redis\`).`);
    this.name = 'RedisTooOldError';
  }
}

/** `redis_version` of an `INFO server` reply, or null when it has none. */
export function redisVersionOf(info: string): string | null {
  return /^redis_version:([^\r\n]+)/m.exec(info)?.[1]?.trim() ?? null;
}

/** Throws RedisTooOldError when the server (every master of a cluster) is older than Redis 7. */
export async function requireSupportedRedis(redis: RedisClient): Promise<void> {
  const infos = isCluster(redis) ? await Promise.all(redis.masters.map(async (master) => (await redis.nodeClient(master)).info('server'))) : [await redis.info('server')];
  for (const info of infos) {
    const version = redisVersionOf(info);
    if (version !== null && Number.parseInt(version, 10) < REDIS_MAJOR_NEEDED) throw new RedisTooOldError(version);
  }
}
