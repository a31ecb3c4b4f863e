/**
 * One classroom's hot path: action -> every client updated. Starts the production server (its own
 * process, as `npm start` runs it) and drives one classroom of 30 socket.io-client students plus
 * the instructor through a round (bots play the cluster up to a Ready Deployment), then a
 * kube-proxy student routes requests to the Service, each one acked and sent to every client as a
 * watch event. Beside it, in the same run: a bare Socket.IO server, in its own process too, that
 * relays the same payload to a room of as many clients. Starts a private redis-server unless
 * REDIS_URL is set.
 *   npm run bench -- round        (BENCH_SAMPLES=500 to change the number of actions)
 */
import type { ChildProcess } from 'node:child_process';
import { io as connect, type Socket } from 'socket.io-client';
import { getObject } from '@shared/protocol/watch-reducer';
import { startEmbeddedRedis, freePort, type EmbeddedRedis } from '../server/redis/embedded-redis';
import { assignRoles, classroomWith, connectCluster, type ClusterClient } from '../server/cluster/testing/cluster-client';
import { roundDone } from '../server/cluster/testing/players';
import { waitFor } from '../server/testing/wait';
import { everyClientAt, percentile, startBareServer, startProductionServer, usage } from './_harness';

const STUDENTS = 30;
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 300);
const WARMUP = 30;

async function roundLatency(url: string, serverPid: number): Promise<{ samples: number[]; acks: number[]; ackAndAll: number[]; payload: unknown[]; clients: ClusterClient[]; cpuPerAction: number }> {
  const names = Array.from({ length: STUDENTS }, (_, i) => `student-${i + 1}`);
  const classroom = await classroomWith(url, names);
  const instructor = await connectCluster(url, classroom.instructorToken);
  await assignRoles(instructor, classroom, { 'student-1': 'kube-proxy:node-1' });
  const students = await Promise.all(names.map((n) => connectCluster(url, classroom.students.get(n)?.token ?? '')));
  const proxy = students[0] as ClusterClient;
  const clients = [instructor, ...students];
  for (const action of [{ kind: 'setTimeScale', timeScale: 20 }, { kind: 'setBotPace', secondsPerAction: 1 }, { kind: 'start' }] as const) await instructor.instructor(action);

  // The round: bots bring the Deployment up while the student programs node-1's kube-proxy (bots the other nodes').
  await waitFor(
    async () => {
      await proxy.act({ kind: 'syncProxyRules', node: 'node-1', service: 'web' });
      return roundDone(instructor.state);
    },
    { what: 'the round to reach a Ready, programmed Deployment', timeoutMs: 120_000, intervalMs: 200 },
  );
  console.log(`round done at resourceVersion ${instructor.state.resourceVersion}; ${getObject(instructor.state, 'Deployment', 'web')?.status?.readyReplicas} ready replicas`);

  // The measured action, at the class's normal pace (bots every 5 simulated s, time at scale 1):
  // route one request from node-1 through the Service (a ProxyTable counter moves).
  for (const action of [{ kind: 'setTimeScale', timeScale: 1 }, { kind: 'setBotPace', secondsPerAction: 5 }] as const) await instructor.instructor(action);
  // The arguments of our watch message (changes, request-log entries): the bare relay sends the same.
  let payload: unknown[] = [];
  // The messages a client gets per action: the change and its request-log entry in one, or apart.
  const messages = { all: 0, together: 0 };
  const capture = (...args: unknown[]) => {
    messages.all++;
    if (Array.isArray(args[0]) && args[0].length && Array.isArray(args[1])) messages.together++;
    if (Array.isArray(args[0]) && args[0].length) payload = args; // not a refusal sent alone
  };
  instructor.socket.on('watch', capture);
  // When each client's folded state moved, noted from before the action is sent: the last client's
  // first arrival at the action's version is when every client was updated, wherever the ack fell
  // among the frames (the server may answer the sender after the fan-out; the bare relay's ack is
  // not waited for either).
  const arrivals = clients.map(() => [] as Array<{ rv: string; at: number }>);
  const stopNoting = clients.map((c, i) => {
    const note = () => arrivals[i]?.push({ rv: c.state.resourceVersion, at: performance.now() });
    c.socket.on('watch', note); // after the client's own listener: its state is folded already
    return () => c.socket.off('watch', note);
  });
  const samples: number[] = [];
  const acks: number[] = [];
  const ackAndAll: number[] = [];
  const cpuBefore = usage(serverPid).cpu;
  for (let i = 0; i < WARMUP + SAMPLES; i++) {
    for (const list of arrivals) list.length = 0;
    const started = performance.now();
    const reply = await proxy.act({ kind: 'routeRequest', node: 'node-1', service: 'web' });
    if (!reply.ok || !reply.resourceVersion) throw new Error(`routeRequest refused: ${JSON.stringify(reply)}`);
    const acked = performance.now();
    const rv = BigInt(reply.resourceVersion);
    const ackedAndUpdated = await everyClientAt(clients, rv);
    const updated = Math.max(...arrivals.map((list) => list.find((a) => BigInt(a.rv) >= rv)?.at ?? NaN));
    if (Number.isNaN(updated)) throw new Error(`a client reached resourceVersion ${rv} without a watch message`);
    if (i >= WARMUP) {
      samples.push(updated - started);
      acks.push(acked - started);
      ackAndAll.push(ackedAndUpdated - started);
    }
  }
  const cpuPerAction = (usage(serverPid).cpu - cpuBefore) / (WARMUP + SAMPLES);
  instructor.socket.off('watch', capture);
  for (const stop of stopNoting) stop();
  const actions = WARMUP + SAMPLES;
  console.log(`watch messages per action to the instructor: ${(messages.all / actions).toFixed(2)} (${((100 * messages.together) / actions).toFixed(0)} % of actions in one message with their request-log entry)`);
  return { samples: samples.sort((a, b) => a - b), acks: acks.sort((a, b) => a - b), ackAndAll: ackAndAll.sort((a, b) => a - b), payload, clients, cpuPerAction };
}

/** One client emits, the bare server relays to the room, timed until all clients have it. */
async function bareBroadcast(clientCount: number, payload: unknown[]): Promise<{ samples: number[]; cpuPerAction: number }> {
  const { child, url } = await startBareServer();
  try {
    const sockets: Socket[] = await Promise.all(
      Array.from({ length: clientCount }, () => new Promise<Socket>((resolve) => {
        const s = connect(url, { transports: ['websocket'] });
        s.once('connect', () => resolve(s));
      })),
    );
    const samples: number[] = [];
    const cpuBefore = usage(child.pid ?? 0).cpu;
    for (let i = 0; i < WARMUP + SAMPLES; i++) {
      let left = sockets.length;
      const all = new Promise<number>((resolve) => {
        const onWatch = function (this: Socket) {
          this.off('watch', onWatch);
          if (--left === 0) resolve(performance.now());
        };
        for (const s of sockets) s.on('watch', onWatch);
      });
      const started = performance.now();
      sockets[0]?.emit('action', ...payload, () => {});
      const done = await all;
      if (i >= WARMUP) samples.push(done - started);
    }
    const cpuPerAction = (usage(child.pid ?? 0).cpu - cpuBefore) / (WARMUP + SAMPLES);
    for (const s of sockets) s.close();
    return { samples: samples.sort((a, b) => a - b), cpuPerAction };
  } finally {
    child.kill('SIGTERM');
  }
}

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
  const round = await roundLatency(`http://127.0.0.1:${port}`, server.pid ?? 0);
  const { samples: bare, cpuPerAction: bareCpu } = await bareBroadcast(round.clients.length, round.payload);
  for (const c of round.clients) c.close();
  const row = (name: string, s: number[]) => `${name.padEnd(44)} p50 ${percentile(s, 50).toFixed(2).padStart(7)} ms   p99 ${percentile(s, 99).toFixed(2).padStart(7)} ms`;
  console.log(`${SAMPLES} actions, ${round.clients.length} clients (${STUDENTS} students + instructor), payload ${JSON.stringify(round.payload).length} bytes`);
  console.log(row('action -> every client updated (ClusterPlay)', round.samples));
  console.log(row('  of which: action -> ack', round.acks));
  console.log(row('  action -> ack and every client (not timed)', round.ackAndAll));
  console.log(row('bare Socket.IO room broadcast (baseline)', bare));
  const ratio = (p: number) => (percentile(round.samples, p) / percentile(bare, p)).toFixed(2);
  // CPU time holds still on a busy machine where latencies do not: the work each action costs the server.
  console.log(`server CPU per action: ${(round.cpuPerAction * 1e6).toFixed(0)} µs (bare relay: ${(bareCpu * 1e6).toFixed(0)} µs), ratio ${(round.cpuPerAction / bareCpu).toFixed(2)}x`);
  console.log(`ratio: p50 ${ratio(50)}x, p99 ${ratio(99)}x (target: p99 within 1.5x)`);
} finally {
  server?.kill('SIGTERM');
  await redis?.stop();
}
