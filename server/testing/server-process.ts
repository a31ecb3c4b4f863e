import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { waitFor } from './wait';

const root = path.resolve(import.meta.dirname, '../..');

/**
 * The production entry point (server/main.ts) as a process of its own, so a SIGKILL takes it down as
 * a crash would. Resolves once it answers /readyz on 127.0.0.1:`port`. With `logs`, its log lines
 * (pino's JSON, at LOG_LEVEL from `env`, info by default then) are collected there.
 */
export async function startServerProcess(port: number, env: Record<string, string>, { logs }: { logs?: string[] } = {}): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    cwd: root,
    env: { ...process.env, NODE_ENV: 'production', HOST: '127.0.0.1', LOG_LEVEL: logs ? 'info' : 'silent', ...env, PORT: String(port) },
    stdio: logs ? ['ignore', 'pipe', 'ignore'] : 'ignore',
  });
  if (logs && child.stdout) createInterface({ input: child.stdout }).on('line', (line) => logs.push(line));
  await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).ok, { timeoutMs: 120_000, what: `the server process on port ${port} to serve` });
  return child;
}

/** SIGKILLs the process and resolves when it is gone. */
export function sigkill(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}
