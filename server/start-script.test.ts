import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createClient } from 'redis';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from './redis/embedded-redis';
import { isProcessAlive, waitFor } from './testing/wait';

const root = path.resolve(import.meta.dirname, '..');
const dataDir = mkdtempSync(path.join(tmpdir(), 'cp-start-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

async function npmStart(port: number): Promise<{ child: ChildProcess; redisPid: number; redisPort: number }> {
  // What `npm start` runs, without REDIS_URL: the server starts its own redis-server.
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), REDIS_DATA_DIR: dataDir, LOG_LEVEL: 'warn', NODE_ENV: 'production' };
  delete env.REDIS_URL;
  const child = spawn(process.execPath, ['scripts/start.mjs'], { cwd: root, env, stdio: 'ignore' });
  await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).ok, { timeoutMs: 60_000, what: 'npm start to serve' });
  const lock = JSON.parse(readFileSync(path.join(dataDir, 'embedded-redis.json'), 'utf8')) as { pid: number; port: number };
  return { child, redisPid: lock.pid, redisPort: lock.port };
}

async function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

describe('npm start', () => {
  it('serves the app with a private Redis, leaves no redis-server after Ctrl-C, and a second start finds the data', { timeout: 120_000 }, async () => {
    const port = await freePort();
    const first = await npmStart(port);
    const page = await (await fetch(`http://127.0.0.1:${port}/`)).text();
    expect(page).toContain('<div id="app">');

    const client = createClient({ url: `redis://127.0.0.1:${first.redisPort}` });
    await client.connect();
    await client.set('cp:{smoke}:meta', 'from the first start');
    await client.close();

    first.child.kill('SIGINT');
    expect(await exited(first.child)).toBe(0);
    expect(isProcessAlive(first.redisPid)).toBe(false);
    expect(existsSync(path.join(dataDir, 'embedded-redis.json'))).toBe(false);

    const second = await npmStart(port);
    const again = createClient({ url: `redis://127.0.0.1:${second.redisPort}` });
    await again.connect();
    expect(await again.get('cp:{smoke}:meta')).toBe('from the first start');
    await again.close();

    second.child.kill('SIGTERM');
    expect(await exited(second.child)).toBe(0);
    expect(isProcessAlive(second.redisPid)).toBe(false);
  });

  it('runs the server from a bundle it builds again when its sources changed, even to older files, and the bundle finds the built-in scenarios', { timeout: 120_000 }, async () => {
    const bundle = path.join(root, 'dist/server/main.js');
    const stamp = path.join(root, 'dist/server-sources.sha256');
    const port = await freePort();
    // As after an upgrade that kept the files' dates (rsync -a): the bundle is newer than every
    // source, but was built from others.
    mkdirSync(path.dirname(bundle), { recursive: true });
    writeFileSync(stamp, `${'0'.repeat(64)}\n`);
    const builtBefore = existsSync(bundle) ? statSync(bundle).mtimeMs : 0;
    const started = await npmStart(port);
    expect(statSync(bundle).mtimeMs).toBeGreaterThan(builtBefore);
    expect(readFileSync(stamp, 'utf8').trim()).toMatch(/^[0-9a-f]{64}$/);
    expect(readFileSync(stamp, 'utf8').trim()).not.toBe('0'.repeat(64));
    // The scenarios are read from shared/ beside the bundle's own folder, as from server/main.ts.
    const scenarios = (await (await fetch(`http://127.0.0.1:${port}/api/scenarios`)).json()) as { id: string }[];
    expect(scenarios.map((s) => s.id)).toContain('first-deployment');
    started.child.kill('SIGTERM');
    expect(await exited(started.child)).toBe(0);
  });
});
