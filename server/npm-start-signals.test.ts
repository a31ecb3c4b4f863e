import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { freePort } from './redis/embedded-redis';
import { waitFor } from './testing/wait';

/**
 * `npm start` under a process manager: a signal sent to the `npm` process only (not its group), or
 * npm dying outright, must end the server and its private redis-server, gracefully, within 15 s.
 */

const root = path.resolve(import.meta.dirname, '..');
const dirs: string[] = [];
const started: ChildProcess[] = [];
afterEach(() => {
  // A failed case must not leave its processes behind: the whole group npm started.
  for (const child of started.splice(0)) {
    if (child.pid === undefined) continue;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
});
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function parentOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return null;
  }
}

/** Alive and not a zombie (an exited process its parent has not reaped yet). */
function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** The node process running scripts/start.mjs below `ancestor` (npm -> sh -> node). */
function serverPidUnder(ancestor: number): number | undefined {
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    const argv = cmdline.split('\0');
    if (!path.basename(argv[0] ?? '').startsWith('node') || argv[1] !== 'scripts/start.mjs') continue;
    for (let p: number | null = parentOf(pid); p !== null && p > 1; p = parentOf(p)) if (p === ancestor) return pid;
  }
  return undefined;
}

async function npmStart(): Promise<{ npm: ChildProcess; npmPid: number; serverPid: number; redisPid: number; lockFile: string }> {
  const port = await freePort();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'cp-npm-'));
  dirs.push(dataDir);
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), HOST: '127.0.0.1', REDIS_DATA_DIR: dataDir, LOG_LEVEL: 'warn', NODE_ENV: 'production' };
  delete env.REDIS_URL;
  // Its own process group, as under a process manager: the signal goes to npm's pid alone.
  const npm = spawn('npm', ['start'], { cwd: root, env, stdio: 'ignore', detached: true });
  started.push(npm);
  const npmPid = npm.pid;
  if (npmPid === undefined) throw new Error('npm did not start');
  await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).ok, { timeoutMs: 90_000, what: 'npm start to serve' });
  const lockFile = path.join(dataDir, 'embedded-redis.json');
  const { pid: redisPid } = JSON.parse(readFileSync(lockFile, 'utf8')) as { pid: number };
  const serverPid = serverPidUnder(npmPid);
  if (serverPid === undefined) throw new Error('no server process under npm');
  return { npm, npmPid, serverPid, redisPid, lockFile };
}

describe('npm start stops with its parent', () => {
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGKILL'] as const) {
    it(`${signal} to the npm process ends the server and its redis-server within 15 s, gracefully`, { timeout: 150_000 }, async () => {
      const { npmPid, serverPid, redisPid, lockFile } = await npmStart();
      expect(isRunning(serverPid) && isRunning(redisPid)).toBe(true);
      const sent = Date.now();
      process.kill(npmPid, signal);
      await waitFor(() => !isRunning(serverPid) && !isRunning(redisPid), { timeoutMs: 15_000, intervalMs: 100, what: `the server (${serverPid}) and redis-server (${redisPid}) to exit after ${signal} to npm` });
      const took = Date.now() - sent;
      // Graceful: the private redis-server was stopped by the server, which removes its lock file.
      expect(existsSync(lockFile)).toBe(false);
      expect(took).toBeLessThan(15_000);
      console.info(`${signal} to npm: server and redis-server gone after ${took} ms`);
    });
  }
});
