import { baseURL } from '../playwright.config';
import AxeBuilder from '@axe-core/playwright';
import type { Page, TestInfo } from '@playwright/test';
import { expect, fitsViewport, hostClassroom, joinAsStudent, openHostScreen, saveScreenshot, seriousA11yViolations, test } from './helpers';

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

/**
 * The instructor's groups panel: split the class into two groups playing "node-dies" (the students
 * follow into their group), start every round from the panel while the host screen compares the
 * groups, pause and resume them, then dissolve (the students come back to the class). Screenshots
 * of the panel at 1280×720 and 390×844; axe on the panel and the class header with the class split.
 */
test('the instructor splits the class from the groups panel, drives every group’s round, and dissolves the groups', async ({ openPage }, testInfo) => {
  test.setTimeout(120_000);
  const { instructor, code } = await hostClassroom(openPage, 3);
  const title = (await instructor.locator('.bar .title').textContent())?.trim() ?? '';
  const ada = await joinAsStudent(openPage, code, 'Ada');
  const ben = await joinAsStudent(openPage, code, 'Ben');
  const { display } = await openHostScreen(instructor, openPage);

  const panel = instructor.getByTestId('groups-panel');
  await expect(panel.getByTestId('groups-dealt')).toHaveText('2 students, dealt in join order: 1 per group.');
  await panel.getByLabel('Number of groups').selectOption('2');
  await panel.getByLabel('Scenario for every group').selectOption('node-dies');
  await panelShot(instructor, testInfo, 'groups-panel-unsplit-1280x720');
  await panel.getByRole('button', { name: 'Split into 2 groups' }).click();

  // Split: the console, the host screen and the students all say so.
  await expect(panel.getByTestId('groups-summary')).toHaveText('Split into 2 groups · Briefing');
  await expect(instructor.getByTestId('class-phase')).toHaveText('Split into 2 groups · Briefing');
  await expect(display.getByTestId('class-phase')).toHaveText('Split into 2 groups · Briefing');
  const cardA = panel.getByRole('article', { name: 'Group A' });
  const cardB = panel.getByRole('article', { name: 'Group B' });
  await expect(cardA.getByRole('list', { name: 'Members of Group A' })).toContainText('Ada');
  await expect(cardB.getByRole('list', { name: 'Members of Group B' })).toContainText('Ben');
  await expect(ada.locator('.bar .title')).toHaveText(`${title} · Group A`);
  await expect(ben.locator('.bar .title')).toHaveText(`${title} · Group B`);

  // Group A's own console (from its card) drives that group's cluster, but offers no split of the group.
  const [groupConsole] = await Promise.all([instructor.context().waitForEvent('page'), cardA.getByRole('link', { name: 'Open Group A’s console' }).click()]);
  await expect(groupConsole.locator('.bar .title')).toHaveText(`${title} · Group A`);
  const inGroup = groupConsole.getByTestId('groups-panel');
  await expect(inGroup.getByTestId('groups-in-group')).toHaveText('This is one group of a class split into groups, so it is not split again. The class’s console starts every group’s round and brings the groups back together.');
  await expect(inGroup.getByRole('link', { name: 'Open the class’s console' })).toHaveAttribute('href', new URL(instructor.url()).pathname);
  await expect(inGroup.getByRole('button')).toHaveCount(0);
  await expect(inGroup.getByRole('combobox')).toHaveCount(0);
  await groupConsole.setViewportSize({ width: 1280, height: 720 });
  await panelShot(groupConsole, testInfo, 'groups-panel-in-group-1280x720');
  await groupConsole.setViewportSize({ width: 390, height: 844 });
  await panelShot(groupConsole, testInfo, 'groups-panel-in-group-390x844');
  expect((await fitsViewport(groupConsole)).scrollWidth, 'group console: no horizontal scrolling at 390 px').toBeLessThanOrEqual(390);
  await groupConsole.close();

  await panel.getByRole('button', { name: 'Start all rounds' }).click();
  await expect(panel.getByTestId('groups-summary')).toHaveText('Split into 2 groups · Running');
  for (const card of [cardA, cardB]) {
    await expect(card.getByTestId('group-phase')).toHaveText('Running');
    await expect(card.getByTestId('group-clock')).toHaveText(/^\d+:\d\d \/ 6:40$/);
  }
  // Playing in her group, Ada is offered kubectl with the token she joined the class with.
  await expect(ada.getByTestId('kubectl-command')).toContainText(/Authorization: Bearer \S+ \S+\/api\/classrooms\/\S+\/kubeconfig/);
  for (const name of ['Group A', 'Group B']) await expect(display.getByRole('article', { name }).getByTestId('group-phase')).toHaveText('Running');
  await expect(display.getByTestId('class-phase')).toHaveText('Split into 2 groups · Running');
  await saveScreenshot(display, testInfo, 'host-screen-groups-from-panel-1280x720');
  await panelShot(instructor, testInfo, 'groups-panel-running-1280x720');
  expect(await panelA11yViolations(instructor), 'groups panel and class header, split: serious or critical axe violations').toEqual([]);

  await panel.getByRole('button', { name: 'Pause all' }).click();
  await expect(panel.getByTestId('groups-summary')).toHaveText('Split into 2 groups · Paused');
  await panel.getByRole('button', { name: 'Resume all' }).click();
  await expect(panel.getByTestId('groups-summary')).toHaveText('Split into 2 groups · Running');

  // The panel on a phone: nothing wider than the screen.
  await instructor.setViewportSize({ width: 390, height: 844 });
  await panelShot(instructor, testInfo, 'groups-panel-running-390x844');
  const phone = await fitsViewport(instructor);
  expect(phone.scrollWidth, 'no horizontal scrolling at 390 px').toBeLessThanOrEqual(phone.width);
  await instructor.setViewportSize({ width: 1280, height: 720 });

  // Dissolved: the students are back in the class, the host screen shows the class again.
  instructor.once('dialog', (dialog) => void dialog.accept());
  await panel.getByRole('button', { name: 'Dissolve the groups' }).click();
  await expect(panel.getByRole('button', { name: 'Split into 2 groups' })).toBeVisible();
  await expect(instructor.getByTestId('class-phase')).toHaveText('In the lobby');
  await expect(ada.locator('.bar .title')).toHaveText(title);
  await expect(ben.locator('.bar .title')).toHaveText(title);
  await expect(display.getByRole('article', { name: 'Group A' })).toHaveCount(0);
  await expect(display.getByTestId('class-phase')).toHaveText('In the lobby');
});

/** axe-core on the groups panel and the class header (the rest of the console has specs of its own). */
async function panelA11yViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).include('[data-testid="groups-panel"]').include('.bar').analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .flatMap((v) => v.nodes.map((n) => `${v.id} (${v.impact}): ${n.target.join(' ')} — ${v.help}`));
}

/** The groups panel scrolled into view, as the instructor sees it, and the panel on its own. */
async function panelShot(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  const panel = page.getByTestId('groups-panel');
  await panel.scrollIntoViewIfNeeded();
  const view = testInfo.outputPath(`${name}.png`);
  await page.screenshot({ path: view });
  await testInfo.attach(name, { path: view, contentType: 'image/png' });
  const alone = testInfo.outputPath(`${name}-panel.png`);
  await panel.screenshot({ path: alone });
  await testInfo.attach(`${name}-panel`, { path: alone, contentType: 'image/png' });
}
