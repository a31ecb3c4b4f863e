/** What the benches share: the production server and a bare Socket.IO relay, each in its own process. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { ClusterClient } from '../server/cluster/testing/cluster-client';
import { waitFor } from '../server/testing/wait';

const root = path.resolve(import.meta.dirname, '..');

/** CPU seconds (user + system) and RSS bytes of a process, from /proc. */
export function usage(pid: number): { cpu: number; rss: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  const ticks = Number(stat[11] ?? 0) + Number(stat[12] ?? 0);
  const rss = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
  return { cpu: ticks / 100, rss };
}

/**
 * Proportional set size in bytes (/proc/<pid>/smaps_rollup): the RSS with each page shared with other
 * processes (the node binary and its libraries, mapped by every server process) counted as its
 * share. With several server processes on one machine, it is what each adds to the machine's memory.
 */
export function pss(pid: number): number {
  return Number(/^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? NaN) * 1024;
}

/** A gauge of a server's /metrics (`clusterplay_classrooms_owned`, `nodejs_heap_size_used_bytes`…). */
export async function gauge(port: number, name: string): Promise<number> {
  // Asked again once: fetch reuses a kept-alive connection, and one the server closed as idle while
  // a heap snapshot held its main thread is reset (ECONNRESET) when the request goes out on it.
  const metrics = () => fetch(`http://127.0.0.1:${port}/metrics`).then((response) => response.text());
  const text = await metrics().catch(metrics);
  return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
}

/**
 * The V8 heap a server holds live: a heap snapshot (SIGUSR2, for a server started with
 * `heapSnapshotsIn`) collects all garbage first, and the server answers /metrics only once it is
 * written, as both run on its main thread. The snapshot file is deleted. Read RSS before: writing a
 * snapshot grows it.
 */
export async function liveHeap(child: ChildProcess, port: number, heapSnapshotsIn: string): Promise<number> {
  const before = new Set(readdirSync(heapSnapshotsIn));
  child.kill('SIGUSR2');
  const written = () => readdirSync(heapSnapshotsIn).filter((file) => !before.has(file));
  await waitFor(() => written().length > 0, { timeoutMs: 60_000, intervalMs: 50, what: 'the heap snapshot to start' });
  const heap = await gauge(port, 'nodejs_heap_size_used_bytes');
  for (const file of written()) rmSync(path.join(heapSnapshotsIn, file), { force: true });
  return heap;
}

/** Redis' count of commands processed so far (INFO stats). */
export async function commandsProcessed(redis: { info(section: string): Promise<string> }): Promise<number> {
  return Number(/total_commands_processed:(\d+)/.exec(await redis.info('stats'))?.[1] ?? 0);
}

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

let serverBuilt: boolean | undefined;

/** The production entry point in a process of its own; processes given the same `prefix` share their classrooms. */
export async function startProductionServer(
  redis: string | { clusterNodes: string[] },
  port: number,
  prefix = `bench${Date.now()}`,
  { heapSnapshotsIn }: { heapSnapshotsIn?: string } = {},
): Promise<ChildProcess> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'production',
    PORT: String(port),
    HOST: '127.0.0.1',
    ...(typeof redis === 'string' ? { REDIS_URL: redis } : { REDIS_CLUSTER_NODES: redis.clusterNodes.join(',') }),
    REDIS_KEY_PREFIX: prefix,
    LOG_LEVEL: 'warn',
    SOCKET_RATE_PER_SECOND: '10000',
    SOCKET_RATE_BURST: '10000',
    JOIN_RATE_LIMIT: '10000',
  };
  // PROF=1 profiles the server into /tmp/cpuprof; PROF=<dir> into that directory (runs side by side keep their own).
  const profile = process.env.PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.PROF === '1' ? '/tmp/cpuprof' : path.resolve(process.env.PROF)}`] : [];
  // BENCH_SERVER_LOGS=1 shows the servers' log lines (LOG_LEVEL warn): a bench's figures include what they cost.
  const logs = process.env.BENCH_SERVER_LOGS ? 'inherit' : 'ignore';
  // The server as `npm start` runs it: the bundle of this tree's sources, built again for each bench.
  serverBuilt ??= spawnSync(process.execPath, ['scripts/server-build.mjs'], { cwd: root, stdio: 'inherit' }).status === 0;
  if (!serverBuilt) throw new Error('the server bundle did not build (node scripts/server-build.mjs)');
  // heapSnapshotsIn: SIGUSR2 writes a heap snapshot there (for liveHeap).
  const snapshots = heapSnapshotsIn ? ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${heapSnapshotsIn}`] : [];
  // BENCH_NODE_FLAGS: more node/V8 flags for the server (e.g. a GC setting compared against the default).
  const flags = process.env.BENCH_NODE_FLAGS?.split(/\s+/).filter(Boolean) ?? [];
  const child = spawn(process.execPath, [...flags, ...profile, ...snapshots, 'dist/server/main.js'], { cwd: root, env, stdio: ['ignore', logs, 'inherit'] });
  await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).ok, { timeoutMs: 60_000, what: 'the server to serve' });
  return child;
}

/** Resolves once every client's folded state reached `rv`; to the time the last one did. Constant work per message, as the bare relay's count. */
export function everyClientAt(clients: ClusterClient[], rv: bigint): Promise<number> {
  return new Promise((resolve) => {
    const behind = (c: ClusterClient) => BigInt(c.state.resourceVersion) < rv;
    let left = 0;
    for (const c of clients) {
      if (!behind(c)) continue;
      left++;
      const check = () => {
        if (behind(c)) return;
        c.socket.off('watch', check);
        if (--left === 0) resolve(performance.now());
      };
      c.socket.on('watch', check);
    }
    if (left === 0) resolve(performance.now());
  });
}

/**
 * The bare Socket.IO server, in its own process as the production server is (a relay inside the
 * bench process would skip the process hop every ClusterPlay message pays): it acks, then relays
 * the payload (the arguments of one of our `watch` messages: the changes and the request-log
 * entries) to the sender's room (`?room=`, one room by default). Prints its port.
 */
const BARE_SERVER = `
import { createServer } from 'node:http';
import { Server } from 'socket.io';
const http = createServer();
const io = new Server(http);
io.on('connection', (socket) => {
  const room = String(socket.handshake.query.room ?? 'room');
  void socket.join(room);
  socket.on('action', (...args) => {
    const ack = args.pop();
    ack(true);
    io.to(room).emit('watch', ...args);
  });
});
http.listen(0, '127.0.0.1', () => console.log(http.address().port));
`;

export async function startBareServer(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', BARE_SERVER], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve, reject) => {
    child.stdout?.once('data', (chunk: Buffer) => resolve(chunk.toString().trim()));
    child.once('exit', (code) => reject(new Error(`the bare Socket.IO server exited (${code})`)));
  });
  return { child, url: `http://127.0.0.1:${port}` };
}

