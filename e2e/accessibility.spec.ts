import type { Page } from '@playwright/test';
import { assignRole, expect, hostClassroom, joinAsStudent, seriousA11yViolations, test } from './helpers';

async function expectNoSeriousViolations(page: Page, screen: string): Promise<void> {
  expect(await seriousA11yViolations(page), `${screen}: serious or critical axe violations`).toEqual([]);
}

// The views with a live cluster in them are checked again in classroom-flow.spec.ts, where they are screenshot.
test('axe: lobby, instructor console and every role view have no serious or critical violations', async ({ openPage }) => {
  // Six axe runs on a loaded CI machine took 2.2 min once; the limit guards a hang, not speed.
  test.setTimeout(240_000);
  const { instructor, code } = await hostClassroom(openPage, 1);
  const student = await joinAsStudent(openPage, code, 'Ada');
  await expectNoSeriousViolations(student, 'lobby');

  await instructor.getByRole('button', { name: 'Start the cluster' }).click();
  await expectNoSeriousViolations(instructor, 'instructor console');
  // The projector has a page of its own: the host screen, checked in display.spec.ts.

  const roles: [string, RegExp][] = [
    ['Scheduler', /Scheduler: pods waiting/],
    ['Kubelet of ', /Kubelet of /],
    ['Controller manager', /Controller manager/],
    ['Container runtime of ', /Container runtime of /],
    ['kube-proxy of ', /^kube-proxy of /],
  ];
  for (const [label, heading] of roles) {
    await assignRole(instructor, 'Ada', label);
    await expect(student.getByRole('heading', { level: 2, name: heading })).toBeVisible();
    await expectNoSeriousViolations(student, label.trim());
  }
});

test('axe: the join page and a phone-width lobby have no serious or critical violations', async ({ openPage }) => {
  const { code } = await hostClassroom(openPage, 1);
  const page = await openPage({ viewport: { width: 375, height: 740 } });
  await page.goto(`/join/${code}`);
  await expectNoSeriousViolations(page, 'join');
  await page.getByLabel('Your name').fill('Lin');
  await page.getByRole('button', { name: 'Join' }).click();
  await expect(page.getByRole('heading', { name: 'Lobby' })).toBeVisible();
  await expectNoSeriousViolations(page, 'lobby at 375 px');
});
