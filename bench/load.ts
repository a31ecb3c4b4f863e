/**
 * Many classrooms at once (issue 14): the production server (its own process, one Redis) and a
 * socket.io-client swarm of students in BENCH_CLASSROOMS classrooms of BENCH_STUDENTS in all. The
 * bots play every classroom's round up to a Ready Deployment; then in every classroom at once a
 * kube-proxy student routes BENCH_ACTIONS requests, each timed from the action to every client of
 * its classroom updated. In the same run, a bare Socket.IO server relays the same payload to rooms
 * of the same sizes, one sender per room, all rooms at once. Prints the server's CPU and RSS, Redis
 * commands per action, the generator's own CPU share, and the line scripts read:
 *   p99 <ms> ms vs bare <ms> ms: ratio <r>x
 *   npm run bench -- load     (BENCH_STUDENTS=4000 BENCH_CLASSROOMS=100 BENCH_ACTIONS=20 BENCH_PROCESSES=1)
 * Then (unless BENCH_SWEEP=0) it sweeps 500, 1,000, 2,000 and 4,000 students in classrooms of the
 * same size, on one process with one Redis and on two processes with a Redis Cluster of three
 * masters (each classroom's members spread over both, as a load balancer without stickiness
 * would), and writes bench/results/load.json and load.svg.
 * PROF=1 writes each server's CPU profile to /tmp/cpuprof.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { io as connect, type Socket } from 'socket.io-client';
import { connectRedis } from '../server/redis/connect';
import { freePort, startEmbeddedRedis, type EmbeddedRedis } from '../server/redis/embedded-redis';
import { startRedisCluster, type TestRedisCluster } from '../server/testing/redis-cluster';
import { commandsProcessed, everyClientAt, percentile, startBareServer, startProductionServer, usage } from './_harness';
import { classroom, type Room } from './_classroom';
import { loadChart, type LoadPoint } from './_load-chart';

const STUDENTS = Number(process.env.BENCH_STUDENTS ?? 4000);
const CLASSROOMS = Number(process.env.BENCH_CLASSROOMS ?? 100);
const ACTIONS = Number(process.env.BENCH_ACTIONS ?? 20);
/** The main measurement's server processes: 1 on one Redis, 2 or more on a Redis Cluster of three masters. */
const PROCESSES = Number(process.env.BENCH_PROCESSES ?? 1);
/** The sweep's sizes; BENCH_SWEEP_STUDENTS=100,200 for a quick look. */
const SWEEP = (process.env.BENCH_SWEEP_STUDENTS ?? '500,1000,2000,4000').split(',').map(Number);
const WARMUP = 3;
/** Classrooms set up at once (each waits for its bots to play the round up). */
const SETUP_BATCH = 10;
const MB = 1048576;

/** Every classroom's proxy routes its requests, all classrooms at once; each timed to its whole classroom updated. */
async function measure(rooms: Room[]): Promise<{ samples: number[]; payload: unknown[]; events: number; seconds: number }> {
  let payload: unknown[] = [];
  const first = rooms[0]?.clients[0];
  const capture = (...args: unknown[]) => {
    if (Array.isArray(args[0]) && args[0].length) payload = args; // not a refusal sent alone
  };
  first?.socket.on('watch', capture);
  const delivered = rooms.reduce((n, r) => n + r.clients.reduce((m, c) => m + c.batches.flat().length, 0), 0);
  const samples: number[] = [];
  const started = performance.now();
  await Promise.all(
    rooms.map(async ({ proxy, clients }) => {
      for (let i = 0; i < WARMUP + ACTIONS; i++) {
        const t0 = performance.now();
        const reply = await proxy.act({ kind: 'routeRequest', node: 'node-1', service: 'web' });
        if (!reply.ok || !reply.resourceVersion) throw new Error(`routeRequest refused: ${JSON.stringify(reply)}`);
        const updated = await everyClientAt(clients, BigInt(reply.resourceVersion));
        if (i >= WARMUP) samples.push(updated - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  first?.socket.off('watch', capture);
  const events = rooms.reduce((n, r) => n + r.clients.reduce((m, c) => m + c.batches.flat().length, 0), 0) - delivered;
  return { samples: samples.sort((a, b) => a - b), payload, events, seconds };
}

/** The bare relay: rooms of the same sizes, one sender each, all rooms at once. */
async function bare(roomSizes: number[], payload: unknown[]): Promise<number[]> {
  const server = await startBareServer();
  try {
    const rooms: Socket[][] = [];
    for (const [r, size] of roomSizes.entries()) {
      rooms.push(
        await Promise.all(
          Array.from({ length: size }, () => new Promise<Socket>((resolve) => {
            const s = connect(server.url, { transports: ['websocket'], query: { room: `room-${r}` } });
            s.once('connect', () => resolve(s));
          })),
        ),
      );
    }
    const samples: number[] = [];
    await Promise.all(
      rooms.map(async (sockets) => {
        for (let i = 0; i < WARMUP + ACTIONS; i++) {
          let left = sockets.length;
          const all = new Promise<number>((resolve) => {
            const onWatch = function (this: Socket) {
              this.off('watch', onWatch);
              if (--left === 0) resolve(performance.now());
            };
            for (const s of sockets) s.on('watch', onWatch);
          });
          const t0 = performance.now();
          sockets[0]?.emit('action', ...payload, () => {});
          const done = await all;
          if (i >= WARMUP) samples.push(done - t0);
        }
      }),
    );
    for (const s of rooms.flat()) s.close();
    return samples.sort((a, b) => a - b);
  } finally {
    server.child.kill('SIGTERM');
  }
}


/** One measurement: `processes` servers sharing one Redis or a Redis Cluster of three masters, `students` in classrooms of equal size. */
async function runPoint(processes: number, students: number, classrooms: number, cluster: boolean): Promise<LoadPoint> {
  const perClassroom = Math.max(1, Math.floor(students / classrooms));
  let redis: EmbeddedRedis | null = null;
  let redisCluster: TestRedisCluster | null = null;
  const servers: ChildProcess[] = [];
  try {
    let target: string | { clusterNodes: string[] };
    if (cluster) {
      redisCluster = await startRedisCluster(3);
      target = { clusterNodes: redisCluster.nodes };
    } else if (process.env.REDIS_URL) target = process.env.REDIS_URL;
    else {
      redis = await startEmbeddedRedis({ dataDir: null });
      target = redis.url;
    }
    const prefix = `bench-load-${Date.now()}`;
    const urls: string[] = [];
    for (let i = 0; i < processes; i++) {
      const port = await freePort();
      servers.push(await startProductionServer(target, port, prefix));
      urls.push(`http://127.0.0.1:${port}`);
    }
    const where = cluster ? 'a Redis Cluster of 3 masters' : 'one Redis';
    console.log(`\n${processes} process${processes > 1 ? 'es' : ''} on ${where}: ${classrooms} classrooms of ${perClassroom} students (${classrooms * perClassroom} in all), ${ACTIONS} measured actions per classroom`);
    const rooms: Room[] = [];
    for (let i = 0; i < classrooms; i += SETUP_BATCH) {
      const batch = Array.from({ length: Math.min(SETUP_BATCH, classrooms - i) }, (_, j) => i + j);
      rooms.push(...(await Promise.all(batch.map((index) => classroom(urls, index, perClassroom)))));
    }
    // Every node's count: on a Redis Cluster the commands are spread over the masters.
    const counters = await Promise.all((typeof target === 'string' ? [target] : target.clusterNodes.map((n) => `redis://${n}`)).map((url) => connectRedis(url)));
    const commands = async () => (await Promise.all(counters.map((c) => commandsProcessed(c)))).reduce((a, b) => a + b, 0);
    const before = { servers: servers.map((s) => usage(s.pid ?? 0)), commands: await commands(), generator: process.cpuUsage() };
    const ours = await measure(rooms);
    const after = { servers: servers.map((s) => usage(s.pid ?? 0)), commands: await commands(), generator: process.cpuUsage(before.generator) };
    for (const c of counters) await c.close();
    const actions = ours.samples.length + WARMUP * rooms.length;
    const bareSamples = await bare(
      rooms.map((r) => r.clients.length),
      ours.payload,
    );
    for (const c of rooms.flatMap((r) => r.clients)) c.close();
    const stats = (s: number[]) => ({ p50: percentile(s, 50), p95: percentile(s, 95), p99: percentile(s, 99), max: s.at(-1) ?? NaN });
    const point: LoadPoint = {
      processes,
      redis: cluster ? 'cluster' : 'single',
      students: classrooms * perClassroom,
      classrooms,
      ours: stats(ours.samples),
      bare: stats(bareSamples),
      ratio: percentile(ours.samples, 99) / percentile(bareSamples, 99),
      eventsPerSecond: ours.events / ours.seconds,
      payloadBytes: JSON.stringify(ours.payload).length,
      servers: servers.map((_, i) => ({
        cpuPercent: (((after.servers[i]?.cpu ?? 0) - (before.servers[i]?.cpu ?? 0)) / ours.seconds) * 100,
        rssMB: (after.servers[i]?.rss ?? 0) / MB,
      })),
      redisCommandsPerAction: (after.commands - before.commands) / actions,
      generatorCpuPercent: ((after.generator.user + after.generator.system) / 1e6 / ours.seconds) * 100,
    };
    report(point);
    return point;
  } finally {
    for (const s of servers) s.kill('SIGTERM');
    await redis?.stop();
    await redisCluster?.stop();
  }
}

function report(p: LoadPoint): void {
  const row = (name: string, s: LoadPoint['ours']) =>
    `${name.padEnd(44)} p50 ${s.p50.toFixed(2).padStart(7)}  p95 ${s.p95.toFixed(2).padStart(7)}  p99 ${s.p99.toFixed(2).padStart(7)}  max ${s.max.toFixed(2).padStart(7)} ms`;
  console.log(row('action -> every client updated (ClusterPlay)', p.ours));
  console.log(row('bare Socket.IO room broadcast (baseline)', p.bare));
  console.log(`events delivered: ${p.eventsPerSecond.toFixed(0)}/s; payload ${p.payloadBytes} bytes`);
  const servers = p.servers.map((s, i) => `process ${i + 1}: ${s.cpuPercent.toFixed(0)} % of a core, RSS ${s.rssMB.toFixed(0)} MB`).join('; ');
  console.log(
    `server ${servers}; redis: ${p.redisCommandsPerAction.toFixed(1)} commands per action (bots and heartbeats included); ` +
      `load generator: ${p.generatorCpuPercent.toFixed(0)} % of a core`,
  );
  console.log(`p99 ${p.ours.p99.toFixed(2)} ms vs bare ${p.bare.p99.toFixed(2)} ms: ratio ${p.ratio.toFixed(2)}x`);
}

const main = await runPoint(PROCESSES, STUDENTS, CLASSROOMS, PROCESSES > 1);
if (process.env.BENCH_SWEEP !== '0') {
  const size = STUDENTS / CLASSROOMS;
  const points: LoadPoint[] = [];
  // One process on one Redis; two processes on a Redis Cluster of three masters.
  for (const processes of [1, 2]) {
    for (const students of SWEEP) {
      const classrooms = Math.max(1, Math.round(students / size));
      const same = processes === PROCESSES && classrooms === main.classrooms && classrooms * Math.floor(students / classrooms) === main.students;
      points.push(same ? main : await runPoint(processes, students, classrooms, processes > 1));
    }
  }
  console.log('\nsweep (one process on one Redis; two processes on a Redis Cluster of 3 masters):');
  console.log('processes  students  classrooms   p50 ms   p99 ms  bare p99   ratio  events/s  RSS MB per process  CPU % per process  redis cmds/action');
  for (const p of points) {
    console.log(
      `${String(p.processes).padStart(9)}  ${String(p.students).padStart(8)}  ${String(p.classrooms).padStart(10)}  ${p.ours.p50.toFixed(1).padStart(7)}  ${p.ours.p99.toFixed(1).padStart(7)}  ${p.bare.p99.toFixed(1).padStart(8)}  ${p.ratio.toFixed(2).padStart(6)}  ${p.eventsPerSecond.toFixed(0).padStart(8)}  ${p.servers.map((s) => s.rssMB.toFixed(0)).join(' + ').padStart(18)}  ${p.servers.map((s) => s.cpuPercent.toFixed(0)).join(' + ').padStart(17)}  ${p.redisCommandsPerAction.toFixed(1).padStart(17)}`,
    );
  }
  const dir = path.resolve(import.meta.dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const result = { at: new Date().toISOString(), loadAverage: loadavg(), main, sweep: points };
  writeFileSync(path.join(dir, 'load.json'), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(path.join(dir, 'load.svg'), loadChart(points));
  console.log(`wrote bench/results/load.json and load.svg`);
}
