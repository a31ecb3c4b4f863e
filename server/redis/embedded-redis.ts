import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { Logger } from '../logger';

/**
 * A private redis-server for `npm start` and the tests, used when no REDIS_URL is configured.
 * Hand-written rather than redis-memory-server: that package falls back to downloading or
 * compiling Redis when the binary is missing (impossible offline) and is built for throw-away
 * instances, while `npm start` needs a fixed data directory with append-only persistence.
 */
export interface EmbeddedRedis {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  /** Resolves when the redis-server process has exited, stopped or not. */
  readonly exited: Promise<void>;
  /** Stops redis-server (it flushes its append-only file first) and waits for it to exit. */
  stop(): Promise<void>;
}

export interface EmbeddedRedisOptions {
  /** Where the append-only file lives; null for a throw-away in-memory instance (tests). */
  dataDir: string | null;
  port?: number;
  binary?: string;
  /** More redis-server arguments (a test's settings); later ones win. */
  args?: readonly string[];
}

export class RedisServerMissingError extends Error {
  constructor() {
    super(
      'redis-server was not found on PATH. Fix it one of three ways: install it (Debian/Ubuntu: ' +
        '`sudo apt-get install redis-server`, macOS: `brew install redis`), run `docker compose up redis` ' +
        'and set REDIS_URL=redis://localhost:6379, or set REDIS_URL to any Redis 7 server.',
    );
    this.name = 'RedisServerMissingError';
  }
}

const LOCK_FILE = 'embedded-redis.json';

export function findRedisServer(binary = process.env.REDIS_SERVER_BIN ?? 'redis-server'): string | null {
  if (binary.includes('/')) return existsSync(binary) ? binary : null;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, binary);
    if (dir && existsSync(candidate)) return candidate;
  }
  for (const dir of ['/usr/bin', '/usr/local/bin', '/usr/sbin', '/opt/homebrew/bin']) {
    const candidate = path.join(dir, binary);
    if (existsSync(candidate)) return candidate;
  }
  return null;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function isRedisProcess(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('redis-server');
  } catch {
    return isAlive(pid); // no procfs (macOS): trust the lock file
  }
}

/** A server killed with SIGKILL cannot stop its child: the next start stops the orphan it left. */
async function stopOrphan(dataDir: string): Promise<void> {
  const lockPath = path.join(dataDir, LOCK_FILE);
  if (!existsSync(lockPath)) return;
  try {
    const { pid } = JSON.parse(readFileSync(lockPath, 'utf8')) as { pid: number };
    if (pid && isAlive(pid) && isRedisProcess(pid)) {
      process.kill(pid, 'SIGTERM');
      for (let i = 0; i < 100 && isAlive(pid); i++) await sleep(50);
      if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    }
  } catch {
    // an unreadable lock file names nothing we could stop
  }
  rmSync(lockPath, { force: true });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitForPing(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.setTimeout(500);
      socket.once('connect', () => socket.write('PING\r\n'));
      socket.once('data', (data) => {
        socket.destroy();
        resolve(data.toString().startsWith('+PONG'));
      });
      socket.once('error', () => resolve(false));
      socket.once('timeout', () => {
        socket.destroy();
        resolve(false);
      });
    });
    if (ok) return;
    await sleep(50);
  }
  throw new Error(`redis-server did not answer on port ${port} within ${timeoutMs} ms`);
}

export async function startEmbeddedRedis(options: EmbeddedRedisOptions): Promise<EmbeddedRedis> {
  const binary = findRedisServer(options.binary);
  if (!binary) throw new RedisServerMissingError();
  const persistent = options.dataDir !== null;
  const dir = options.dataDir ?? process.cwd();
  if (persistent) {
    mkdirSync(dir, { recursive: true });
    await stopOrphan(dir);
  }

  let lastError: unknown;
  // A free port can be taken between probing and binding: retry with another.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = options.port ?? (await freePort());
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--daemonize', 'no', '--loglevel', 'warning'];
    args.push(...(persistent ? ['--dir', dir, '--appendonly', 'yes', '--appendfsync', 'everysec', '--save', ''] : ['--appendonly', 'no', '--save', '']));
    args.push(...(options.args ?? []));
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
    child.stderr?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
    try {
      await waitForPing(port, child, 10_000);
    } catch (error) {
      child.kill('SIGKILL');
      lastError = new Error(`${(error as Error).message}\n${output}`);
      if (options.port) break;
      continue;
    }
    const pid = child.pid ?? 0;
    const lockPath = path.join(dir, LOCK_FILE);
    if (persistent) writeFileSync(lockPath, JSON.stringify({ pid, port }));
    // Last resort if the parent exits without calling stop(): never leave the child behind.
    const killOnExit = () => child.kill('SIGTERM');
    process.once('exit', killOnExit);
    const exited = new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => {
        process.removeListener('exit', killOnExit);
        resolve();
      });
    });
    let stopping: Promise<void> | null = null;
    return {
      url: `redis://127.0.0.1:${port}`,
      port,
      pid,
      exited,
      stop() {
        stopping ??= new Promise<void>((resolve) => {
          process.removeListener('exit', killOnExit);
          const done = () => {
            if (persistent) rmSync(lockPath, { force: true });
            resolve();
          };
          if (child.exitCode !== null || child.signalCode !== null) return done();
          child.once('exit', done);
          child.kill('SIGTERM');
          setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
        });
        return stopping;
      },
    };
  }
  throw lastError instanceof Error ? lastError : new Error('could not start redis-server');
}

/** How soon a dead redis-server is started again: at once, then backing off to every 5 s while it fails. */
const restartDelay = (attempt: number): number => (attempt === 0 ? 0 : Math.min(250 * 2 ** (attempt - 1), 5000));

/**
 * The private redis-server, kept running: when it dies (killed, crashed, out of memory) it is
 * started again on the same port and data directory, so the app's clients reconnect to it and
 * find every classroom in its append-only file. `pid` is the current process's.
 */
export async function superviseEmbeddedRedis(options: EmbeddedRedisOptions, logger?: Logger): Promise<EmbeddedRedis> {
  let current = await startEmbeddedRedis(options);
  const port = current.port;
  let stopped = false;
  let restarting: Promise<void> | null = null;

  const restart = async (dead: EmbeddedRedis): Promise<void> => {
    logger?.warn({ pid: dead.pid, port }, 'the private redis-server exited; starting it again on the same data directory');
    for (let attempt = 0; !stopped; attempt++) {
      await sleep(restartDelay(attempt));
      if (stopped) return;
      try {
        current = await startEmbeddedRedis({ ...options, port });
        logger?.info({ pid: current.pid, port, attempt }, 'the private redis-server is running again');
        follow(current);
        return;
      } catch (error) {
        if (attempt === 0) logger?.error({ err: error, port }, 'could not start the private redis-server again; retrying');
      }
    }
  };
  const follow = (instance: EmbeddedRedis): void => {
    void instance.exited.then(() => {
      if (stopped || instance !== current) return;
      restarting = restart(instance).finally(() => (restarting = null));
    });
  };
  follow(current);

  let stopping: Promise<void> | null = null;
  return {
    get url() {
      return current.url;
    },
    port,
    get pid() {
      return current.pid;
    },
    get exited() {
      return current.exited;
    },
    stop() {
      stopping ??= (async () => {
        stopped = true;
        await restarting;
        await current.stop();
      })();
      return stopping;
    },
  };
}

/** Synchronous check used by scripts that must fail early with a clear message. */
export function redisServerVersion(): string | null {
  const binary = findRedisServer();
  if (!binary) return null;
  const out = spawnSync(binary, ['--version'], { encoding: 'utf8' });
  return out.stdout?.trim() ?? null;
}
