import { networkInterfaces } from 'node:os';
import { lanAddress } from '../server/http/join-url';
import { baseURL } from '../playwright.config';
import { expect, fitsViewport, hostClassroom, joinAsStudent, openHostScreen, podChip, podNames, saveScreenshot, seriousA11yViolations, test } from './helpers';

/**
 * The host screen: the projector's own browser opens the instructor's display link. It shows the
 * room what it needs (join code, QR, the cluster with desired vs actual counts), carries no
 * control, fits 1280×720 without scrolling, and points students at this machine's LAN address.
 */
const port = new URL(baseURL).port;
// What students' phones can reach: the LAN address (no LAN card: only this machine's own browsers can join).
const joinBase = `http://${lanAddress(networkInterfaces()) ?? 'localhost'}:${port}`;

test('the host screen shows the join code, the QR and the cluster to the room, with no controls, in 1280×720', async ({ openPage }, testInfo) => {
  test.setTimeout(120_000);
  const { instructor, id, code } = await hostClassroom(openPage, 3);
  // The instructor's own join panel sends students to the LAN address too, not to this browser's localhost.
  await expect(instructor.getByRole('img', { name: `QR code that opens ${joinBase}/join/${code}` })).toBeVisible();

  const { display, link } = await openHostScreen(instructor, openPage);
  expect(link).toMatch(new RegExp(`^${joinBase.replace(/\./g, '\\.')}/display/${id}#token=${id}\\.[A-Za-z0-9_-]+$`));
  // The token leaves the address bar once read.
  await expect.poll(() => display.url()).toBe(`${joinBase}/display/${id}`);

  await expect(display.getByTestId('join-code')).toHaveText(code);
  const codeSize = parseFloat(String(await display.evaluate(`getComputedStyle(document.querySelector('[data-testid="join-code"]')).fontSize`)));
  expect(codeSize).toBeGreaterThanOrEqual(64); // a tenth of 720 px: readable from the back of the room
  await expect(display.getByRole('img', { name: `QR code that opens ${joinBase}/join/${code}` })).toBeVisible();
  await expect(display.getByRole('heading', { name: `Join at ${joinBase.replace('http://', '')}` })).toBeVisible();

  // A student joins and the cluster starts: the host screen follows, live.
  await joinAsStudent(openPage, code, 'Ada');
  await expect(display.getByText('1 student')).toBeVisible();
  await instructor.getByLabel('Time scale').selectOption('10');
  await instructor.getByLabel('Bot pace').selectOption('1');
  await instructor.getByRole('button', { name: 'Start the cluster' }).click();
  const web = display.locator('[data-kind="Deployment"][data-name="web"]');
  await expect(web).toContainText('3/3 ready', { timeout: 90_000 });
  await expect(display.locator('[data-kind="ReplicaSet"]')).toContainText('3/3 ready');
  await expect(display.locator('[data-kind="Service"][data-name="web"]')).toContainText('3/3 endpoints', { timeout: 60_000 });
  await expect(display.locator('[data-node="node-1"]')).toContainText('Ready: True');
  // Three pods on the map (a chip is drawn twice while it moves to its node: counted once).
  await expect.poll(async () => (await podNames(display)).length).toBe(3);
  const [pod = ''] = await podNames(display);
  await expect(podChip(instructor, pod).first()).toBeVisible();

  // No control of any kind, and nothing to scroll.
  await expect(display.locator('button, input, select, textarea')).toHaveCount(0);
  const size = await fitsViewport(display);
  expect(size.scrollHeight, 'no vertical scrolling').toBeLessThanOrEqual(size.height);
  expect(size.scrollWidth, 'no horizontal scrolling').toBeLessThanOrEqual(size.width);
  await saveScreenshot(display, testInfo, 'host-screen-1280x720');
  expect(await seriousA11yViolations(display), 'host screen: serious or critical axe violations').toEqual([]);

  // On a phone the host screen is readable: its panels stack (the join code above the cluster's
  // counts, not beside them), the code is whole, and the page scrolls down, never sideways.
  await display.setViewportSize({ width: 390, height: 844 });
  const phone = await fitsViewport(display);
  expect(phone.scrollWidth, 'no horizontal scrolling at 390 px').toBeLessThanOrEqual(phone.width);
  const join = await display.getByTestId('join-code').boundingBox();
  const counts = await web.boundingBox();
  expect(join && counts && join.y + join.height <= counts.y && counts.x < join.x + join.width, 'the join code above the cluster, not beside it').toBe(true);
  const codeBox = JSON.parse(String(await display.evaluate(`JSON.stringify((({ scrollWidth, clientWidth }) => ({ scrollWidth, clientWidth }))(document.querySelector('[data-testid="join-code"]')))`))) as { scrollWidth: number; clientWidth: number };
  expect(codeBox.scrollWidth, 'the join code whole in its box').toBeLessThanOrEqual(codeBox.clientWidth);
  await saveScreenshot(display, testInfo, 'host-screen-390x844');
});

test('a host screen link that was replaced stops working, and says where to get the new one', async ({ openPage }) => {
  const { instructor } = await hostClassroom(openPage, 1);
  const { display, link } = await openHostScreen(instructor, openPage);
  await instructor.getByRole('button', { name: 'New link' }).click();
  await expect(instructor.getByLabel('Host screen link')).not.toHaveValue(link);
  const stale = await openPage({ viewport: { width: 1280, height: 720 } });
  await stale.goto(link);
  await expect(stale.getByRole('alert')).toContainText('Unauthorized: unknown or revoked token');
  await expect(stale.getByRole('alert')).toContainText('open the current one from the instructor console');
  // The link is kept in the instructor's browser: a reload does not revoke the projector's.
  const current = await instructor.getByLabel('Host screen link').inputValue();
  await instructor.reload();
  await expect(instructor.getByLabel('Host screen link')).toHaveValue(current);
  await display.close();
});
