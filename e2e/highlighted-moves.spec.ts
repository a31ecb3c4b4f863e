import type { Page } from '@playwright/test';
import { assignRole, expect, hostClassroom, joinAsStudent, saveScreenshot, test } from './helpers';
import { expectPressed, pressHighlighted, recordRequests } from './press';

/**
 * The rulebook's acceptance round: one instructor and five students in separate browsers play
 * every component of a one-node cluster (no bots). Each student presses whichever button their
 * screen highlights (`data-next-move`), and nothing else, and sees each press accepted and do its
 * work before the next. The Deployment must reach 3/3 Ready with its Service's endpoints, each
 * component's work done once per pod, without a single refused request, and on a 390 px phone no
 * toast may ever cover the cluster map or the move pressed.
 */
const ROLES = [
  ['Sam', 'Scheduler'],
  ['Cleo', 'Controller manager'],
  ['Kim', 'Kubelet of node-1'],
  ['Rui', 'Container runtime of node-1'],
  ['Pax', 'kube-proxy of node-1'],
] as const;

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}
const overlaps = (a: Box, b: Box): boolean => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

/** Toasts on the page that cover the cluster map or a move button, as `toast text -> what` lines. */
async function coveringToasts(page: Page): Promise<string[]> {
  const toasts = page.locator('.toasts > *');
  const covered: string[] = [];
  const targets = [page.locator('.map'), page.locator('.moves button')];
  for (const toast of await toasts.all()) {
    const box = await toast.boundingBox();
    if (!box) continue;
    for (const target of targets) {
      for (const el of await target.all()) {
        const other = await el.boundingBox();
        if (other && overlaps(box, other)) covered.push(`${(await toast.textContent()) ?? ''} -> ${(await el.textContent())?.slice(0, 40) ?? ''}`);
      }
    }
  }
  return covered;
}

test('five students who only click the highlighted move take web to 3/3 Ready with its endpoints, with no refusal', async ({ openPage }, testInfo) => {
  test.setTimeout(240_000);
  const { instructor, code } = await hostClassroom(openPage, 1);
  const students = new Map<string, Page>();
  for (const [name] of ROLES) students.set(name, await joinAsStudent(openPage, code, name));
  // Kim plays on a phone.
  await students.get('Kim')?.setViewportSize({ width: 390, height: 844 });
  for (const [name, role] of ROLES) await assignRole(instructor, name, role);
  await instructor.getByLabel('Time scale').selectOption('10');
  await instructor.getByRole('button', { name: 'Start the cluster' }).click();
  const manager = students.get('Cleo') as Page;
  const phone = students.get('Kim') as Page;
  await expect(manager.getByRole('heading', { name: 'Your moves' })).toBeVisible();

  const deploymentRow = manager.getByRole('region', { name: 'Deployments' }).locator('tbody tr').filter({ hasText: 'web' });
  const serviceRow = manager.getByRole('region', { name: 'Services and endpoints' }).locator('tbody tr').filter({ hasText: 'web' });
  let finished = false;
  const covered: string[] = [];
  const watcher = (async () => {
    await expect(deploymentRow.locator('td').nth(3)).toHaveText('3', { timeout: 200_000 });
    await expect(serviceRow.locator('td').nth(3)).toHaveText(/^(\d+\.){3}\d+, (\d+\.){3}\d+, (\d+\.){3}\d+$/, { timeout: 60_000 });
    finished = true;
  })();
  // The request log shows the newest entries: looked at all along, no refusal can scroll by unseen.
  const refusals = new Set<string>();
  const auditor = (async () => {
    while (!finished) {
      for (const row of await instructor.locator('tr[data-outcome="refused"]').all()) refusals.add((await row.textContent().catch(() => '')) ?? '');
      await instructor.waitForTimeout(150);
    }
  })();
  for (const page of students.values()) await recordRequests(page);
  // Each student presses only the highlighted move, and waits for what it did on their own screen
  // before the next press; Kim's phone is also looked at for toasts over the map between presses.
  const moves = new Map<string, string[]>([...students.keys()].map((name) => [name, []]));
  const answers = new Map<string, string[]>([...students.keys()].map((name) => [name, []]));
  const play = async (name: string, page: Page): Promise<void> => {
    while (!finished) {
      if (page === phone) covered.push(...(await coveringToasts(phone)));
      const press = await pressHighlighted(page);
      if (!press) {
        await page.waitForTimeout(250);
        continue;
      }
      moves.get(name)?.push(press.label);
      answers.get(name)?.push(await expectPressed(page, name, press));
    }
  };
  const playing = Promise.all([...students].map(([name, page]) => play(name, page)));
  try {
    // A press whose outcome does not show fails the test there and then.
    await Promise.race([watcher, playing]);
    await Promise.all([watcher, playing, auditor]);
  } finally {
    finished = true;
    console.log(`moves: ${JSON.stringify(Object.fromEntries(moves))}`);
  }

  // What it took: each component's work for three pods on one node, each move once.
  const count = (name: string, pattern: RegExp): number => (moves.get(name) ?? []).filter((m) => pattern.test(m)).length;
  expect([count('Sam', /^Bind web-\S+ to node-1$/), count('Cleo', /^Create a pod for web-/), count('Cleo', /^Update endpoints of web$/) > 0]).toEqual([3, 3, true]);
  expect(['Pull nginx:1.27', 'Create container web', 'Start container web'].map((label) => (moves.get('Kim') ?? []).filter((m) => m === label).length)).toEqual([1, 3, 3]);
  // Each pod reported Running and Ready once (as the API server wrote it: a "Report … Pending" sent
  // just as its container started reports that).
  const running = (answers.get('Kim') ?? []).flatMap((a) => a.match(/^report (web-\S+): Running \[Running, Ready\]/)?.slice(1, 2) ?? []);
  expect([running.length, new Set(running).size]).toEqual([3, 3]);
  expect([/^Run PullImage /, /^Run CreateContainer /, /^Run StartContainer /].map((p) => count('Rui', p))).toEqual([1, 3, 3]);
  expect(count('Pax', /^Sync web on node-1$/)).toBeGreaterThan(0);
  await expect(deploymentRow.locator('td')).toHaveText(['web', '3', '3', '3']);
  // Not one request refused, by anyone, in the whole round.
  await expect(instructor.locator('tr[data-outcome="accepted"]').first()).toBeVisible();
  expect(await instructor.locator('tr[data-outcome="refused"]').count()).toBe(0);
  expect([...refusals]).toEqual([]);
  expect(covered).toEqual([]);
  expect(await coveringToasts(phone)).toEqual([]);
  await saveScreenshot(phone, testInfo, 'kubelet-phone-390');
  await saveScreenshot(manager, testInfo, 'controller-manager-done');
});
