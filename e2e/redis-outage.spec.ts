import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, startEmbeddedRedis, type EmbeddedRedis } from '../server/redis/embedded-redis';
import type { Page } from '@playwright/test';
import { assignRole, expect, saveScreenshot, seriousA11yViolations, test } from './helpers';

// This spec runs its own production server on a Redis of its own (REDIS_URL), so it can kill Redis
// (SIGKILL, as a crash or the OOM killer would) and start it again while the browsers stay open.
const port = Number(process.env.E2E_OUTAGE_PORT ?? 3197);
const origin = `http://localhost:${port}`;
const dataDir = mkdtempSync(path.join(tmpdir(), 'clusterplay-e2e-outage-'));

let redis: EmbeddedRedis | null = null;
let server: ChildProcess | null = null;

/** Every write on disk before it is acknowledged, so a SIGKILL loses nothing the class did. */
const startRedis = (redisPort: number) => startEmbeddedRedis({ dataDir, port: redisPort, args: ['--appendfsync', 'always'] });

/** The connection indicator in the page's header. */
const indicator = (page: Page) => page.locator('header').getByRole('status');

const readyz = async () => (await fetch(`${origin}/readyz`).catch(() => null))?.status;

test.afterAll(async () => {
  if (server) {
    const exited = new Promise((resolve) => server?.once('exit', resolve));
    server.kill('SIGTERM');
    await exited;
  }
  await redis?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

test('a student and the instructor who reload during a Redis outage are back in their seats by themselves when Redis returns', async ({ openPage }, testInfo) => {
  test.setTimeout(180_000);
  const redisPort = await freePort();
  redis = await startRedis(redisPort);
  server = spawn(process.execPath, ['scripts/start.mjs'], {
    cwd: path.resolve(import.meta.dirname, '..'),
    env: { ...process.env, PORT: String(port), NODE_ENV: 'production', LOG_LEVEL: 'warn', REDIS_URL: redis.url },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  await expect.poll(readyz, { timeout: 90_000, message: 'server ready' }).toBe(200);

  const instructor = await openPage({ baseURL: origin, viewport: { width: 1280, height: 720 } });
  await instructor.goto('/');
  await instructor.getByRole('button', { name: 'Host a class' }).click();
  const code = (await instructor.getByTestId('join-code').textContent())?.trim() ?? '';
  // Rui plays on his phone.
  const student = await openPage({ baseURL: origin, viewport: { width: 390, height: 844 } });
  await student.goto(`/join/${code}`);
  await student.getByLabel('Your name').fill('Rui');
  await student.getByRole('button', { name: 'Join' }).click();
  await expect(student.getByRole('heading', { name: 'Lobby' })).toBeVisible();
  await assignRole(instructor, 'Rui', 'Scheduler');
  await instructor.getByRole('button', { name: 'Start the cluster' }).click();
  await expect(student.getByRole('heading', { name: 'Scheduler: pods waiting for a node' })).toBeVisible();
  const studentUrl = student.url();
  const instructorUrl = instructor.url();

  process.kill(redis.pid, 'SIGKILL');
  await redis.exited;
  await expect.poll(readyz, { message: 'the server notices Redis is down' }).toBe(503);

  await student.reload();
  await instructor.reload();
  for (const page of [student, instructor]) {
    await expect(indicator(page)).toHaveText('Server unavailable: retrying…');
    await expect(page.getByRole('heading', { name: 'Waiting for the classroom server' })).toBeVisible();
    await expect(page.getByText("ServiceUnavailable: the server cannot reach the cluster's store (Redis) to check your key right now")).toBeVisible();
    await expect(page.getByText('This browser keeps your key to the classroom, and this page tries again by itself: there is nothing to press.')).toBeVisible();
    // Nothing that would throw the key away ("Join again", "Go to the start page"): no button at all.
    await expect(page.getByRole('button')).toHaveCount(0);
  }
  await saveScreenshot(student, testInfo, 'student-redis-down-390');
  await saveScreenshot(instructor, testInfo, 'instructor-redis-down-1280x720');
  expect(await seriousA11yViolations(student)).toEqual([]);

  redis = await startRedis(redisPort);
  // No click, no reload: each page is let in at its next try (at most 5 s apart) with its own key.
  await expect(indicator(student)).toHaveText('Connected', { timeout: 30_000 });
  await expect(indicator(instructor)).toHaveText('Connected', { timeout: 30_000 });
  await expect(student.getByRole('heading', { name: 'Scheduler: pods waiting for a node' })).toBeVisible();
  await expect(student.getByText('Rui: Scheduler', { exact: true })).toBeVisible();
  expect([student.url(), instructor.url()]).toEqual([studentUrl, instructorUrl]);
  // Still the one student Rui with the Scheduler's seat, not a second Rui who joined again.
  await expect(instructor.getByLabel('Role of Rui')).toHaveCount(1);
  await expect(instructor.getByLabel('Role of Rui').locator('option:checked')).toHaveText(/^Scheduler/);
  // Live again both ways: the instructor's pause reaches Rui's page.
  await instructor.getByRole('button', { name: 'Pause' }).click();
  await expect(student.getByText('The instructor paused the class: time stands still.')).toBeVisible();
  await saveScreenshot(student, testInfo, 'student-back-390');
  await saveScreenshot(instructor, testInfo, 'instructor-back-1280x720');
});
