/**
 * The application's Redis client while Redis is down (issue 10): every command, MULTI and script
 * fails at once with ServiceUnavailable instead of waiting in an offline queue, and the client
 * reconnects by itself when Redis is back on the same port.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { RefusalError } from '../classroom/refusal-error';
import { waitFor } from '../testing/wait';
import { COMMAND_TIMEOUT_MS, connectRedis, whenReady, type RedisClient } from './connect';
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

  it('answers ServiceUnavailable after COMMAND_TIMEOUT_MS when Redis hangs, for commands, MULTI and scripts alike', async () => {
    const redis = await startEmbeddedRedis({ dataDir: null });
    started.push(redis);
    const client = await connectRedis(redis.url);
    clients.push(client);
    process.kill(redis.pid, 'SIGSTOP');
    try {
      const attempts = await Promise.all([
        timed(() => client.get('k')),
        timed(() => client.multi().get('k').incr('n').exec()),
        timed(() => client.eval('return 1', { keys: ['k'], arguments: [] })),
      ]);
      for (const { ms, error } of attempts) {
        expect(error).toBeInstanceOf(RedisUnavailableError);
        expect(ms).toBeGreaterThanOrEqual(COMMAND_TIMEOUT_MS - 50);
        expect(ms).toBeLessThan(COMMAND_TIMEOUT_MS + 1000);
      }
    } finally {
      process.kill(redis.pid, 'SIGCONT');
    }
    expect(await client.incr('n')).toBeGreaterThan(0);
  });
});
