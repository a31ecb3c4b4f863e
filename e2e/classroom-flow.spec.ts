import type { Page, TestInfo } from '@playwright/test';
import { applyManifest, assignRole, expect, hostClassroom, joinAsStudent, podChip, podManifest, saveScreenshot, seriousA11yViolations, test } from './helpers';
import { expectPressed, pressHighlighted, recordRequests } from './press';

// One instructor and three students, each in their own browser context, through one pod's life:
// created by the instructor, bound by the scheduler student, started by the kubelet student.
/** A screenshot of a screen as the class sees it, checked by axe-core while it shows a live cluster. */
async function capture(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  await saveScreenshot(page, testInfo, name);
  expect(await seriousA11yViolations(page), `${name}: serious or critical axe violations`).toEqual([]);
}

test('a class binds and starts a pod: all four screens show it Running', async ({ openPage }, testInfo) => {
  test.setTimeout(300_000); // axe on four live screens takes most of it
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
  // The highlighted move is kube-scheduler's own pick; binding to Kim's node (it fits too) is legal as well.
  await expect(scheduler.locator('[data-next-move]')).toHaveText(/^Bind hello to node-\d$/);
  await scheduler.locator('.moves').getByRole('button', { name: `Bind hello to ${node}`, exact: true }).click();
  await expect(kubelet.getByRole('heading', { name: /^hello / })).toBeVisible();

  // The kubelet works the pod up to Running one move at a time, as its loop would; the runtime bot
  // answers the CRI calls. Kim presses only the highlighted move, and each press must be accepted
  // and show its outcome on Kim's screen before the next, up to the report that hello is Running.
  await recordRequests(kubelet);
  const labels: string[] = [];
  let answer = '';
  const deadline = Date.now() + 120_000;
  // Until the API server's answer to a report says hello is Running and Ready (a "Report hello
  // Pending" sent just as the container started reports that).
  while (!/^report hello: Running \[Running, Ready\]/.test(answer)) {
    expect(Date.now(), `Kim's moves so far: ${labels.join(', ')}`).toBeLessThan(deadline);
    const press = await pressHighlighted(kubelet);
    if (!press) {
      // Nothing to press yet (the runtime is still answering, or the last answer is on its way).
      await kubelet.waitForTimeout(250);
      continue;
    }
    labels.push(press.label);
    answer = await expectPressed(kubelet, 'Kim', press);
  }
  // The CRI calls in the kubelet's order (status reports may fall in between, as time allows).
  expect(labels.filter((l) => !l.startsWith('Report'))).toEqual(['Pull nginx:1.27', 'Create container app', 'Start container app']);
  expect(labels.at(-1)).toMatch(/^Report hello /);
  expect(await instructor.locator('tr[data-outcome="refused"]').count()).toBe(0);

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
  await assignRole(instructor, 'Cleo', `kube-proxy of ${node}`);
  await expect(manager.getByRole('heading', { name: `kube-proxy of ${node}`, exact: true })).toBeVisible();
  await capture(manager, testInfo, 'role-kube-proxy');
});

test('[NodeResourcesFit] a pod that fits no node: the bind is disabled with kube-scheduler\'s reason, and the move is to mark it Unschedulable', async ({ openPage }) => {
  const { instructor, code } = await hostClassroom(openPage, 1);
  const scheduler = await joinAsStudent(openPage, code, 'Sam');
  await assignRole(instructor, 'Sam', 'Scheduler');
  await instructor.getByRole('button', { name: 'Start the cluster' }).click();

  await applyManifest(instructor, podManifest('too-big', '64'));
  const bind = scheduler.locator('.moves li').filter({ has: scheduler.getByRole('button', { name: 'Bind too-big' }) });
  await expect(bind.getByRole('button')).toBeDisabled();
  await expect(bind).toContainText('0/1 nodes are available: 1 Insufficient cpu.');
  const next = scheduler.locator('[data-next-move]');
  await expect(next).toHaveText('Mark too-big Unschedulable');
  await next.click();
  await expect(scheduler.locator('[data-next-move]')).toHaveCount(0);
  await expect(podChip(scheduler, 'too-big')).toContainText('Pending');
  expect(await instructor.locator('tr[data-outcome="refused"]').count()).toBe(0);
});
