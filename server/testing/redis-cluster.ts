/**
 * A throw-away Redis Cluster on loopback for the tests: redis-server masters (by default three)
 * with cluster-enabled on free ports, optionally with replicas, joined by
 * `redis-cli --cluster create`, ready once every node reports cluster_state:ok and every replica's
 * link to its master is up. Nothing is persisted.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { findRedisServer, freePort } from '../redis/embedded-redis';
import { waitFor } from './wait';

export interface TestRedisCluster {
  /** `127.0.0.1:<port>` of every node that was started (masters first), as REDIS_CLUSTER_NODES takes them. */
  nodes: string[];
  /** Freezes a node (SIGSTOP: it hangs without closing its connections) until `thaw` (SIGCONT). */
  freeze(node: string): void;
  thaw(node: string): void;
  /** SIGKILLs a node, as a crash of its machine would; resolves once the process is gone. */
  kill(node: string): Promise<void>;
  /** Asks a node a command with redis-cli; the reply as redis-cli prints it. */
  ask(node: string, ...command: string[]): string;
  /** The live nodes' `CLUSTER NODES` view from `node`: who serves which role, and which slots. */
  topology(node: string): ClusterNodeInfo[];
  stop(): Promise<void>;
}

export interface ClusterNodeInfo {
  id: string;
  /** `127.0.0.1:<port>`. */
  address: string;
  role: 'master' | 'replica';
  /** The master's id, for a replica. */
  masterId: string | null;
  failed: boolean;
  /** Slot ranges a master serves, as [first, last]. */
  slots: Array<[number, number]>;
}

export interface RedisClusterOptions {
  masters?: number;
  /** Replicas per master (`--cluster-replicas`); 0 by default. */
  replicas?: number;
}

function redisCli(args: string[]): string {
  const result = spawnSync('redis-cli', args, { encoding: 'utf8', timeout: 30_000 });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`redis-cli ${args.join(' ')} failed: ${result.stderr || result.stdout}`);
  return result.stdout;
}

const hostPort = (node: string): string[] => {
  const [host = '127.0.0.1', port = ''] = node.split(':');
  return ['-h', host, '-p', port];
};

const clusterOk = (node: string): boolean => {
  try {
    return redisCli([...hostPort(node), 'cluster', 'info']).includes('cluster_state:ok');
  } catch {
    return false;
  }
};

/** A replica is ready once its replication link is up (it has the master's data and streams its writes). */
const replicaLinked = (node: string): boolean => {
  try {
    const info = redisCli([...hostPort(node), 'info', 'replication']);
    return !info.includes('role:slave') || info.includes('master_link_status:up');
  } catch {
    return false;
  }
};

/** Parses `CLUSTER NODES`: `<id> <ip:port@cport> <flags> <master> <ping> <pong> <epoch> <link> <slot>…`. */
export function parseClusterNodes(text: string): ClusterNodeInfo[] {
  return text
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [id = '', address = '', flags = '', master = '-', , , , , ...slots] = line.trim().split(' ');
      const flagSet = new Set(flags.split(','));
      return {
        id,
        address: address.split('@')[0] ?? '',
        role: flagSet.has('master') ? 'master' : 'replica',
        masterId: master === '-' ? null : master,
        failed: flagSet.has('fail') || flagSet.has('fail?'),
        slots: slots.filter((s) => !s.startsWith('[')).map((range) => {
          const [first = '0', last = first] = range.split('-');
          return [Number(first), Number(last)] as [number, number];
        }),
      };
    });
}

/** Why a Redis Cluster cannot be started here (null when it can): the tests that need one skip with it. */
export function redisClusterMissing(): string | null {
  if (!findRedisServer()) return 'redis-server is not installed';
  if (spawnSync('redis-cli', ['-v']).error) return 'redis-cli is not installed';
  return null;
}

export async function startRedisCluster(options: RedisClusterOptions | number = {}): Promise<TestRedisCluster> {
  const { masters = 3, replicas = 0 } = typeof options === 'number' ? { masters: options } : options;
  const binary = findRedisServer();
  if (!binary) throw new Error('redis-server is not installed');
  const dir = mkdtempSync(path.join(tmpdir(), 'cp-redis-cluster-'));
  const children: ChildProcess[] = [];
  const nodes: string[] = [];
  const gone = (child: ChildProcess): Promise<void> =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  const stop = async () => {
    await Promise.all(children.map(gone));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < masters * (1 + replicas); i++) {
      const port = await freePort();
      const args = ['--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', path.join(dir, `nodes-${port}.conf`)];
      // 2 s without an answer and a node is failing; its replica takes over within about a second more.
      args.push('--cluster-node-timeout', '2000', '--save', '', '--appendonly', 'no', '--dir', dir, '--protected-mode', 'no');
      children.push(spawn(binary, args, { stdio: 'ignore' }));
      nodes.push(`127.0.0.1:${port}`);
    }
    await waitFor(() => nodes.every((node) => redisCli([...hostPort(node), 'ping']).includes('PONG')), { what: 'the cluster nodes to answer', timeoutMs: 20_000 });
    // redis-cli makes the first `masters` nodes masters and gives each `replicas` of the rest.
    redisCli(['--cluster', 'create', ...nodes, '--cluster-replicas', String(replicas), '--cluster-yes']);
    await waitFor(() => nodes.every(clusterOk), { what: 'cluster_state:ok on every node', timeoutMs: 30_000 });
    await waitFor(() => nodes.every(replicaLinked), { what: 'every replica linked to its master', timeoutMs: 30_000 });
    const child = (node: string): ChildProcess => {
      const found = children[nodes.indexOf(node)];
      if (!found) throw new Error(`${node} is not a node of this cluster`);
      return found;
    };
    const ask = (node: string, ...command: string[]) => redisCli([...hostPort(node), ...command]);
    return {
      nodes,
      stop,
      freeze: (node) => void child(node).kill('SIGSTOP'),
      thaw: (node) => void child(node).kill('SIGCONT'),
      kill: (node) => gone(child(node)),
      ask,
      topology: (node) => parseClusterNodes(ask(node, 'cluster', 'nodes')),
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
