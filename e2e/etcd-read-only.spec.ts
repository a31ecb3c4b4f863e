import { assignRole, expect, hostClassroom, joinAsStudent, openHostScreen, saveScreenshot, test } from './helpers';
import { expectPressed, pressHighlighted, recordRequests } from './press';

/**
 * "etcd is the memory" as the hands-on trial played it: the controller-manager student on a phone
 * followed the highlight, and the screen kept highlighting "Sync deployment web", which the API
 * server must refuse while etcd takes no writes: 34 refusals in 30 s, and nothing on any screen
 * said why. Now every screen says etcd is read-only, no move is highlighted until it takes writes
 * again, and then the highlighted move goes through.
 */
const ETCD_READ_ONLY =
  'etcd takes no writes: the API server answers every write with 503 Service Unavailable, so no move can be stored now. Wait until etcd takes writes again, then carry on where you stopped: what the cluster was asked for is still stored.';

test('[etcd read-only] a student is told etcd takes no writes and offered no move to press until it does', async ({ openPage }, testInfo) => {
  test.setTimeout(90_000);
  const { instructor, code } = await hostClassroom(openPage, 3);
  const { display } = await openHostScreen(instructor, openPage);
  const phone = await joinAsStudent(openPage, code, 'Cleo');
  await phone.setViewportSize({ width: 390, height: 844 });
  await assignRole(instructor, 'Cleo', 'Controller manager');
  await instructor.getByLabel('Time scale').selectOption('2');
  await instructor.getByLabel('Scenario', { exact: true }).selectOption({ label: '7. etcd is the memory' });
  await instructor.getByRole('button', { name: 'Show the briefing' }).click();
  await expect(phone.getByText('highlights no move until it takes writes again', { exact: false }).first()).toBeVisible();
  await instructor.getByRole('button', { name: 'Start round', exact: true }).click();
  await recordRequests(phone);

  // etcd stops taking writes one second in, for 30 s (15 s here): the phone says so, and highlights nothing.
  const note = phone.getByTestId('etcd-read-only');
  await expect(note).toHaveText(ETCD_READ_ONLY, { timeout: 20_000 });
  await expect(phone.getByRole('button', { name: 'Sync deployment web' })).toBeVisible();
  await expect(phone.locator('[data-next-move]')).toHaveCount(0);
  await expect(phone.locator('.map [data-component="etcd"]')).toContainText('read-only: writes answer 503');
  await expect(display.getByTestId('etcd-read-only')).toHaveText('etcd: read-only every write answers 503');
  await saveScreenshot(display, testInfo, 'host-1280x720-etcd-read-only');
  // What the phone shows without scrolling: the round, then the note over the moves.
  await phone.screenshot({ path: testInfo.outputPath('controller-manager-390-etcd-read-only.png') });

  // etcd takes writes again: the note goes, the Deployment's sync is the highlighted move, and it is accepted.
  await expect(note).toHaveCount(0, { timeout: 30_000 });
  await expect(display.getByTestId('etcd-read-only')).toHaveCount(0);
  await expect(phone.locator('.map [data-component="etcd"]')).not.toContainText('read-only');
  await expect(phone.locator('[data-next-move]')).toHaveText('Sync deployment web');
  const press = await pressHighlighted(phone);
  expect(press?.label).toBe('Sync deployment web');
  if (press) await expectPressed(phone, 'Cleo', press);
  // Following the screen, Cleo was refused nothing.
  expect(await phone.evaluate('(window.__requests ?? []).filter((r) => r.who === "Cleo" && r.outcome !== "accepted").length')).toBe(0);
});
