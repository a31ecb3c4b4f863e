/**
 * Which Redis failures are an outage (answered 503, logged once) rather than a wrong command: a
 * Redis that has restarted but is still reading its data answers LOADING for a moment, and the
 * lead's mid-round Redis kill logged a dozen errors from the timer worker in that moment.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { connectRedis, newClient } from './connect';
import { startEmbeddedRedis } from './embedded-redis';
import { asUnavailable, isConnectionError, RedisUnavailableError } from './unavailable';

const dir = mkdtempSync(path.join(tmpdir(), 'cp-loading-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('a Redis still loading its data answers LOADING, which is an outage (503), not a broken command', { timeout: 120_000 }, async () => {
  // DEBUG RELOAD saves and loads the dataset again; meanwhile other clients get LOADING, as after a restart.
  const redis = await startEmbeddedRedis({ dataDir: null, args: ['--enable-debug-command', 'local', '--dir', dir] });
  // The admin's client waits as long as the reload takes (the application's gives up after its deadline).
  const admin = newClient(redis.url, 'admin', { perCommandTimeout: false });
  await admin.connect();
  const other = await connectRedis(redis.url);
  try {
    await admin.sendCommand(['DEBUG', 'POPULATE', '500000']);
    let reloaded = false;
    const reload = admin.sendCommand(['DEBUG', 'RELOAD']).finally(() => (reloaded = true));
    let refusal: unknown;
    // DEBUG RELOAD first saves, and Redis answers nobody meanwhile: on a busy machine that outlasts
    // the client's deadline (an outage too, but not the one under test). Then it loads, answering LOADING.
    const loading = (error: unknown) => error instanceof RedisUnavailableError && error.cause instanceof Error && error.cause.message.startsWith('LOADING');
    while (!reloaded && refusal === undefined) await other.get('key:1').catch((error: unknown) => (refusal = loading(error) ? error : undefined));
    await reload;
    // The application's client answers it as an outage, the reply kept as its cause.
    expect(refusal).toBeInstanceOf(RedisUnavailableError);
    const cause = (refusal as RedisUnavailableError).cause;
    expect(cause).toBeInstanceOf(Error);
    expect((cause as Error).message).toBe('LOADING Redis is loading the dataset in memory');
    expect(isConnectionError(cause)).toBe(true);
    // Once loaded, the same command works: nothing was wrong with it.
    expect(await other.get('key:1')).toBe('value:1');
  } finally {
    await other.close();
    await admin.close();
    await redis.stop();
  }
});

test('a wrong command stays an error of its own', async () => {
  const wrongType = new Error('WRONGTYPE Operation against a key holding the wrong kind of value');
  expect(isConnectionError(wrongType)).toBe(false);
  expect(asUnavailable(wrongType)).toBe(wrongType);
});
