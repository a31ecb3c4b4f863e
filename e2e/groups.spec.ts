import { baseURL } from '../playwright.config';
import { expect, fitsViewport, saveScreenshot, seriousA11yViolations, test } from './helpers';

/**
 * Groups on the host screen: the instructor splits the class into two groups over REST; the
 * projector shows them side by side (phase, clock, goals, nodes) at 1280×720 without scrolling,
 * and follows both rounds as they play scenario 3 on their own clusters.
 */
test('the host screen compares two groups playing "node-dies" side by side, in 1280×720', async ({ openPage, request }, testInfo) => {
  test.setTimeout(150_000);
  const created = await request.post(`${baseURL}/api/classrooms`, { data: { title: 'Groups demo' } });
  expect(created.status()).toBe(201);
  const { id, code, instructorToken } = (await created.json()) as { id: string; code: string; instructorToken: string };
  const auth = { authorization: `Bearer ${instructorToken}` };
  for (const name of ['Ada', 'Ben', 'Cy']) expect((await request.post(`${baseURL}/api/classrooms/join`, { data: { code, name } })).status()).toBe(201);
  const link = (await (await request.post(`${baseURL}/api/classrooms/${id}/display`, { headers: auth, data: {} })).json()) as { url: string };
  const display = await openPage({ viewport: { width: 1280, height: 720 } });
  await display.goto(link.url.replace(/^https?:\/\/[^/]+/, baseURL));
  await expect(display.getByTestId('join-code')).toHaveText(code);

  const split = await request.post(`${baseURL}/api/classrooms/${id}/groups`, { headers: auth, data: { groups: 2, scenario: 'node-dies', seed: 7, timeScale: 10, start: true } });
  expect(split.status()).toBe(201);
  const groupA = display.getByRole('article', { name: 'Group A' });
  const groupB = display.getByRole('article', { name: 'Group B' });
  await expect(groupA).toContainText('Ada, Cy');
  await expect(groupB).toContainText('Ben');
  for (const group of [groupA, groupB]) await expect(group.getByTestId('group-clock')).toHaveText(/^\d+:\d\d \/ 6:40$/);
  // Both lose node-2 on their own cluster, then both win.
  for (const [name, group] of [['Group A', groupA], ['Group B', groupB]] as const) {
    await expect(group.getByRole('list', { name: `Nodes of ${name}` }).getByRole('listitem').filter({ hasText: 'node-2' })).toContainText('NotReady', { timeout: 60_000 });
  }
  await saveScreenshot(display, testInfo, 'host-screen-groups-1280x720');
  for (const group of [groupA, groupB]) await expect(group.getByTestId('group-phase')).toHaveText('Won', { timeout: 120_000 });
  for (const group of [groupA, groupB]) await expect(group).toContainText('3/3 goals met');

  const size = await fitsViewport(display);
  expect(size.scrollHeight, 'no vertical scrolling').toBeLessThanOrEqual(size.height);
  expect(size.scrollWidth, 'no horizontal scrolling').toBeLessThanOrEqual(size.width);
  await saveScreenshot(display, testInfo, 'host-screen-groups-won-1280x720');
  expect(await seriousA11yViolations(display), 'host screen with groups: serious or critical axe violations').toEqual([]);
});
