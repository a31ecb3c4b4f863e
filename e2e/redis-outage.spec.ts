import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, startEmbeddedRedis, type EmbeddedRedis } from '../server/redis/embedded-redis';
import type { Page } from '@playwright/test';
import { assignRole, expect, openHostScreen, saveScreenshot, seriousA11yViolations, test } from './helpers';

// This spec runs its own production server on a Redis of its own (REDIS_URL), so it can kill Redis
// (SIGKILL, as a crash or the OOM killer would) and start it again while the browsers stay open.
const port = Number(process.env.E2E_OUTAGE_PORT ?? 3197);
const origin = `http://localhost:${port}`;
const dataDir = mkdtempSync(path.join(tmpdir(), 'clusterplay-e2e-outage-'));

let redis: EmbeddedRedis | null = null;
let server: ChildProcess | null = null;

/** Every write on disk before it is acknowledged, so a SIGKILL loses nothing the class did. */
const startRedis = (onPort: number) => startEmbeddedRedis({ dataDir, port: onPort, args: ['--appendfsync', 'always'] });

/** The connection indicator in the page's header (the host screen's own header shows it only when something is wrong). */
const indicator = (page: Page) => page.locator('header').getByRole('status');

const readyz = async () => (await fetch(`${origin}/readyz`).catch(() => null))?.status;

let redisPort = 0;
/** The server and its Redis, started by the first test that needs them; every test leaves Redis running. */
async function serve(): Promise<void> {
  if (server) return;
  redisPort = await freePort();
  redis = await startRedis(redisPort);
  server = spawn(process.execPath, ['scripts/start.mjs'], {
    cwd: path.resolve(import.meta.dirname, '..'),
    env: { ...process.env, PORT: String(port), NODE_ENV: 'production', LOG_LEVEL: 'warn', REDIS_URL: redis.url },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  await expect.poll(readyz, { timeout: 90_000, message: 'server ready' }).toBe(200);
}

async function killRedis(): Promise<void> {
  if (!redis) throw new Error('no Redis to kill');
  process.kill(redis.pid, 'SIGKILL');
  await redis.exited;
}

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
  await serve();

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

  await killRedis();
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

test('screens already open during a Redis outage say the server cannot reach its store, keep the round clock running, and say Connected once it is back', async ({ openPage }, testInfo) => {
  test.setTimeout(180_000);
  await serve();
  const instructor = await openPage({ baseURL: origin, viewport: { width: 1280, height: 720 } });
  await instructor.goto('/');
  await instructor.getByRole('button', { name: 'Host a class' }).click();
  const code = (await instructor.getByTestId('join-code').textContent())?.trim() ?? '';
  const { display } = await openHostScreen(instructor, (options) => openPage({ ...options, baseURL: origin }));
  // Rui plays the scheduler on his phone: no bot schedules, so the round cannot be won without him.
  const student = await openPage({ baseURL: origin, viewport: { width: 390, height: 844 } });
  await student.goto(`/join/${code}`);
  await student.getByLabel('Your name').fill('Rui');
  await student.getByRole('button', { name: 'Join' }).click();
  await expect(student.getByRole('heading', { name: 'Lobby' })).toBeVisible();
  await assignRole(instructor, 'Rui', 'Scheduler');
  await instructor.getByLabel('Time scale').selectOption('1');
  await instructor.getByLabel('Scenario', { exact: true }).selectOption({ label: '1. First deployment' });
  await instructor.getByRole('button', { name: 'Show the briefing' }).click();
  await instructor.getByRole('button', { name: 'Start round', exact: true }).click();
  const screens: [string, Page][] = [['student', student], ['instructor', instructor], ['host screen', display]];
  for (const [screen, page] of screens) await expect(page.getByTestId('round-phase'), screen).toHaveText('Running');
  await expect(student.getByRole('heading', { name: 'Scheduler: pods waiting for a node' })).toBeVisible();
  for (const page of [student, instructor]) await expect(indicator(page)).toHaveText('Connected');
  await expect(indicator(display)).toHaveCount(0);
  const studentUrl = student.url();
  // A pod waits for Rui: his highlighted move binds it.
  const next = student.locator('[data-next-move]');
  await expect(next).toBeEnabled({ timeout: 30_000 });

  await killRedis();
  // No reload: the open pages are told. The simulated clock is wall time on the server and runs on.
  const away = 'Server cannot reach its store: no moves until it is back, the clock keeps running';
  for (const page of [student, instructor]) await expect(indicator(page)).toHaveText(away);
  await expect(indicator(display)).toHaveText(away);
  // Every move would be refused (ServiceUnavailable): none is offered, and his moves say why.
  await expect(next).toBeDisabled();
  await expect(student.getByRole('region', { name: 'Your moves' })).toContainText('Your moves wait until the server reaches its store again.');
  // Rui scrolled down past his moves still sees why none is offered: the header stays at the top of his phone.
  const toBottom = async (page: Page) => expect(Number(await page.evaluate('window.scrollTo(0, document.documentElement.scrollHeight), window.scrollY')), 'the page scrolled').toBeGreaterThan(0);
  for (const page of [student, instructor]) {
    await toBottom(page);
    await expect(indicator(page)).toBeInViewport();
  }
  // What each screen shows there (the viewport, not the whole page).
  for (const [page, name] of [[student, 'student-store-unreachable-scrolled-390'], [instructor, 'instructor-store-unreachable-scrolled-1280x720']] as const) {
    await page.screenshot({ path: testInfo.outputPath(`${name}.png`) });
  }
  const clock = student.getByTestId('round-clock').locator('strong');
  const during = await clock.textContent();
  await expect(clock, 'the round clock keeps running').not.toHaveText(during ?? '', { timeout: 5000 });
  // Still Rui's scheduler screen and the instructor's console, nothing to press to get them back.
  await expect(student.getByRole('heading', { name: 'Scheduler: pods waiting for a node' })).toBeVisible();
  await expect(student.getByTestId('round-phase')).toHaveText('Running');
  await expect(instructor.getByRole('button', { name: 'Pause round' })).toBeVisible();
  expect(await readyz()).toBe(503);
  await saveScreenshot(student, testInfo, 'student-store-unreachable-390');
  await saveScreenshot(instructor, testInfo, 'instructor-store-unreachable-1280x720');
  await saveScreenshot(display, testInfo, 'host-store-unreachable-1280x720');
  expect(await seriousA11yViolations(student)).toEqual([]);

  redis = await startRedis(redisPort);
  for (const page of [student, instructor]) await expect(indicator(page)).toHaveText('Connected', { timeout: 15_000 });
  await expect(indicator(display)).toHaveCount(0);
  // All well again: the header scrolls away with the page and covers nothing.
  for (const page of [student, instructor]) {
    await toBottom(page);
    await expect(indicator(page)).not.toBeInViewport();
  }
  expect(student.url()).toBe(studentUrl);
  await expect(next).toBeEnabled();
  // Live again both ways, on the same pages: the instructor's pause reaches Rui's phone and the host screen.
  await instructor.getByRole('button', { name: 'Pause round' }).click();
  for (const [screen, page] of screens) await expect(page.getByTestId('round-phase'), screen).toHaveText('Paused');
  await saveScreenshot(student, testInfo, 'student-store-back-390');
  await saveScreenshot(instructor, testInfo, 'instructor-store-back-1280x720');
});
