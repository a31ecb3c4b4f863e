import { createClient } from 'redis';
import type { Logger } from '../logger';

function newClient(url: string, name: string) {
  return createClient({
    url,
    name,
    disableOfflineQueue: true,
    socket: { reconnectStrategy: (retries) => Math.min(50 * 2 ** retries, 2000), connectTimeout: 5000 },
  });
}

export type RedisClient = ReturnType<typeof newClient>;

/**
 * A node-redis client that keeps reconnecting while Redis is down (capped back-off) and
 * fails commands fast instead of queueing them, so callers see the outage.
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
  return client;
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
