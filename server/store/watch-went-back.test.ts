/**
 * A watch that has delivered nothing yet (an idle classroom's screens, following from the version
 * they listed at) when its redis-server comes back from a file that missed its last writes, and
 * other changes took those versions again before the watch read the log: the version alone is not
 * below the watch's, so only the entry at it tells that the log went back. As in outage.test.ts'
 * drill, a real redis-server restarted from an older copy of its append-only files.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { makePod } from '@shared/model';
import { connectRedis } from '../redis/connect';
import { startEmbeddedRedis, type EmbeddedRedis } from '../redis/embedded-redis';
import { isProcessAlive, waitFor } from '../testing/wait';
import { ObjectStore } from './object-store';
import { as, collector, newClassroom } from './testing/fixture';

const PREFIX = 'cp';
// Every write on disk before its reply, so a copy of the files holds exactly the writes made before it.
const FSYNC_EACH_WRITE = ['--appendfsync', 'always'];

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'cp-went-back-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function openStore(url: string, options: { watchCatchUpMs?: number } = {}): Promise<{ store: ObjectStore; close(): Promise<void> }> {
  const redis = await connectRedis(url);
  const store = new ObjectStore({ redis, keyPrefix: PREFIX, ...options });
  const close = async () => {
    await store.close();
    redis.destroy();
  };
  cleanups.push(close);
  return { store, close };
}

async function createPods(store: ObjectStore, classroom: string, names: string[]): Promise<void> {
  for (const name of names) await store.create(classroom, makePod(name), as('bot:controller-manager'));
}

test('a watch that has delivered nothing ends (its screens list again) when Redis restarted from an older file and the lost versions were handed out again before its next read', { timeout: 60_000 }, async () => {
  const dir = tempDir();
  const aof = path.join(dir, 'appendonlydir');
  let redis: EmbeddedRedis = await startEmbeddedRedis({ dataDir: dir, args: FSYNC_EACH_WRITE });
  cleanups.push(() => redis.stop());
  const classroom = newClassroom();
  const writer = await openStore(redis.url);
  await createPods(writer.store, classroom, ['web-1', 'web-2']);
  // What the file holds when Redis comes back: versions 1 and 2.
  const older = tempDir();
  cpSync(aof, older, { recursive: true });
  await createPods(writer.store, classroom, ['web-3', 'web-4']);
  await writer.close();

  // The screens list at version 4 (web-3 and web-4 among the pods) and follow from there; nothing changes meanwhile.
  const watcher = await openStore(redis.url, { watchCatchUpMs: 600_000 });
  const listed = await watcher.store.list(classroom, 'Pod');
  expect([listed.resourceVersion, listed.items.map((p) => p.metadata.name)]).toEqual(['4', ['web-1', 'web-2', 'web-3', 'web-4']]);
  const seen = collector();
  let expired = 0;
  const stop = await watcher.store.watch(classroom, listed.resourceVersion, seen.listener, () => expired++);
  cleanups.push(stop);

  // Redis dies and comes back from the older file, where other changes have since taken versions 3, 4 and 5.
  process.kill(redis.pid, 'SIGKILL');
  await waitFor(() => !isProcessAlive(redis.pid), { what: 'redis-server gone' });
  const refilled = tempDir();
  cpSync(older, path.join(refilled, 'appendonlydir'), { recursive: true });
  const meanwhile = await startEmbeddedRedis({ dataDir: refilled, args: FSYNC_EACH_WRITE });
  const other = await openStore(meanwhile.url);
  await createPods(other.store, classroom, ['api-1', 'api-2', 'api-3']);
  await other.close();
  await meanwhile.stop();
  rmSync(aof, { recursive: true, force: true });
  cpSync(path.join(refilled, 'appendonlydir'), aof, { recursive: true });
  redis = await startEmbeddedRedis({ dataDir: dir, port: redis.port, args: FSYNC_EACH_WRITE });

  // The watch ends (its screens get a fresh snapshot), and api-3 at version 5 is not passed off as the change after web-4.
  await waitFor(() => expired > 0, { what: 'the watch to end', timeoutMs: 15_000 });
  expect(expired).toBe(1);
  expect(seen.events).toEqual([]);
});
