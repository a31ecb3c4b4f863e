/**
 * The application's Redis client while Redis is down (issue 10): every command, MULTI and script
 * fails at once with ServiceUnavailable instead of waiting in an offline queue, and the client
 * reconnects by itself when Redis is back on the same port.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { RefusalError } from '../classroom/refusal-error';
import { waitFor } from '../testing/wait';
import { connectRedis, whenReady, type RedisClient } from './connect';
import { startEmbeddedRedis, type EmbeddedRedis } from './embedded-redis';
import { REDIS_UNAVAILABLE_MESSAGE, RedisUnavailableError } from './unavailable';

const started: EmbeddedRedis[] = [];
const clients: RedisClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.destroy();
  await Promise.all(started.splice(0).map((r) => r.stop()));
});

async function timed<T>(run: () => Promise<T>): Promise<{ ms: number; error: unknown }> {
  const t0 = Date.now();
  const error = await run().then(
    () => null,
    (e: unknown) => e,
  );
  return { ms: Date.now() - t0, error };
}

describe('the application Redis client during an outage', () => {
  it('fails commands, MULTI and scripts at once with ServiceUnavailable, then works again once Redis is back', async () => {
    const redis = await startEmbeddedRedis({ dataDir: null });
    started.push(redis);
    const client = await connectRedis(redis.url);
    clients.push(client);
    await client.set('k', 'v');
    process.kill(redis.pid, 'SIGKILL');
    await waitFor(() => !client.isReady, { what: 'the client to notice' });

    const attempts: Array<() => Promise<unknown>> = [
      () => client.get('k'),
      () => client.multi().get('k').incr('n').exec(),
      () => client.eval('return 1', { keys: ['k'], arguments: [] }),
      () => client.multi().get('k').execAsPipeline(),
    ];
    for (const attempt of attempts) {
      const { ms, error } = await timed(attempt);
      expect(error).toBeInstanceOf(RedisUnavailableError);
      expect(error).toBeInstanceOf(RefusalError);
      expect((error as RefusalError).code).toBe('ServiceUnavailable');
      expect((error as Error).message).toBe(REDIS_UNAVAILABLE_MESSAGE);
      expect(ms).toBeLessThan(100);
    }

    const back = await startEmbeddedRedis({ dataDir: null, port: redis.port });
    started.push(back);
    expect(await whenReady(client, 5000)).toBe(true);
    expect(await client.incr('n')).toBe(1);
  });

  it('leaves the errors of commands Redis refuses alone', async () => {
    const redis = await startEmbeddedRedis({ dataDir: null });
    started.push(redis);
    const client = await connectRedis(redis.url);
    clients.push(client);
    await client.set('k', 'v');
    const { error } = await timed(() => client.hGet('k', 'f'));
    expect(error).not.toBeInstanceOf(RedisUnavailableError);
    expect(String(error)).toMatch(/WRONGTYPE/);
  });
});
