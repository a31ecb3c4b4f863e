/**
 * A throw-away Redis Cluster on loopback for the tests: three redis-server masters with
 * cluster-enabled on free ports, joined by `redis-cli --cluster create`, ready once every node
 * reports cluster_state:ok. Nothing is persisted.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { findRedisServer, freePort } from '../redis/embedded-redis';
import { waitFor } from './wait';

export interface TestRedisCluster {
  /** `127.0.0.1:<port>` of every master, as REDIS_CLUSTER_NODES takes them. */
  nodes: string[];
  /** Freezes a node (SIGSTOP: it hangs without closing its connections) until `thaw` (SIGCONT). */
  freeze(node: string): void;
  thaw(node: string): void;
  stop(): Promise<void>;
}

function redisCli(args: string[]): string {
  const result = spawnSync('redis-cli', args, { encoding: 'utf8', timeout: 30_000 });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`redis-cli ${args.join(' ')} failed: ${result.stderr || result.stdout}`);
  return result.stdout;
}

const clusterOk = (node: string): boolean => {
  const [host = '127.0.0.1', port = ''] = node.split(':');
  try {
    return redisCli(['-h', host, '-p', port, 'cluster', 'info']).includes('cluster_state:ok');
  } catch {
    return false;
  }
};

/** Why a Redis Cluster cannot be started here (null when it can): the tests that need one skip with it. */
export function redisClusterMissing(): string | null {
  if (!findRedisServer()) return 'redis-server is not installed';
  if (spawnSync('redis-cli', ['-v']).error) return 'redis-cli is not installed';
  return null;
}

export async function startRedisCluster(masters = 3): Promise<TestRedisCluster> {
  const binary = findRedisServer();
  if (!binary) throw new Error('redis-server is not installed');
  const dir = mkdtempSync(path.join(tmpdir(), 'cp-redis-cluster-'));
  const children: ChildProcess[] = [];
  const nodes: string[] = [];
  const stop = async () => {
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGKILL');
          }),
      ),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < masters; i++) {
      const port = await freePort();
      const args = ['--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', path.join(dir, `nodes-${port}.conf`)];
      args.push('--cluster-node-timeout', '2000', '--save', '', '--appendonly', 'no', '--dir', dir, '--protected-mode', 'no');
      children.push(spawn(binary, args, { stdio: 'ignore' }));
      nodes.push(`127.0.0.1:${port}`);
    }
    await waitFor(() => nodes.every((node) => redisCli(['-p', node.split(':')[1] ?? '', 'ping']).includes('PONG')), { what: 'the cluster nodes to answer', timeoutMs: 20_000 });
    redisCli(['--cluster', 'create', ...nodes, '--cluster-replicas', '0', '--cluster-yes']);
    await waitFor(() => nodes.every(clusterOk), { what: 'cluster_state:ok on every node', timeoutMs: 30_000 });
    const signal = (node: string, sig: NodeJS.Signals) => children[nodes.indexOf(node)]?.kill(sig);
    return { nodes, stop, freeze: (node) => signal(node, 'SIGSTOP'), thaw: (node) => signal(node, 'SIGCONT') };
  } catch (error) {
    await stop();
    throw error;
  }
}
