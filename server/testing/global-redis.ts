import { randomBytes } from 'node:crypto';
import type { TestProject } from 'vitest/node';
import { startEmbeddedRedis } from '../redis/embedded-redis';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
    redisKeyPrefix: string;
  }
}

/**
 * One fresh, throw-away redis-server per test run; or REDIS_URL with a key prefix no other run
 * uses, so tests never touch data they did not write.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const prefix = `cptest-${randomBytes(4).toString('hex')}`;
  if (process.env.REDIS_URL) {
    project.provide('redisUrl', process.env.REDIS_URL);
    project.provide('redisKeyPrefix', prefix);
    return async () => {};
  }
  const redis = await startEmbeddedRedis({ dataDir: null });
  project.provide('redisUrl', redis.url);
  project.provide('redisKeyPrefix', prefix);
  return () => redis.stop();
}
