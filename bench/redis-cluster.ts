/**
 * `npm run bench -- redis-cluster`: what a running classroom costs Redis on one Redis and on a
 * Redis Cluster of three masters, in the same run. The production server (one process) plays
 * BENCH_CLASSROOMS bots-only classrooms (time scale 10, a bot action a simulated second) for
 * BENCH_SECONDS; Redis' own counters (INFO total_commands_processed, summed over the masters)
 * give commands per second per classroom and per committed change, and on the cluster each
 * master's share (the classrooms' keys, the timer lanes and the pub/sub shards spread them).
 * Prints one line per setup and `cluster/single commands per change: <r>x`.
 */
import type { ChildProcess } from 'node:child_process';
import { createClient } from 'redis';
import { classroomWith, connectCluster, type ClusterClient } from '../server/cluster/testing/cluster-client';
import { freePort, startEmbeddedRedis } from '../server/redis/embedded-redis';
import { startRedisCluster } from '../server/testing/redis-cluster';
import { waitFor } from '../server/testing/wait';
import { startProductionServer } from './_harness';

const CLASSROOMS = Number(process.env.BENCH_CLASSROOMS ?? 4);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);

interface Figures {
  perClassroomPerSecond: number;
  perChange: number;
  shares: number[];
  /** The commands that cost most, per committed change. */
  top: string;
}

/** Per node: calls of each command so far (INFO commandstats), and their total. */
async function commandsOn(nodes: string[]): Promise<Array<{ total: number; calls: Map<string, number> }>> {
  return Promise.all(
    nodes.map(async (node) => {
      const client = createClient({ url: `redis://${node}` });
      await client.connect();
      const info = await client.info('commandstats');
      await client.close();
      const calls = new Map([...info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)].map((m) => [m[1] ?? '', Number(m[2])]));
      return { total: [...calls.values()].reduce((a, b) => a + b, 0), calls };
    }),
  );
}

async function measure(nodes: string[], server: ChildProcess, url: string): Promise<Figures> {
  const clients: ClusterClient[] = [];
  try {
    for (let i = 0; i < CLASSROOMS; i++) {
      const classroom = await classroomWith(url, []);
      const instructor = await connectCluster(url, classroom.instructorToken);
      clients.push(instructor);
      await instructor.instructor({ kind: 'setTimeScale', timeScale: 10 });
      await instructor.instructor({ kind: 'setBotPace', secondsPerAction: 1 });
    }
    await Promise.all(clients.map((c) => c.instructor({ kind: 'start' })));
    await waitFor(() => clients.every((c) => BigInt(c.state.resourceVersion) > 10n), { what: 'every classroom under way', timeoutMs: 60_000 });
    const rv = () => clients.reduce((sum, c) => sum + Number(c.state.resourceVersion), 0);
    const [before, rvBefore, started] = [await commandsOn(nodes), rv(), performance.now()];
    await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
    const [after, rvAfter, seconds] = [await commandsOn(nodes), rv(), (performance.now() - started) / 1000];
    const spent = after.map((n, i) => n.total - (before[i]?.total ?? 0));
    const total = spent.reduce((a, b) => a + b, 0);
    const changes = Math.max(1, rvAfter - rvBefore);
    const byCommand = new Map<string, number>();
    after.forEach((node, i) => {
      for (const [command, calls] of node.calls) byCommand.set(command, (byCommand.get(command) ?? 0) + calls - (before[i]?.calls.get(command) ?? 0));
    });
    const top = [...byCommand].sort((a, b) => b[1] - a[1]).slice(0, 6).map(([command, calls]) => `${command} ${(calls / changes).toFixed(1)}`).join(', ');
    return { perClassroomPerSecond: total / seconds / CLASSROOMS, perChange: total / changes, shares: spent.map((n) => n / total), top };
  } finally {
    for (const c of clients) c.close();
    server.kill('SIGTERM');
  }
}

const print = (what: string, f: Figures) =>
  console.log(
    `${what}: ${f.perClassroomPerSecond.toFixed(0)} commands/s per classroom, ${f.perChange.toFixed(1)} commands per committed change` +
      (f.shares.length > 1 ? `, per master ${f.shares.map((s) => `${(s * 100).toFixed(0)} %`).join(' / ')}` : '') +
      `\n  per change: ${f.top}`,
  );

const single = await startEmbeddedRedis({ dataDir: null });
let singleFigures: Figures;
try {
  const port = await freePort();
  singleFigures = await measure([`127.0.0.1:${single.port}`], await startProductionServer(single.url, port), `http://127.0.0.1:${port}`);
} finally {
  await single.stop();
}
print(`one Redis, ${CLASSROOMS} classrooms, ${SECONDS} s`, singleFigures);

const cluster = await startRedisCluster();
let clusterFigures: Figures;
try {
  const port = await freePort();
  // REDIS_CLUSTER_NODES wins over the REDIS_URL the harness sets.
  process.env.REDIS_CLUSTER_NODES = cluster.nodes.join(',');
  clusterFigures = await measure(cluster.nodes, await startProductionServer('redis://127.0.0.1:1', port), `http://127.0.0.1:${port}`);
} finally {
  delete process.env.REDIS_CLUSTER_NODES;
  await cluster.stop();
}
print(`Redis Cluster of 3 masters, ${CLASSROOMS} classrooms, ${SECONDS} s`, clusterFigures);
console.log(`cluster/single commands per change: ${(clusterFigures.perChange / singleFigures.perChange).toFixed(2)}x`);
process.exit(0);
