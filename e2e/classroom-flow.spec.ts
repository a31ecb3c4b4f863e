import type { Page, TestInfo } from '@playwright/test';
import { applyManifest, assignRole, expect, hostClassroom, joinAsStudent, podChip, podManifest, saveScreenshot, seriousA11yViolations, test } from './helpers';

// One instructor and three students, each in their own browser context, through one pod's life:
// created by the instructor, bound by the scheduler student, started by the kubelet student.
/** A screenshot of a screen as the class sees it, checked by axe-core while it shows a live cluster. */
async function capture(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  await saveScreenshot(page, testInfo, name);
  expect(await seriousA11yViolations(page), `${name}: serious or critical axe violations`).toEqual([]);
}

test('a class binds and starts a pod: all four screens show it Running', async ({ openPage }, testInfo) => {
  test.setTimeout(180_000);
  const { instructor, code } = await hostClassroom(openPage, 2);
  const scheduler = await joinAsStudent(openPage, code, 'Sam');
  const kubelet = await joinAsStudent(openPage, code, 'Kim');
  const manager = await joinAsStudent(openPage, code, 'Cleo');

  await expect(instructor.locator('tr[data-student]')).toHaveCount(3);
  await assignRole(instructor, 'Sam', 'Scheduler');
  const kubeletRole = await assignRole(instructor, 'Kim', 'Kubelet of ');
  const node = kubeletRole.replace('Kubelet of ', '');
  await assignRole(instructor, 'Cleo', 'Controller manager');
  await expect(kubelet.getByTestId('my-role')).toHaveText(kubeletRole);

  await instructor.getByLabel('Time scale').selectOption('10');
  await instructor.getByRole('button', { name: 'Start the cluster' }).click();
  await expect(scheduler.getByRole('heading', { name: 'Scheduler: pods waiting for a node' })).toBeVisible();

  await applyManifest(instructor, podManifest('hello'));
  await scheduler.getByRole('button', { name: /^hello/ }).click();
  await scheduler.getByRole('button', { name: `Bind hello to ${node}` }).click();
  await expect(scheduler.getByRole('status').filter({ hasText: 'Accepted' })).toContainText(`Bound hello to ${node}`);

  // The kubelet works the pod up to Running one move at a time, as its loop would: have the image
  // pulled (the runtime bot answers the CRI calls), create and start the container, report the status.
  // A move that is not due yet is refused by the API server (a toast) and tried again later.
  const chip = podChip(kubelet, 'hello');
  await expect(async () => {
    for (const button of ['Pull image: hello/app', 'Start container: hello/app', 'Sync status']) {
      if ((await chip.textContent())?.includes('Running')) break;
      await kubelet.getByRole('button', { name: button }).first().click();
    }
    await expect(chip).toContainText('Running', { timeout: 1_000 });
  }).toPass({ timeout: 90_000, intervals: [500, 1_000, 2_000] });

  for (const page of [instructor, scheduler, kubelet, manager] as Page[]) {
    await expect(podChip(page, 'hello')).toContainText('Running', { timeout: 60_000 });
  }
  await capture(instructor, testInfo, 'instructor-console');
  await capture(scheduler, testInfo, 'role-scheduler');
  await capture(kubelet, testInfo, 'role-kubelet');
  await capture(manager, testInfo, 'role-controller-manager');

  // The same student plays the two remaining components in turn, for their screenshots.
  await assignRole(instructor, 'Cleo', `Container runtime of ${node}`);
  await expect(manager.getByRole('heading', { name: new RegExp(`Container runtime of ${node}`) })).toBeVisible();
  await expect(manager.getByText('nginx:1.27').first()).toBeVisible();
  await capture(manager, testInfo, 'role-container-runtime');
  await assignRole(instructor, 'Cleo', 'kube-proxy');
  await expect(manager.getByRole('heading', { name: 'kube-proxy', exact: true })).toBeVisible();
  await capture(manager, testInfo, 'role-kube-proxy');
});

test('[NodeResourcesFit] a refused bind shows the API server’s reason on the scheduler’s screen', async ({ openPage }) => {
  const { instructor, code } = await hostClassroom(openPage, 1);
  const scheduler = await joinAsStudent(openPage, code, 'Sam');
  await assignRole(instructor, 'Sam', 'Scheduler');
  await instructor.getByRole('button', { name: 'Start the cluster' }).click();

  await applyManifest(instructor, podManifest('too-big', '64'));
  await scheduler.getByRole('button', { name: /^too-big/ }).click();
  await scheduler.getByRole('button', { name: /^Bind too-big to / }).click();

  const result = scheduler.getByRole('status').filter({ hasText: 'Refused' });
  await expect(result).toContainText('Insufficient cpu');
  await expect(scheduler.getByRole('alert').filter({ hasText: 'bind refused' })).toContainText('Insufficient cpu');
  await expect(podChip(scheduler, 'too-big')).toContainText('Pending');
});
