/**
 * Scale in one classroom (issue 14): the production server (its own process) and a Redis; one
 * classroom of BENCH_NODES worker nodes where bots play every role, and Deployments of
 * BENCH_PODS pods in all, applied by the instructor at once. It measures pods/s from the apply to
 * every pod Running (as the instructor's socket sees it), the server's CPU and RSS, Redis commands
 * and memory; before the apply, what the heartbeats alone cost (the server's CPU over the node
 * Lease renewals the instructor's socket saw); and, in the same run, a second small classroom of
 * BENCH_STUDENTS socket clients: the p99 of action -> every client updated while the big classroom
 * ramps, against its p99 while the big classroom sits idle. Over the ramp it also prints the
 * requests a pod took by verb (the API server's counter) and Redis' calls a pod by command (a
 * script's own calls counted). Prints one line scripts read:
 *   scale <nodes> nodes <pods> pods: <pods/s> pods/s, rss <MB> MB, other classroom p99 <ms> ms vs idle <ms> ms: ratio <r>x
 *   npm run bench -- scale      (BENCH_NODES=100 BENCH_PODS=3000 for a small run; default 1000 / 30000)
 * BENCH_TIME_SCALE (100) and BENCH_BOT_PACE (simulated seconds per bot tick, 5) set the big
 * classroom's clock; BENCH_REPLICAS (1000) the replicas of each Deployment; BENCH_TIMEOUT_S (1800);
 * BENCH_SAMPLES (100) the idle actions, BENCH_INTERVAL_MS (100) the pause between two actions.
 * PROF=1 writes the server's CPU profile to /tmp/cpuprof.
 */
import type { ChildProcess } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { io as connect } from 'socket.io-client';
import type { ClientToServerEvents, ServerToClientEvents, WatchEvent } from '@shared/protocol';
import { createClassroom } from '../server/gateway/test-clients';
import { connectRedis } from '../server/redis/connect';
import { freePort, startEmbeddedRedis, type EmbeddedRedis } from '../server/redis/embedded-redis';
import { classroom, type Room } from './_classroom';
import { commandsProcessed, everyClientAt, percentile, startProductionServer, usage } from './_harness';

const NODES = Number(process.env.BENCH_NODES ?? 1000);
const PODS = Number(process.env.BENCH_PODS ?? 30_000);
const REPLICAS = Math.min(PODS, Number(process.env.BENCH_REPLICAS ?? 1000));
const STUDENTS = Number(process.env.BENCH_STUDENTS ?? 5);
const IDLE_SAMPLES = Number(process.env.BENCH_SAMPLES ?? 100);
const TIME_SCALE = Number(process.env.BENCH_TIME_SCALE ?? 100);
const BOT_PACE = Number(process.env.BENCH_BOT_PACE ?? 5);
const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_S ?? 1800) * 1000;
const INTERVAL_MS = Number(process.env.BENCH_INTERVAL_MS ?? 100);
const MB = 1048576;
const APP_LABEL = 'scale';

/** Deployments of REPLICAS pods each (the last one takes the rest), requests small enough that 30 fit a classroom node (2 CPU, 4Gi). */
function manifest(): string {
  const docs: string[] = [];
  for (let i = 0, left = PODS; left > 0; i++, left -= REPLICAS) {
    const replicas = Math.min(REPLICAS, left);
    docs.push(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: scale-${i}
spec:
  replicas: ${replicas}
  selector:
    matchLabels: {${APP_LABEL}: "${i}"}
  template:
    metadata:
      labels: {${APP_LABEL}: "${i}"}
    spec:
      containers:
      - name: app
        image: nginx:1.27
        resources:
          requests: {cpu: 50m, memory: 64Mi}`);
  }
  return docs.join('\n---\n');
}

/** The API server's requests so far (its /metrics counter, every classroom's), by verb, and by verb and code when refused. */
async function requestsByVerb(port: number): Promise<Map<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const counts = new Map<string, number>();
  for (const [, labels = '', value] of text.matchAll(/^clusterplay_apiserver_requests_total\{([^}]*)\} (\S+)$/gm)) {
    const label = (name: string): string => new RegExp(`${name}="([^"]*)"`).exec(labels)?.[1] ?? '';
    counts.set(label('code') === '200' ? label('verb') : `${label('verb')} ${label('code')}`, Number(value));
  }
  return counts;
}

/** Redis' calls so far by command (INFO commandstats; a script's own calls counted too). */
async function commandCalls(redis: { info(section: string): Promise<string> }): Promise<Map<string, number>> {
  return new Map([...(await redis.info('commandstats')).matchAll(/^cmdstat_([\w|]+):calls=(\d+)/gm)].map((m) => [m[1] ?? '', Number(m[2])] as const));
}

/** What grew from `before` to `after`, per pod, most first: `name 1.00, …`. */
function perPod(before: Map<string, number>, after: Map<string, number>, pods: number, top = Infinity): string {
  const grown = [...after].map(([name, n]) => [name, n - (before.get(name) ?? 0)] as const).filter(([, n]) => n > 0);
  return grown
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, n]) => `${name} ${(n / Math.max(1, pods)).toFixed(2)}`)
    .join(', ');
}

/** The big classroom's instructor: a bare socket that counts the bench's pods by phase (no folded state, so the bench stays light). */
interface Watcher {
  running(): number;
  /** Node Lease renewals seen so far (every kubelet's heartbeat). */
  renewals(): number;
  instructor(action: object): Promise<{ ok: boolean; message?: string }>;
  close(): void;
}

function watchPods(url: string, token: string): Promise<Watcher> {
  const socket = connect(url, { transports: ['websocket'], reconnection: false, auth: { token } }) as import('socket.io-client').Socket<ServerToClientEvents, ClientToServerEvents>;
  const phases = new Map<string, string>();
  let running = 0;
  let renewals = 0;
  const see = (type: string, object: WatchEvent['object']): void => {
    if (object.kind === 'Lease' && object.metadata.namespace === 'kube-node-lease' && type === 'MODIFIED') renewals++;
    if (object.kind !== 'Pod' || object.metadata.labels?.[APP_LABEL] === undefined) return;
    const key = object.metadata.name;
    const before = phases.get(key);
    const after = type === 'DELETED' ? undefined : (object.status?.phase ?? 'Pending');
    if (before === 'Running') running--;
    if (after === 'Running') running++;
    if (after === undefined) phases.delete(key);
    else phases.set(key, after);
  };
  return new Promise((resolve, reject) => {
    socket.on('snapshot', (snapshot) => {
      for (const o of snapshot.objects) see('ADDED', o);
      resolve({
        running: () => running,
        renewals: () => renewals,
        instructor: (action) => socket.timeout(60_000).emitWithAck('instructor', action as never),
        close: () => socket.close(),
      });
    });
    socket.on('watch', (events) => {
      for (const e of events) see(e.type, e.object);
    });
    socket.on('connect_error', reject);
  });
}

/**
 * The small classroom's proxy routes a request every BENCH_INTERVAL_MS until `until()` (a class's
 * pace, not a flood that would itself load the server); each timed to every client of its classroom updated.
 */
async function sample(room: Room, until: () => boolean): Promise<number[]> {
  const samples: number[] = [];
  while (!until()) {
    await new Promise((resolve) => setTimeout(resolve, INTERVAL_MS));
    const t0 = performance.now();
    const reply = await room.proxy.act({ kind: 'routeRequest', node: 'node-1', service: 'web' });
    if (!reply.ok || !reply.resourceVersion) throw new Error(`routeRequest refused: ${JSON.stringify(reply)}`);
    samples.push((await everyClientAt(room.clients, BigInt(reply.resourceVersion))) - t0);
  }
  return samples.sort((a, b) => a - b);
}

async function main(): Promise<void> {
  let redis: EmbeddedRedis | null = null;
  let server: ChildProcess | null = null;
  try {
    redis = process.env.REDIS_URL ? null : await startEmbeddedRedis({ dataDir: null });
    const redisUrl = process.env.REDIS_URL ?? redis?.url ?? '';
    const port = await freePort();
    process.env.MAX_NODES = String(Math.max(12, NODES));
    server = await startProductionServer(redisUrl, port, `bench-scale-${Date.now()}`);
    const pid = server.pid ?? 0;
    const url = `http://127.0.0.1:${port}`;
    const counter = await connectRedis(redisUrl);
    const redisMemory = async (): Promise<number> => Number(/used_memory:(\d+)/.exec(await counter.info('memory'))?.[1] ?? NaN);

    console.log(`one classroom of ${NODES} nodes, ${PODS} pods in Deployments of ${REPLICAS} (time scale ${TIME_SCALE}, a bot tick every ${BOT_PACE} simulated s); beside it one of ${STUDENTS} students`);
    const small = await classroom([url], 0, STUDENTS);
    const created = await createClassroom(url, { nodes: NODES, title: 'scale' });
    const big = await watchPods(url, created.instructorToken);
    for (const action of [{ kind: 'setTimeScale', timeScale: TIME_SCALE }, { kind: 'setBotPace', secondsPerAction: BOT_PACE }, { kind: 'start' }]) {
      const reply = await big.instructor(action);
      if (!reply.ok) throw new Error(`${JSON.stringify(action)} refused: ${reply.message ?? ''}`);
    }
    // The big classroom's bots heartbeat their nodes, nothing more: the other classroom's baseline.
    let idleDone = 0;
    const idleFrom = { cpu: usage(pid).cpu, at: performance.now(), renewals: big.renewals() };
    const idle = await sample(small, () => ++idleDone > IDLE_SAMPLES);
    // What the big classroom costs before any pod: its nodes' heartbeats (a Lease every 10 simulated s each).
    const idleCpu = usage(pid).cpu - idleFrom.cpu;
    const idleSeconds = (performance.now() - idleFrom.at) / 1000;
    const idleShare = idleCpu / idleSeconds;
    const renewed = big.renewals() - idleFrom.renewals;

    const before = { server: usage(pid), commands: await commandsProcessed(counter), calls: await commandCalls(counter), requests: await requestsByVerb(port), at: performance.now() };
    const applied = await big.instructor({ kind: 'apply', manifest: manifest() });
    if (!applied.ok) throw new Error(`apply refused: ${applied.message ?? ''}`);
    let peakRss = 0;
    let done = false;
    let timedOut = false;
    const progress = setInterval(() => {
      const u = usage(pid);
      peakRss = Math.max(peakRss, u.rss);
      const seconds = (performance.now() - before.at) / 1000;
      console.log(`  ${seconds.toFixed(0)} s: ${big.running()} of ${PODS} pods Running, server rss ${(u.rss / MB).toFixed(0)} MB`);
      if (performance.now() - before.at > TIMEOUT_MS) timedOut = true;
    }, 10_000);
    const ramp = sample(small, () => done || timedOut);
    while (big.running() < PODS && !timedOut) await new Promise((r) => setTimeout(r, 50));
    done = true;
    const seconds = (performance.now() - before.at) / 1000;
    clearInterval(progress);
    const during = await ramp;
    const after = { server: usage(pid), commands: await commandsProcessed(counter), calls: await commandCalls(counter), requests: await requestsByVerb(port) };
    peakRss = Math.max(peakRss, after.server.rss);
    const running = big.running();
    const memory = await redisMemory();
    big.close();
    for (const c of small.clients) c.close();
    await counter.close();

    const podsPerSecond = running / seconds;
    const cpu = after.server.cpu - before.server.cpu;
    const p99 = (s: number[]): number => percentile(s, 99);
    console.log(`${running} of ${PODS} pods Running ${timedOut ? `when the bench gave up after ${seconds.toFixed(0)} s` : `in ${seconds.toFixed(1)} s`}`);
    // The machine's own load: on a shared machine the server's share of a core bounds the rate.
    console.log(`machine: load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} on ${cpus().length} cores`);
    console.log(`server: ${cpu.toFixed(1)} s of CPU (${((cpu / seconds) * 100).toFixed(0)} % of a core, ${((cpu * 1000) / Math.max(1, running)).toFixed(1)} ms a pod; ${(idleShare * 100).toFixed(0)} % while the classroom only heartbeat: ${(renewed / idleSeconds).toFixed(0)} node Lease renewals/s, ${((idleCpu * 1000) / Math.max(1, renewed)).toFixed(3)} ms of CPU each, all told), rss ${(after.server.rss / MB).toFixed(0)} MB at the end, peak ${(peakRss / MB).toFixed(0)} MB`);
    console.log(`redis: ${((after.commands - before.commands) / 1000).toFixed(0)} k commands (${((after.commands - before.commands) / Math.max(1, running)).toFixed(1)} per pod), ${(memory / MB).toFixed(0)} MB used; busiest a pod: ${perPod(before.calls, after.calls, running, 8)}`);
    // The moves a pod took (every classroom's requests: the other classroom's routeRequest too), and the refused by code.
    console.log(`requests a pod: ${perPod(before.requests, after.requests, running)}`);
    console.log(`other classroom (${small.clients.length} clients), action -> every client: idle p50 ${percentile(idle, 50).toFixed(2)} p99 ${p99(idle).toFixed(2)} ms; during the ramp p50 ${percentile(during, 50).toFixed(2)} p99 ${p99(during).toFixed(2)} ms (${during.length} actions)`);
    console.log(
      `scale ${NODES} nodes ${PODS} pods: ${podsPerSecond.toFixed(0)} pods/s, rss ${(peakRss / MB).toFixed(0)} MB, other classroom p99 ${p99(during).toFixed(2)} ms vs idle ${p99(idle).toFixed(2)} ms: ratio ${(p99(during) / p99(idle)).toFixed(2)}x`,
    );
    if (timedOut) process.exitCode = 1;
  } finally {
    server?.kill('SIGTERM');
    await redis?.stop();
  }
}

await main();
