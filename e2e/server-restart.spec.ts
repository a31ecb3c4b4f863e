import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { assignRole, expect, test } from './helpers';

// This spec runs its own production server (same build, its own private Redis data dir), so it can
// stop it and start it again while the browsers stay open.
const port = Number(process.env.E2E_RESTART_PORT ?? 3198);
const origin = `http://localhost:${port}`;
const dataDir = mkdtempSync(path.join(tmpdir(), 'clusterplay-e2e-restart-'));

async function startServer(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['scripts/start.mjs'], {
    cwd: path.resolve(import.meta.dirname, '..'),
    // With REDIS_URL set the data lives there; otherwise the private redis-server keeps it in dataDir.
    env: { ...process.env, PORT: String(port), NODE_ENV: 'production', LOG_LEVEL: 'warn', REDIS_DATA_DIR: dataDir },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    await expect
      .poll(async () => (await fetch(`${origin}/readyz`).catch(() => null))?.status, { timeout: 60_000, message: 'server ready' })
      .toBe(200);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return child;
}

async function stopServer(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

let server: ChildProcess | null = null;
test.afterAll(async () => {
  if (server) await stopServer(server);
  rmSync(dataDir, { recursive: true, force: true });
});

test('a student’s page survives a server restart and shows live state again without a reload', async ({ openPage }) => {
  test.setTimeout(180_000);
  server = await startServer();
  const instructor = await openPage({ baseURL: origin });
  await instructor.goto('/');
  await instructor.getByRole('button', { name: 'Host a class' }).click();
  const code = (await instructor.getByTestId('join-code').textContent())?.trim() ?? '';

  const student = await openPage({ baseURL: origin });
  await student.goto(`/join/${code}`);
  await student.getByLabel('Your name').fill('Rita');
  await student.getByRole('button', { name: 'Join' }).click();
  await expect(student.getByRole('heading', { name: 'Lobby' })).toBeVisible();
  await assignRole(instructor, 'Rita', 'Scheduler');
  await instructor.getByRole('button', { name: 'Start the cluster' }).click();
  await expect(student.getByRole('heading', { name: 'Scheduler: pods waiting for a node' })).toBeVisible();
  // A marker on the window: it would vanish if the page reloaded.
  await student.evaluate(() => Object.assign(globalThis, { keptAcrossRestart: true }));

  await stopServer(server);
  server = null;
  await expect(student.getByRole('status').filter({ hasText: /Reconnecting/ })).toBeVisible();
  // Scrolled to the page's foot, the student still sees that the page is reconnecting.
  expect(Number(await student.evaluate('window.scrollTo(0, document.documentElement.scrollHeight), window.scrollY')), 'the page scrolled').toBeGreaterThan(0);
  await expect(student.getByRole('status').filter({ hasText: /Reconnecting/ })).toBeInViewport();

  server = await startServer();
  await expect(student.getByRole('status').filter({ hasText: 'Connected' })).toBeVisible({ timeout: 30_000 });
  await expect(instructor.getByRole('status').filter({ hasText: 'Connected' })).toBeVisible({ timeout: 30_000 });
  // Live again: what the instructor does now reaches the student's open page.
  await assignRole(instructor, 'Rita', 'Controller manager');
  await instructor.getByRole('button', { name: 'Pause' }).click();
  await expect(student.getByRole('heading', { name: /^Controller manager/ })).toBeVisible();
  await expect(student.getByText('The instructor paused the class')).toBeVisible();
  expect(await student.evaluate(() => (globalThis as unknown as { keptAcrossRestart?: boolean }).keptAcrossRestart)).toBe(true);
});
