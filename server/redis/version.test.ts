/**
 * ClusterPlay refuses a Redis older than 7 at start, naming its version; and a commit whose
 * notification Redis refuses is still written whole (the script's SPUBLISH may not stop it).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { makePod } from '@shared/model';
import { ObjectStore } from '../store/object-store';
import { as, collector, newClassroom } from '../store/testing/fixture';
import { connectRedis, type RedisClient } from './connect';
import { startEmbeddedRedis, type EmbeddedRedis } from './embedded-redis';
import { RedisTooOldError, redisVersionOf, requireSupportedRedis } from './version';

const started: EmbeddedRedis[] = [];
const clients: RedisClient[] = [];
const stores: ObjectStore[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
  for (const client of clients.splice(0)) client.destroy();
  await Promise.all(started.splice(0).map((r) => r.stop()));
});

// The head of `INFO server` as Redis 6.0.16 (Ubuntu 22.04's redis-server) prints it.
const REDIS_6_INFO = '# Server\r\nredis_version:6.0.16\r\nredis_git_sha1:00000000\r\nredis_git_dirty:0\r\nredis_build_id:a3fdef44459b3ad6\r\nredis_mode:standalone\r\n';

describe('the Redis version ClusterPlay needs', () => {
  it('reads redis_version from INFO server', () => {
    expect(redisVersionOf(REDIS_6_INFO)).toBe('6.0.16');
    expect(redisVersionOf('# Server\r\nredis_mode:standalone\r\n')).toBeNull();
  });

  it('names an older server and what to do', () => {
    expect(new RedisTooOldError('6.0.16').message).toBe(
      'this Redis is 6.0.16; ClusterPlay needs Redis 7 or later (set REDIS_URL to a Redis 7 server, or run `docker compose up redis`).',
    );
  });

  it('accepts the redis-server the tests run (Redis 7)', async () => {
    const redis = await startEmbeddedRedis({ dataDir: null });
    started.push(redis);
    const client = await connectRedis(redis.url);
    clients.push(client);
    expect(Number.parseInt(redisVersionOf(await client.info('server')) ?? '0', 10)).toBeGreaterThanOrEqual(7);
    await expect(requireSupportedRedis(client)).resolves.toBeUndefined();
  });
});

describe('a commit whose notification Redis refuses', () => {
  it('is written whole (version, log entry and object), and a watcher in another process gets it from the log', async () => {
    // SPUBLISH unknown to this server: the script's notification fails where the write must not.
    const redis = await startEmbeddedRedis({ dataDir: null, args: ['--rename-command', 'SPUBLISH', 'SPUBLISH_RENAMED'] });
    started.push(redis);
    const open = async () => {
      const client = await connectRedis(redis.url);
      clients.push(client);
      const store = new ObjectStore({ redis: client, keyPrefix: 'version-test', watchCatchUpMs: 200 });
      stores.push(store);
      return store;
    };
    const [writer, reader] = [await open(), await open()];
    const classroom = newClassroom();
    const seen = collector();
    await reader.watch(classroom, '0', seen.listener);
    const pod = await writer.create(classroom, makePod('web-1'), as('bot:controller-manager'));
    expect(pod.metadata.resourceVersion).toBe('1');
    expect(await writer.get(classroom, { kind: 'Pod', name: 'web-1' })).toEqual(pod);
    expect(await writer.readLog(classroom, '0', 10)).toHaveLength(1);
    const [event] = await seen.until(1);
    expect(event?.type).toBe('ADDED');
    expect(event?.object).toEqual(pod);
  });
});
