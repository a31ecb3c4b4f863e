import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isProcessAlive, waitFor } from '../testing/wait';
import { connectRedis, type RedisClient } from './connect';
import { RedisServerMissingError, startEmbeddedRedis, superviseEmbeddedRedis, type EmbeddedRedis } from './embedded-redis';

const started: EmbeddedRedis[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((r) => r.stop()));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'cp-embedded-'));
  dirs.push(dir);
  return dir;
}

async function withClient<T>(url: string, fn: (c: RedisClient) => Promise<T>): Promise<T> {
  const client = await connectRedis(url);
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}

describe('embedded redis-server', () => {
  it('keeps its data across a restart on the same data directory (append-only file)', async () => {
    const dir = tempDir();
    const first = await startEmbeddedRedis({ dataDir: dir });
    await withClient(first.url, (c) => c.set('classroom', 'kept'));
    await first.stop();
    expect(isProcessAlive(first.pid)).toBe(false);

    const second = await startEmbeddedRedis({ dataDir: dir });
    started.push(second);
    expect(await withClient(second.url, (c) => c.get('classroom'))).toBe('kept');
  });

  it('stops the orphan a killed server left behind before starting again', async () => {
    const dir = tempDir();
    const orphan = await startEmbeddedRedis({ dataDir: dir });
    started.push(orphan);
    const lock = JSON.parse(readFileSync(path.join(dir, 'embedded-redis.json'), 'utf8')) as { pid: number };
    expect(lock.pid).toBe(orphan.pid);

    const next = await startEmbeddedRedis({ dataDir: dir });
    started.push(next);
    expect(isProcessAlive(orphan.pid)).toBe(false);
    expect(next.pid).not.toBe(orphan.pid);
  });

  it('is started again on the same port and data directory when it dies, with its data', async () => {
    const dir = tempDir();
    const redis = await superviseEmbeddedRedis({ dataDir: dir });
    started.push(redis);
    await withClient(redis.url, (c) => c.set('classroom', 'kept'));
    const first = redis.pid;
    process.kill(first, 'SIGKILL');
    await waitFor(() => redis.pid !== first && isProcessAlive(redis.pid), { what: 'a new redis-server', timeoutMs: 15_000 });
    expect(redis.url).toBe(`redis://127.0.0.1:${redis.port}`);
    expect(await withClient(redis.url, (c) => c.get('classroom'))).toBe('kept');
    const lock = JSON.parse(readFileSync(path.join(dir, 'embedded-redis.json'), 'utf8')) as { pid: number; port: number };
    expect(lock).toEqual({ pid: redis.pid, port: redis.port });

    // Stopped on purpose, it stays stopped.
    const last = redis.pid;
    await redis.stop();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(isProcessAlive(last)).toBe(false);
    expect(redis.pid).toBe(last);
  });

  it('names the fixes when no redis-server binary exists', async () => {
    await expect(startEmbeddedRedis({ dataDir: null, binary: '/nonexistent/redis-server' })).rejects.toBeInstanceOf(RedisServerMissingError);
    await expect(startEmbeddedRedis({ dataDir: null, binary: '/nonexistent/redis-server' })).rejects.toThrow(/apt-get install redis-server.*docker compose up redis.*REDIS_URL/s);
  });
});
