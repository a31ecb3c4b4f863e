/**
 * Debian's haproxy in front of server processes, as the README's school setup has it: round
 * robin, no stickiness, WebSocket upgrades passed through (tunnel timeout), each backend
 * health-checked on /readyz. Started by the tests themselves on loopback.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '../redis/embedded-redis';
import { waitFor } from './wait';

export interface TestHaproxy {
  url: string;
  stop(): Promise<void>;
}

/** Why haproxy cannot be started here (null when it can). */
export const haproxyMissing = (): string | null => (spawnSync('haproxy', ['-v']).error !== undefined ? 'haproxy is not installed (apt-get install haproxy)' : null);

function haproxyConfig(port: number, backends: readonly number[]): string {
  return [
    'global',
    '  maxconn 2000',
    'defaults',
    '  mode http',
    '  timeout connect 2s',
    '  timeout client 60s',
    '  timeout server 60s',
    '  timeout tunnel 1h',
    '  retries 3',
    '  option redispatch',
    'frontend classroom',
    `  bind 127.0.0.1:${port}`,
    '  default_backend servers',
    'backend servers',
    '  balance roundrobin',
    '  option httpchk GET /readyz',
    ...backends.map((p, i) => `  server app${i} 127.0.0.1:${p} check inter 500 fall 2 rise 1`),
    '',
  ].join('\n');
}

/** Stops a child process with SIGTERM and resolves once it is gone. */
export function stopped(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** haproxy over the backends' ports; resolves once it serves /readyz. */
export async function startHaproxy(backends: readonly number[]): Promise<TestHaproxy> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'cp-haproxy-'));
  const config = path.join(dir, 'haproxy.cfg');
  writeFileSync(config, haproxyConfig(port, backends));
  const child = spawn('haproxy', ['-db', '-f', config], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    await stopped(child);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(async () => (await fetch(`${url}/readyz`)).ok, { timeoutMs: 20_000, what: 'haproxy to serve' });
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, stop };
}
