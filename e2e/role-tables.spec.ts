import type { Page } from '@playwright/test';
import { assignRole, clippedControls, expect, fitsViewport, hostClassroom, joinAsStudent, overflowingTables, saveScreenshot, test } from './helpers';
import { pressHighlighted } from './press';

/**
 * The role views' own tables on phones (390 px), as the trial never checked them: the container
 * runtime's CRI calls and containers, the controller manager's four tables and kube-proxy's rules
 * per node had columns past the panel's edge (kube-proxy's table was 565 px wide in 340). Each is a
 * card per row there now; the students play "First deployment" and, after every move, no table of
 * theirs may be cut off and no page scroll sideways.
 */
const PHONE = { width: 390, height: 844 };
const STUDENTS = [
  ['Cleo', 'Controller manager', ['Deployments', 'ReplicaSets', 'Nodes', 'Services and endpoints']],
  ['Rui', 'Container runtime of node-1', ['CRI calls', 'Containers']],
  ['Pia', 'kube-proxy of node-1', ['Services and their endpoints per node']],
] as const;

/** What the phone cuts off now: a table wider than its region, or the page wider than the phone. */
async function cutOff(page: Page, tables: readonly string[]): Promise<string[]> {
  const size = await fitsViewport(page);
  return [...(await overflowingTables(page, tables)), ...(size.scrollWidth > size.width ? [`page ${size.scrollWidth} px wide`] : [])];
}

test('the runtime’s, the controller manager’s and kube-proxy’s tables fit a phone at every move of a round', async ({ openPage }, testInfo) => {
  test.setTimeout(240_000);
  const { instructor, code } = await hostClassroom(openPage, 3);
  const pages = new Map<string, Page>();
  for (const [name] of STUDENTS) {
    const page = await joinAsStudent(openPage, code, name);
    await page.setViewportSize(PHONE);
    pages.set(name, page);
  }
  for (const [name, role] of STUDENTS) await assignRole(instructor, name, role);
  await instructor.getByLabel('Time scale').selectOption('1');
  await instructor.getByLabel('Bot pace').selectOption('2');
  await instructor.getByLabel('Scenario', { exact: true }).selectOption({ label: '1. First deployment' });
  await instructor.getByRole('button', { name: 'Show the briefing' }).click();
  await instructor.getByRole('button', { name: 'Start round', exact: true }).click();
  await expect(instructor.getByTestId('round-phase')).toHaveText('Running');

  const found: string[] = [];
  let ended = false;
  const end = expect(instructor.getByTestId('round-phase'))
    .toHaveText('Won', { timeout: 200_000 })
    .finally(() => (ended = true));
  const play = async (name: string, tables: readonly string[]): Promise<void> => {
    const page = pages.get(name) as Page;
    while (!ended) {
      const press = await pressHighlighted(page);
      if (!press) {
        await page.waitForTimeout(300);
        continue;
      }
      // What the move brought shows a moment later: then the tables are looked at.
      await page.waitForTimeout(400);
      for (const cut of await cutOff(page, tables)) found.push(`${name} after "${press.label}": ${cut}`);
    }
  };
  await Promise.all([end, ...STUDENTS.map(([name, , tables]) => play(name, tables))]);
  expect(found).toEqual([]);

  // The round's end: each table filled (the runtime's container ran, the Service has its three endpoints everywhere).
  const rui = pages.get('Rui') as Page;
  await expect(rui.getByRole('region', { name: 'Containers' }).locator('td[data-label="State"]')).toContainText(['running']);
  const cleo = pages.get('Cleo') as Page;
  const three = /^10\.244\.\d+\.\d+, 10\.244\.\d+\.\d+, 10\.244\.\d+\.\d+$/;
  await expect(cleo.getByRole('region', { name: 'Services and endpoints' }).locator('td[data-label="Endpoints"]')).toHaveText([three]);
  const pia = pages.get('Pia') as Page;
  await expect(pia.getByRole('region', { name: 'Services and their endpoints per node' }).locator('td[data-label="node-1 (this node)"] .mono')).toHaveText([three]);
  for (const [name, , tables] of STUDENTS) {
    const page = pages.get(name) as Page;
    expect(await cutOff(page, tables), `${name}'s phone at the end`).toEqual([]);
    await page.locator('.role-view').screenshot({ path: testInfo.outputPath(`${name}-390-role-view.png`) });
    // The projector's size keeps the tables as tables.
    await page.setViewportSize({ width: 1280, height: 720 });
    await expect(page.locator('.role-view thead').first()).toBeVisible();
    expect(await cutOff(page, tables), `${name}'s screen at 1280 px`).toEqual([]);
    await saveScreenshot(page, testInfo, `${name}-1280x720`);
  }
});

test('the groups panel’s scenario select is whole on a phone', async ({ openPage }, testInfo) => {
  const { instructor } = await hostClassroom(openPage, 2);
  const panel = instructor.getByTestId('groups-panel');
  for (const viewport of [PHONE, { width: 1280, height: 720 }]) {
    await instructor.setViewportSize(viewport);
    // The scenarios loaded: the select is as wide as its longest title asks.
    await expect(panel.getByLabel('Scenario for every group').locator('option').first()).toHaveText('1. First deployment');
    expect(await clippedControls(instructor, '[data-testid="groups-panel"]'), `the groups panel at ${viewport.width} px`).toEqual([]);
    // Each select wide enough for its longest option: the scenario's title was cut ("1. First deploym") under its arrow.
    const narrow = await instructor.evaluate(`JSON.stringify([...document.querySelectorAll('[data-testid="groups-panel"] select')]
      .filter((s) => s.scrollWidth > s.clientWidth + 1).map((s) => s.closest('label').firstChild.textContent.trim() + ': ' + s.scrollWidth + ' px in ' + s.clientWidth))`);
    expect(JSON.parse(String(narrow)), `the groups panel's selects at ${viewport.width} px`).toEqual([]);
    await panel.screenshot({ path: testInfo.outputPath(`groups-panel-${viewport.width}.png`) });
  }
});
