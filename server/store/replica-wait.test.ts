/**
 * REDIS_WRITE_REPLICAS on one Redis master with one replica (real redis-servers): a commit is
 * acknowledged only once the replica holds it; with the replica dead, commits are still
 * acknowledged (the write stands on the master), one warning says so, and only one write a
 * second waits out the timeout.
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Pod } from '@shared/model';
import { connectRedis, newClient, type RedisStandalone } from '../redis/connect';
import { startEmbeddedRedis, type EmbeddedRedis } from '../redis/embedded-redis';
import { waitFor } from '../testing/wait';
import { ObjectStore } from './object-store';
import { UNPROTECTED_RETRY_MS } from './replica-wait';

const TIMEOUT_MS = 300;
let master: EmbeddedRedis;
let replica: EmbeddedRedis;
let redis: RedisStandalone;
let onReplica: RedisStandalone;
const lines: string[] = [];
const logger = pino({ level: 'info' }, new Writable({ write: (chunk: Buffer, _encoding, done) => void (lines.push(chunk.toString()), done()) }));

beforeAll(async () => {
  master = await startEmbeddedRedis({ dataDir: null });
  replica = await startEmbeddedRedis({ dataDir: null, args: ['--replicaof', '127.0.0.1', String(master.port)] });
  onReplica = newClient(replica.url, 'replica-reader');
  onReplica.on('error', () => {}); // the replica is stopped mid-test
  await onReplica.connect();
  await waitFor(async () => (await onReplica.info('replication')).includes('master_link_status:up'), { what: 'the replica linked' });
  redis = await connectRedis(master.url);
});

afterAll(async () => {
  await redis?.close();
  if (onReplica?.isOpen) onReplica.destroy();
  await Promise.all([master?.stop(), replica?.stop()]);
});

const pod = (name: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } }) as Pod;
const context = { actor: 'instructor', simTime: 0 };

test('a commit is acknowledged once the replica holds it; with the replica dead it is acknowledged anyway, with one warning', async () => {
  const store = new ObjectStore({ redis, keyPrefix: 'rw', writeReplicas: 1, writeReplicasTimeoutMs: TIMEOUT_MS, logger });
  // Read from the replica the moment the answer comes: WAIT 1 means it is there already.
  for (let i = 0; i < 20; i++) {
    const created = await store.create('room', pod(`web-${i}`), context);
    const copy = await onReplica.hGet(store.keys('room').objects('Pod'), `default/web-${i}`);
    expect(copy && JSON.parse(copy).metadata.resourceVersion).toBe(created.metadata.resourceVersion);
  }
  expect(lines).toEqual([]);

  onReplica.destroy();
  await replica.stop();
  const started = Date.now();
  const first = await store.create('room', pod('alone-0'), context);
  expect(Date.now() - started).toBeGreaterThanOrEqual(TIMEOUT_MS - 10);
  expect(await redis.hGet(store.keys('room').objects('Pod'), 'default/alone-0')).toContain(`"resourceVersion":"${first.metadata.resourceVersion}"`);
  // The next writes within UNPROTECTED_RETRY_MS do not wait for a replica that is not there.
  const quick = Date.now();
  for (let i = 1; i <= 5; i++) await store.create('room', pod(`alone-${i}`), context);
  expect(Date.now() - quick).toBeLessThan(Math.min(UNPROTECTED_RETRY_MS, 5 * TIMEOUT_MS));
  const warnings = lines.map((line) => JSON.parse(line) as { level: number; msg: string }).filter((l) => l.level === 40);
  expect(warnings.map((w) => w.msg)).toEqual(['a write was acknowledged before its replicas held it (a replica is down or behind); a failure of this master now could lose it']);
});

test('commits that share one unconfirmed WAIT log one warning between them, not one each', async () => {
  // The replica is dead since the test above; a new store has not yet seen it fall short.
  lines.length = 0;
  const store = new ObjectStore({ redis, keyPrefix: 'rw-shared', writeReplicas: 1, writeReplicasTimeoutMs: TIMEOUT_MS, logger });
  const created = await Promise.all(Array.from({ length: 10 }, (_, i) => store.create('room', pod(`shared-${i}`), context)));
  expect(created).toHaveLength(10);
  expect(await redis.hLen(store.keys('room').objects('Pod'))).toBe(10);
  const warnings = lines.map((line) => JSON.parse(line) as { level: number; msg: string }).filter((l) => l.level === 40);
  expect(warnings).toHaveLength(1);
});
