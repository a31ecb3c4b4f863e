import { assignRole, expect, hostClassroom, joinAsStudent, openHostScreen, saveScreenshot, test } from './helpers';

/**
 * "A worker node dies" lost before node-2 went down, as a slow class in the hands-on trial lost it:
 * the debrief's points told node-2's Lease going silent, its taint and its pod's eviction, none of
 * which the round had seen. The debrief now says time ran out before that step, above the points.
 * Here the scheduler's student never presses, so no pod is bound and node-2 never goes down.
 */
const UNPLAYED = "Time ran out before node-2's machine goes down: the points below tell what this round was to show from then on.";

test('a round lost before its fault says so above the debrief points, on the phone and the host screen', async ({ openPage }, testInfo) => {
  test.setTimeout(90_000);
  const { instructor, code } = await hostClassroom(openPage, 3);
  const { display } = await openHostScreen(instructor, openPage);
  const phone = await joinAsStudent(openPage, code, 'Sam');
  await phone.setViewportSize({ width: 390, height: 844 });
  await assignRole(instructor, 'Sam', 'Scheduler');
  await instructor.getByLabel('Time scale').selectOption('10');
  await instructor.getByLabel('Scenario', { exact: true }).selectOption({ label: '3. A worker node dies' });
  await instructor.getByRole('button', { name: 'Show the briefing' }).click();
  await instructor.getByRole('button', { name: 'Start round', exact: true }).click();
  // 400 simulated seconds at ×10, and no pod bound.
  await expect(instructor.getByTestId('round-phase')).toHaveText('Time is up', { timeout: 70_000 });

  // Time ran out at the limit, as the round clock stopped (a look seconds late said 6:43 here).
  const debrief = phone.getByRole('region', { name: 'Debrief: time ran out in 6:40' });
  await expect(display.getByTestId('round-phase')).toHaveText('Time is up');
  await expect(debrief.getByRole('region', { name: 'Timeline of the round' }).locator('li').filter({ hasText: 'time is up (400 s)' }).locator('.at')).toHaveText('6:40');
  await expect(debrief.getByTestId('debrief-unplayed')).toHaveText(UNPLAYED);
  // Said before the points it is about.
  await expect(debrief.locator('[data-testid="debrief-unplayed"] + ul.points li').first()).toHaveText(
    'The kubelet on node-2 stopped renewing its Lease; nobody told the control plane, it noticed the silence.',
  );
  await expect(display.getByTestId('debrief-unplayed')).toHaveText(UNPLAYED);
  await saveScreenshot(phone, testInfo, 'scheduler-390-debrief-lost');
  await display.screenshot({ path: testInfo.outputPath('host-1280x720-debrief-lost.png') });
});
