/**
 * `npm run bench -- cluster-watch`: on a Redis Cluster of three masters, the time from a commit by
 * one process to a watcher in another process hearing it, two ways in the same run, alternating
 * write by write: the commit's notification carries the log entry (the default; a watcher in step
 * fans it out at once), or only the resourceVersion (the store's `logNoticeMaxBytes: 0`, the path
 * before entries were carried: the watcher reads the log with XRANGE, a second round trip).
 * BENCH_CLASSROOMS classrooms write at once (default 8), each BENCH_WRITES changes (default 400)
 * of a ~1 kB pod, one at a time. Prints both latencies, the XRANGE calls Redis ran per write of
 * each kind, and `carried p99 <ms> ms vs version only <ms> ms: ratio <r>x`.
 */
import { makePod } from '@shared/model';
import { connectRedisCluster } from '../server/redis/connect';
import { ObjectStore } from '../server/store';
import { startRedisCluster } from '../server/testing/redis-cluster';
import { percentile } from './_harness';

const CLASSROOMS = Number(process.env.BENCH_CLASSROOMS ?? 8);
const WRITES = Number(process.env.BENCH_WRITES ?? 400);
const prefix = `bench-cluster-watch-${Date.now()}`;

const cluster = await startRedisCluster(3);
const writerRedis = await connectRedisCluster(cluster.nodes);
const watcherRedis = await connectRedisCluster(cluster.nodes);
const carrying = new ObjectStore({ redis: writerRedis, keyPrefix: prefix });
const versionOnly = new ObjectStore({ redis: writerRedis, keyPrefix: prefix, logNoticeMaxBytes: 0 });
const watcher = new ObjectStore({ redis: watcherRedis, keyPrefix: prefix });

/** XRANGE calls on every master so far (INFO commandstats). */
async function logReads(): Promise<number> {
  const counts = await Promise.all(
    writerRedis.masters.map(async (master) => Number(/cmdstat_xrange:calls=(\d+)/.exec(await (await writerRedis.nodeClient(master)).info('commandstats'))?.[1] ?? 0)),
  );
  return counts.reduce((a, b) => a + b, 0);
}

const samples = { carried: [] as number[], versionOnly: [] as number[] };
const context = { actor: 'bot:kubelet:node-1', simTime: 0 };
const stops: Array<() => void> = [];
try {
  const classrooms = Array.from({ length: CLASSROOMS }, (_, i) => `room-${i}`);
  const heardAt = new Map<string, number>();
  for (const classroom of classrooms) {
    await carrying.create(classroom, makePod('web-1', { labels: { app: 'web', 'pod-template-hash': '7d4f9c8b5' }, requests: { cpu: '250m', memory: '128Mi' }, port: 80 }), context);
    stops.push(await watcher.watch(classroom, '0', (events) => {
      const now = performance.now();
      for (const e of events) heardAt.set(`${classroom}/${e.resourceVersion}`, now);
    }));
  }
  const before = await logReads();
  await Promise.all(
    classrooms.map(async (classroom) => {
      for (let i = 0; i < WRITES; i++) {
        const carried = i % 2 === 0;
        const started = performance.now();
        const pod = await (carried ? carrying : versionOnly).patch(classroom, { kind: 'Pod', name: 'web-1' }, { metadata: { annotations: { write: String(i) } } }, context);
        const key = `${classroom}/${pod.metadata.resourceVersion}`;
        while (!heardAt.has(key)) await new Promise((resolve) => setImmediate(resolve));
        (carried ? samples.carried : samples.versionOnly).push((heardAt.get(key) ?? NaN) - started);
      }
    }),
  );
  const reads = (await logReads()) - before;
  const row = (name: string, s: number[]) => {
    s.sort((a, b) => a - b);
    return `${name.padEnd(52)} p50 ${percentile(s, 50).toFixed(2).padStart(6)}  p99 ${percentile(s, 99).toFixed(2).padStart(6)}  max ${(s.at(-1) ?? NaN).toFixed(2).padStart(7)} ms`;
  };
  console.log(`${CLASSROOMS} classrooms writing at once, ${WRITES} changes each, half of each kind, alternating`);
  console.log(row('commit -> other process hears it (entry carried)', samples.carried));
  console.log(row('commit -> other process hears it (version only)', samples.versionOnly));
  console.log(`XRANGE calls: ${reads} for ${samples.versionOnly.length} version-only and ${samples.carried.length} carried writes`);
  const [p99, base] = [percentile(samples.carried, 99), percentile(samples.versionOnly, 99)];
  console.log(`carried p99 ${p99.toFixed(2)} ms vs version only ${base.toFixed(2)} ms: ratio ${(p99 / base).toFixed(2)}x`);
} finally {
  for (const stop of stops) stop();
  await Promise.all([carrying.close(), versionOnly.close(), watcher.close()]);
  await Promise.all([writerRedis.close(), watcherRedis.close()]);
  await cluster.stop();
}
