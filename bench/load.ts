/**
 * Many classrooms at once (issue 14): the production server (its own process, one Redis) and a
 * socket.io-client swarm of students in BENCH_CLASSROOMS classrooms of BENCH_STUDENTS in all. The
 * bots play every classroom's round up to a Ready Deployment; then in every classroom at once a
 * kube-proxy student routes BENCH_ACTIONS requests, each timed from the action to every client of
 * its classroom updated. In the same run, a bare Socket.IO server relays the same payload to rooms
 * of the same sizes, one sender per room, all rooms at once. Prints the server's CPU and RSS, Redis
 * commands per action, the generator's own CPU share, and the line scripts read:
 *   p99 <ms> ms vs bare <ms> ms: ratio <r>x
 *   npm run bench -- load     (BENCH_STUDENTS=4000 BENCH_CLASSROOMS=100 BENCH_ACTIONS=20)
 * Not built yet: the sweep over 500…4,000 students, two processes and a Redis Cluster (BENCH_SWEEP
 * is read, and says so).
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { io as connect, type Socket } from 'socket.io-client';
import type { WatchEvent } from '@shared/protocol';
import { assignRoles, classroomWith, connectCluster, type ClusterClient } from '../server/cluster/testing/cluster-client';
import { roundDone } from '../server/cluster/testing/players';
import { connectRedis } from '../server/redis/connect';
import { freePort, startEmbeddedRedis, type EmbeddedRedis } from '../server/redis/embedded-redis';
import { waitFor } from '../server/testing/wait';
import { everyClientAt, percentile, startBareServer, startProductionServer } from './_harness';

const STUDENTS = Number(process.env.BENCH_STUDENTS ?? 4000);
const CLASSROOMS = Number(process.env.BENCH_CLASSROOMS ?? 100);
const ACTIONS = Number(process.env.BENCH_ACTIONS ?? 20);
const WARMUP = 3;
const PER_CLASSROOM = Math.max(1, Math.floor(STUDENTS / CLASSROOMS));

/** CPU seconds (user + system) and RSS bytes of a process, from /proc. */
function usage(pid: number): { cpu: number; rss: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  const ticks = Number(stat[11] ?? 0) + Number(stat[12] ?? 0);
  const rss = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
  return { cpu: ticks / 100, rss };
}

interface Room {
  proxy: ClusterClient;
  clients: ClusterClient[];
}

/** One classroom of students (one of them the kube-proxy), its round played up by the bots. */
async function classroom(url: string, index: number): Promise<Room> {
  const names = Array.from({ length: PER_CLASSROOM }, (_, i) => `c${index}-s${i + 1}`);
  const created = await classroomWith(url, names);
  const instructor = await connectCluster(url, created.instructorToken);
  await assignRoles(instructor, created, { [names[0] ?? '']: 'kube-proxy:node-1' });
  const students = await Promise.all(names.map((n) => connectCluster(url, created.students.get(n)?.token ?? '')));
  for (const action of [{ kind: 'setTimeScale', timeScale: 20 }, { kind: 'setBotPace', secondsPerAction: 1 }, { kind: 'start' }] as const) await instructor.instructor(action);
  const proxy = students[0] as ClusterClient;
  await waitFor(
    async () => {
      await proxy.act({ kind: 'syncProxyRules', node: 'node-1', service: 'web' });
      return roundDone(instructor.state);
    },
    { what: `classroom ${index}'s round`, timeoutMs: 300_000, intervalMs: 500 },
  );
  for (const action of [{ kind: 'setTimeScale', timeScale: 1 }, { kind: 'setBotPace', secondsPerAction: 5 }] as const) await instructor.instructor(action);
  return { proxy, clients: [instructor, ...students] };
}

/** Every classroom's proxy routes its requests, all classrooms at once; each timed to its whole classroom updated. */
async function measure(rooms: Room[]): Promise<{ samples: number[]; payload: WatchEvent[]; events: number; seconds: number }> {
  let payload: WatchEvent[] = [];
  const first = rooms[0]?.clients[0];
  const capture = (events: WatchEvent[]) => (payload = events);
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
async function bare(roomSizes: number[], payload: WatchEvent[]): Promise<number[]> {
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
          sockets[0]?.emit('action', payload, () => {});
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

if (process.env.BENCH_SWEEP !== '0') console.log('BENCH_SWEEP: the sweep (500…4,000 students, two processes, Redis Cluster) is not built yet; running the main measurement only');
let redis: EmbeddedRedis | null = null;
let server: ChildProcess | null = null;
try {
  let redisUrl = process.env.REDIS_URL;
  if (!redisUrl) {
    redis = await startEmbeddedRedis({ dataDir: null });
    redisUrl = redis.url;
  }
  const port = await freePort();
  server = await startProductionServer(redisUrl, port);
  const url = `http://127.0.0.1:${port}`;
  console.log(`${CLASSROOMS} classrooms of ${PER_CLASSROOM} students (${CLASSROOMS * PER_CLASSROOM} in all), ${ACTIONS} measured actions per classroom`);
  const rooms: Room[] = [];
  for (let i = 0; i < CLASSROOMS; i++) rooms.push(await classroom(url, i));
  console.log('every round played up by the bots; measuring');
  const pid = server.pid ?? 0;
  const counter = await connectRedis(redisUrl);
  const commands = async () => Number(/total_commands_processed:(\d+)/.exec(await counter.info('stats'))?.[1] ?? 0);
  const before = { server: usage(pid), commands: await commands(), generator: process.cpuUsage() };
  const ours = await measure(rooms);
  const after = { server: usage(pid), commands: await commands(), generator: process.cpuUsage(before.generator) };
  await counter.close();
  const actions = ours.samples.length + WARMUP * rooms.length;
  const bareSamples = await bare(
    rooms.map((r) => r.clients.length),
    ours.payload,
  );
  for (const c of rooms.flatMap((r) => r.clients)) c.close();

  const row = (name: string, s: number[]) =>
    `${name.padEnd(44)} p50 ${percentile(s, 50).toFixed(2).padStart(7)}  p95 ${percentile(s, 95).toFixed(2).padStart(7)}  p99 ${percentile(s, 99).toFixed(2).padStart(7)}  max ${(s.at(-1) ?? NaN).toFixed(2).padStart(7)} ms`;
  console.log(row('action -> every client updated (ClusterPlay)', ours.samples));
  console.log(row('bare Socket.IO room broadcast (baseline)', bareSamples));
  console.log(`events delivered: ${(ours.events / ours.seconds).toFixed(0)}/s; payload ${JSON.stringify(ours.payload).length} bytes`);
  console.log(
    `server: ${(((after.server.cpu - before.server.cpu) / ours.seconds) * 100).toFixed(0)} % of a core, RSS ${(after.server.rss / 1048576).toFixed(0)} MB; ` +
      `redis: ${((after.commands - before.commands) / actions).toFixed(1)} commands per action (bots and heartbeats included); ` +
      `load generator: ${(((after.generator.user + after.generator.system) / 1e6 / ours.seconds) * 100).toFixed(0)} % of a core`,
  );
  const p99 = percentile(ours.samples, 99);
  const bareP99 = percentile(bareSamples, 99);
  console.log(`p99 ${p99.toFixed(2)} ms vs bare ${bareP99.toFixed(2)} ms: ratio ${(p99 / bareP99).toFixed(2)}x`);
} finally {
  server?.kill('SIGTERM');
  await redis?.stop();
}
