import type { Page } from '@playwright/test';
import { assignRole, expect, hostClassroom, joinAsStudent, saveScreenshot, test } from './helpers';

/**
 * What the hands-on trial saw on screens that cut or misdrew their lists: the instructor's debrief
 * timeline ended on half a mark at 1280×720 ("goal reached: the Service kept", read as the whole);
 * the replay's marker dots squashed into bars on a phone once a marker's text wrapped, and its filter
 * checkboxes sat off their labels' line; kube-proxy's empty request list was a numbered item.
 */
const PHONE = { width: 390, height: 844 };
const LAPTOP = { width: 1280, height: 720 };

/** Marks of the debrief's scrolling timeline drawn across its bottom edge: part of one shown as if it were all of it. */
async function cutMarks(page: Page): Promise<string[]> {
  // (an expression as a string: the e2e code is type-checked without the DOM library)
  const raw = await page.evaluate(`JSON.stringify([...document.querySelectorAll('.debrief [role="region"][aria-label="Timeline of the round"]')].flatMap((box) => {
    const edge = box.getBoundingClientRect().bottom;
    return [...box.querySelectorAll('li')].map((li) => [li, li.getBoundingClientRect()]).filter(([, r]) => r.top < edge - 1 && r.bottom > edge + 1)
      .map(([li, r]) => li.textContent.trim().slice(0, 60) + ': ' + Math.round(r.top) + '-' + Math.round(r.bottom) + ' across ' + Math.round(edge));
  }))`);
  return JSON.parse(String(raw)) as string[];
}

/** The replay's marker dots (list and filters) that are not round, as `width×height`. */
async function squashedDots(page: Page): Promise<string[]> {
  const raw = await page.evaluate(`JSON.stringify([...document.querySelectorAll('.timeline .dot')].map((d) => d.getBoundingClientRect())
    .filter((r) => Math.abs(r.width - r.height) > 0.5).map((r) => r.width.toFixed(1) + '×' + r.height.toFixed(1)))`);
  return JSON.parse(String(raw)) as string[];
}

/** The replay's marker filters whose checkbox is not centred on its label's text (more than 2 px off). */
async function boxesOffTheirLine(page: Page): Promise<string[]> {
  const raw = await page.evaluate(`JSON.stringify([...document.querySelectorAll('.timeline .filters label')].flatMap((label) => {
    const box = label.querySelector('input').getBoundingClientRect();
    const text = document.createRange();
    text.selectNodeContents(label.lastChild);
    const line = text.getBoundingClientRect();
    const off = (box.top + box.bottom) / 2 - (line.top + line.bottom) / 2;
    return Math.abs(off) > 2 ? [label.textContent.trim() + ': ' + off.toFixed(1) + ' px'] : [];
  }))`);
  return JSON.parse(String(raw)) as string[];
}

test('the debrief timeline shows whole marks at 1280×720, and the replay keeps its dots round and its checkboxes on their labels at 390 px', async ({ openPage }, testInfo) => {
  test.setTimeout(240_000);
  const { instructor } = await hostClassroom(openPage, 3);
  await instructor.setViewportSize(LAPTOP);
  await instructor.getByLabel('Time scale').selectOption('10');
  await instructor.getByLabel('Bot pace').selectOption('2');
  await instructor.getByLabel('Scenario', { exact: true }).selectOption({ label: '5. A rolling update under traffic' });
  await instructor.getByRole('button', { name: 'Show the briefing' }).click();
  await instructor.getByRole('button', { name: 'Start round', exact: true }).click();
  await expect(instructor.getByTestId('round-phase')).toHaveText('Won', { timeout: 200_000 });

  const debrief = instructor.getByRole('region', { name: /^Debrief: goals met in / });
  const timeline = debrief.getByRole('region', { name: 'Timeline of the round' });
  const served = timeline.locator('li').filter({ hasText: 'goal reached: the Service kept answering during the update' });
  await expect(served).toHaveCount(1);
  // Met by time passing (a window), so every component it depended on is named: its bots summed up, not one by one over eight lines.
  await expect(served).toHaveText(/goal reached: the Service kept answering during the update \(\d+ bots\)$/);
  // More marks than its box holds: it scrolls, and at rest its edge falls between two marks.
  expect(await timeline.evaluate((box) => box.scrollHeight > box.clientHeight), 'the timeline has more marks than it shows').toBe(true);
  await timeline.evaluate((box) => (box.scrollTop = 0));
  expect.soft(await cutMarks(instructor), 'marks cut by the edge of the debrief timeline').toEqual([]);
  // With no mark cut to show there is more, the heading says so.
  await expect(debrief.getByTestId('timeline-scroll')).toHaveText(/^ \(\d+ marks: scroll for the rest\)$/);
  await timeline.screenshot({ path: testInfo.outputPath('debrief-timeline-1280x720.png') });
  await saveScreenshot(instructor, testInfo, 'instructor-1280x720-debrief');

  const opened = instructor.context().waitForEvent('page');
  await instructor.getByRole('button', { name: 'Open replay' }).click();
  const replay = await opened;
  await replay.setViewportSize(PHONE);
  const markers = replay.getByRole('list', { name: /Markers/ });
  await expect(markers.getByRole('button', { name: /Goal: goal reached: the Service kept answering/ })).toBeVisible();
  expect.soft(await squashedDots(replay), 'marker dots that are not round at 390 px').toEqual([]);
  expect.soft(await boxesOffTheirLine(replay), 'filter checkboxes off their label at 390 px').toEqual([]);
  await replay.locator('.timeline').screenshot({ path: testInfo.outputPath('replay-timeline-390.png') });
});

test('kube-proxy with no request yet says so in a line, not as a numbered request', async ({ openPage }, testInfo) => {
  const { instructor, code } = await hostClassroom(openPage, 2);
  const pia = await joinAsStudent(openPage, code, 'Pia');
  await pia.setViewportSize(PHONE);
  await assignRole(instructor, 'Pia', 'kube-proxy of node-1');
  await instructor.getByRole('button', { name: 'Start the cluster' }).click();
  const requests = pia.getByRole('region', { name: 'Incoming requests, newest first' });
  await expect(requests.getByText('No request has arrived yet.')).toBeVisible();
  // It read "1. No request has arrived yet.": an empty list is no list.
  await expect(requests.getByRole('listitem')).toHaveCount(0);
  await requests.screenshot({ path: testInfo.outputPath('kube-proxy-390-requests.png') });
});
