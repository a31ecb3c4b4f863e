/**
 * `npm run bench -- write-replicas`: what acknowledging a commit only once the master's replica
 * holds it (REDIS_WRITE_REPLICAS=1: WAIT 1 on the key's master) costs, on a Redis Cluster of three
 * masters with a replica each on loopback. The same store writes (pod creates in one classroom)
 * with and without the WAIT, in alternating blocks so both see the same machine load; sequential
 * (latency) and 32 in flight (throughput). Prints p50/p99 per setup and
 * `write-replicas latency p50 ratio <r>x, throughput ratio <r>x`.
 *   BENCH_WRITES=2000 (per setup)
 */
import { randomUUID } from 'node:crypto';
import { makePod } from '@shared/model';
import { connectRedisCluster } from '../server/redis/connect';
import { ObjectStore } from '../server/store';
import { startRedisCluster } from '../server/testing/redis-cluster';

const WRITES = Number(process.env.BENCH_WRITES ?? 2000);
const BLOCK = 100;
const IN_FLIGHT = 32;
const prefix = `bench-${randomUUID().slice(0, 8)}`;
const context = { actor: 'instructor', simTime: 0 };

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

const cluster = await startRedisCluster({ masters: 3, replicas: 1 });
try {
  const redis = await connectRedisCluster(cluster.nodes);
  const stores = { without: new ObjectStore({ redis, keyPrefix: prefix }), with: new ObjectStore({ redis, keyPrefix: prefix, writeReplicas: 1 }) };
  let n = 0;
  const write = (store: ObjectStore, classroom: string) => store.create(classroom, makePod(`web-${n++}`, { labels: { app: 'web' } }), context);
  const samples = { without: [] as number[], with: [] as number[] };
  const seconds = { without: 0, with: 0 };
  for (let done = 0; done < WRITES; done += BLOCK) {
    for (const setup of ['without', 'with'] as const) {
      const classroom = `${setup}-${done}`;
      for (let i = 0; i < BLOCK / 2; i++) {
        const started = performance.now();
        await write(stores[setup], classroom);
        samples[setup].push(performance.now() - started);
      }
      const started = performance.now();
      let left = BLOCK / 2;
      await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
        while (left-- > 0) await write(stores[setup], classroom);
      }));
      seconds[setup] += (performance.now() - started) / 1000;
    }
  }
  const figures = (setup: 'without' | 'with') => {
    const sorted = [...samples[setup]].sort((a, b) => a - b);
    return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), perSecond: (WRITES / 2) / seconds[setup] };
  };
  const [plain, waited] = [figures('without'), figures('with')];
  for (const [what, f] of [['no WAIT (REDIS_WRITE_REPLICAS=0)', plain], ['WAIT 1 (REDIS_WRITE_REPLICAS=1)', waited]] as const) {
    console.log(`${what}: sequential commit p50 ${f.p50.toFixed(2)} ms, p99 ${f.p99.toFixed(2)} ms; ${IN_FLIGHT} in flight ${f.perSecond.toFixed(0)} commits/s`);
  }
  console.log(`write-replicas latency p50 ratio ${(waited.p50 / plain.p50).toFixed(2)}x, throughput ratio ${(waited.perSecond / plain.perSecond).toFixed(2)}x`);
  await redis.close();
} finally {
  await cluster.stop();
}
process.exit(0);
