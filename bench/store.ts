/**
 * The store's hot path: writes per second and write-to-watcher latency, beside a raw Redis
 * baseline measured in the same run (SET + XADD + SPUBLISH in one round trip; a plain SSUBSCRIBE listener).
 * Starts a private redis-server unless REDIS_URL is set.
 *   npm run bench -- store        (BENCH_WRITES=5000 to change the number of writes)
 */
import { randomUUID } from 'node:crypto';
import { applyDefaults, makePod, type Pod } from '@shared/model';
import type { WatchEvent } from '@shared/protocol';
import { connectRedis, type RedisClient } from '../server/redis/connect';
import { startEmbeddedRedis, type EmbeddedRedis } from '../server/redis/embedded-redis';
import { ObjectStore } from '../server/store';

const WRITES = Number(process.env.BENCH_WRITES ?? 3000);
const CONCURRENCY = 32;
const PREFIX = `bench-${randomUUID().slice(0, 8)}`;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

function samplePod(i: number): Pod {
  return makePod(`web-${i}`, { labels: { app: 'web', tier: 'front', 'pod-template-hash': '7d4f9c8b5' }, requests: { cpu: '250m', memory: '128Mi' }, port: 80 });
}

/** Runs `op(i, worker)` for i in [0, n) with `inFlight` workers; returns writes per second. */
async function throughput(n: number, inFlight: number, op: (i: number, worker: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async (_, worker) => {
      while (next < n) await op(next++, worker);
    }),
  );
  return n / ((performance.now() - started) / 1000);
}

/** Sequential writes, each timed from before the write until a watcher on another connection has it. */
async function latency(n: number, write: (i: number) => Promise<unknown>, received: Map<number, number>, seq: () => number): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const started = performance.now();
    await write(i);
    const rv = seq();
    while (!received.has(rv)) await new Promise((r) => setImmediate(r));
    samples.push((received.get(rv) ?? NaN) - started);
  }
  return samples.sort((a, b) => a - b);
}

async function rawBaseline(redis: RedisClient, reader: RedisClient) {
  // The pod as the store keeps it (defaults applied), so both sides move the same bytes.
  const json = JSON.stringify(applyDefaults(samplePod(0)));
  const log = `${PREFIX}:{raw}:log`;
  const channel = `${PREFIX}:{raw}:log-notify`;
  const write = (i: number) => Promise.all([redis.set(`${PREFIX}:{raw}:obj:${i % 500}`, json), redis.xAdd(log, '*', { type: 'MODIFIED', object: json }), redis.sPublish(channel, json)]);
  const sequential = await throughput(WRITES, 1, write);
  const concurrent = await throughput(WRITES, CONCURRENCY, write);

  // A listener like the store's watch: subscribed to the channel on its own connection.
  const received = new Map<number, number>();
  let count = 0;
  const subscriber = reader.duplicate();
  await subscriber.connect();
  await subscriber.sSubscribe(channel, () => received.set(++count, performance.now()));
  let sent = 0;
  const samples = await latency(Math.min(WRITES, 2000), (i) => write(i).then(() => sent++), received, () => sent);
  subscriber.destroy();
  return { sequential, concurrent, samples };
}

async function storeRun(redis: RedisClient, watcherRedis: RedisClient) {
  const writerStore = new ObjectStore({ redis, keyPrefix: PREFIX });
  const watcherStore = new ObjectStore({ redis: watcherRedis, keyPrefix: PREFIX });
  const context = { actor: 'bench', simTime: Date.UTC(2026, 10, 25) };

  // creates: new objects, sequential then concurrent
  const classroom = `store-${randomUUID()}`;
  const createSeq = await throughput(WRITES, 1, (i) => writerStore.create(classroom, samplePod(i), context));
  const createConc = await throughput(WRITES, CONCURRENCY, (i) => writerStore.create(classroom, samplePod(WRITES + i), context));

  // updates carrying the resourceVersion the writer last saw (the path of every student action)
  const latest = new Map<number, Pod>();
  for (const pod of (await writerStore.list(classroom, 'Pod')).items) latest.set(Number(pod.metadata.name.slice(4)), pod);
  const update = async (i: number, key = i % 500) => {
    const pod = latest.get(key) as Pod;
    const next = await writerStore.update(classroom, { ...pod, metadata: { ...pod.metadata, annotations: { n: String(i) } } }, context);
    latest.set(key, next);
  };
  const updateSeq = await throughput(WRITES, 1, update);
  // Concurrent writers each own one pod, so none of them conflicts.
  const updateConc = await throughput(WRITES, CONCURRENCY, (i, worker) => update(i, worker));

  // latency: a watcher on its own connection (another store instance, as another process would be)
  const received = new Map<number, number>();
  const { resourceVersion } = await writerStore.list(classroom, 'Pod');
  const stop = await watcherStore.watch(classroom, resourceVersion, (events: WatchEvent[]) => {
    const now = performance.now();
    for (const e of events) received.set(Number(e.resourceVersion), now);
  });
  let rv = Number(resourceVersion);
  const samples = await latency(Math.min(WRITES, 2000), (i) => update(i).then(() => rv++), received, () => rv);
  stop();
  await Promise.all([writerStore.close(), watcherStore.close()]);
  const podBytes = JSON.stringify(latest.get(0)).length;
  return { createSeq, createConc, updateSeq, updateConc, samples, podBytes };
}

async function main(): Promise<void> {
  let embedded: EmbeddedRedis | null = null;
  const url = process.env.REDIS_URL ?? (embedded = await startEmbeddedRedis({ dataDir: null })).url;
  const [a, b] = await Promise.all([connectRedis(url), connectRedis(url)]);
  try {
    const raw = await rawBaseline(a, b);
    const store = await storeRun(a, b);
    const rate = (n: number) => `${Math.round(n).toLocaleString('en-US')}/s`.padStart(10);
    const ms = (n: number) => `${n.toFixed(2)} ms`.padStart(10);
    console.log(`${WRITES} writes of a ${store.podBytes}-byte stored pod; ${CONCURRENCY} in flight for "concurrent"; Redis ${url}${embedded ? ' (private)' : ''}`);
    console.log(`${''.padEnd(44)}${'writes'.padStart(10)}${'p50'.padStart(10)}${'p99'.padStart(10)}`);
    console.log(`${'baseline SET+XADD+SPUBLISH, sequential'.padEnd(44)}${rate(raw.sequential)}`);
    console.log(`${'baseline SET+XADD+SPUBLISH, concurrent'.padEnd(44)}${rate(raw.concurrent)}`);
    console.log(`${'baseline write -> SSUBSCRIBE listener'.padEnd(44)}${''.padStart(10)}${ms(percentile(raw.samples, 50))}${ms(percentile(raw.samples, 99))}`);
    console.log(`${'store create, sequential'.padEnd(44)}${rate(store.createSeq)}`);
    console.log(`${'store create, concurrent'.padEnd(44)}${rate(store.createConc)}`);
    console.log(`${'store update with resourceVersion, sequential'.padEnd(44)}${rate(store.updateSeq)}`);
    console.log(`${'store update with resourceVersion, concurrent'.padEnd(44)}${rate(store.updateConc)}`);
    console.log(`${'store update -> watcher'.padEnd(44)}${''.padStart(10)}${ms(percentile(store.samples, 50))}${ms(percentile(store.samples, 99))}`);
  } finally {
    const keys = await a.keys(`${PREFIX}:*`);
    if (keys.length) await a.del(keys);
    await Promise.all([a.close(), b.close()]);
    await embedded?.stop();
  }
}

await main();
