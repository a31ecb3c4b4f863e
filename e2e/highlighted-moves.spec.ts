import type { Page } from '@playwright/test';
import { assignRole, expect, followHighlight, hostClassroom, joinAsStudent, saveScreenshot, test } from './helpers';

/**
 * The rulebook's acceptance round: one instructor and five students in separate browsers play
 * every component of a one-node cluster (no bots). Each student clicks whichever button their
 * screen highlights (`data-next-move`), and nothing else. The Deployment must reach 3/3 Ready with
 * its Service's endpoints, without a single refused request, and on a 390 px phone no toast may
 * ever cover the cluster map or the move buttons.
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
  const clicks = await Promise.all(
    [...students].map(([name, page]) =>
      followHighlight(
        page,
        () => finished,
        name === 'Kim' ? async () => void covered.push(...(await coveringToasts(phone))) : undefined,
      ),
    ),
  );
  await watcher;
  await auditor;

  expect(Object.fromEntries([...students.keys()].map((name, i) => [name, clicks[i]]))).toEqual(
    expect.objectContaining({ Sam: expect.any(Number), Cleo: expect.any(Number), Kim: expect.any(Number), Rui: expect.any(Number) }),
  );
  for (const n of clicks.slice(0, 4)) expect(n).toBeGreaterThan(0);
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
