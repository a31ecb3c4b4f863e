import { writeFileSync } from 'node:fs';
import type { Page, TestInfo } from '@playwright/test';
import { applyManifest, assignRole, expect, hostClassroom, joinAsStudent, podManifest, test } from './helpers';

// Refused requests are taught in toasts, but a burst of them must not bury the screen: at most two
// on screen, a repeat folded into a "×N" count, and never a toast over the cluster map or a button,
// on a phone nor on the projector, wherever the page is scrolled.

interface Box {
  what: string;
  x: number;
  y: number;
  width: number;
  height: number;
}

const meet = (a: Box, b: Box) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

interface Found {
  label: string;
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * The toasts' boxes, the boxes of the cluster map and of every button outside the toasts, and what
 * overlaps: all read in one evaluation, so from one layout. Read in several, a layout between them
 * (the page reflowing as the audit log grows, a toast expiring) set boxes of two different frames
 * side by side, and an overlap no frame had was reported (a CI run on a loaded machine did).
 */
async function measure(page: Page): Promise<{ scrollY: number; toasts: Box[]; targets: Box[]; overlaps: string[] }> {
  // (an expression as a string: the e2e code is type-checked without the DOM library)
  const read = (selector: string) =>
    `[...document.querySelectorAll(${JSON.stringify(selector)})].map((e) => { const r = e.getBoundingClientRect(); return { label: e.getAttribute('aria-label') ?? e.textContent ?? '', x: r.x, y: r.y, width: r.width, height: r.height }; })`;
  const raw = await page.evaluate(`JSON.stringify([Math.round(window.scrollY), ${read('.toasts .toast')}, ${read('.map')}, ${read('button:not(.toasts button)')}])`);
  const [scrollY, toastsFound, mapsFound, buttonsFound] = JSON.parse(String(raw)) as [number, Found[], Found[], Found[]];
  const boxes = (found: Found[], name: (text: string) => string): Box[] =>
    found
      .filter((b) => b.width > 0 && b.height > 0)
      .map((b) => ({ what: name(b.label.replace(/\s+/g, ' ').trim().slice(0, 40)), x: Math.round(b.x), y: Math.round(b.y), width: Math.round(b.width), height: Math.round(b.height) }));
  const toasts = boxes(toastsFound, (text) => `toast "${text}"`);
  const targets = [...boxes(mapsFound, () => 'cluster map'), ...boxes(buttonsFound, (text) => `button "${text}"`)];
  const overlaps = toasts.flatMap((t) => targets.filter((b) => meet(t, b)).map((b) => `${t.what} covers ${b.what}`));
  return { scrollY, toasts, targets, overlaps };
}

/** Checks the page scrolled to the top, the middle and the bottom; returns the boxes at the top. */
async function expectNothingCovered(page: Page, testInfo: TestInfo, name: string, viewport: { width: number; height: number }): Promise<void> {
  // (expressions as strings: the e2e code is type-checked without the DOM library)
  const scrollHeight = Number(await page.evaluate('document.documentElement.scrollHeight'));
  for (const y of [0, Math.round((scrollHeight - viewport.height) / 2), scrollHeight]) {
    await page.evaluate(`window.scrollTo(0, ${y})`);
    const m = await measure(page);
    expect(m.toasts.length, `${name} at scroll ${y}: toasts on screen`).toBeGreaterThan(0);
    expect(m.toasts.length, `${name} at scroll ${y}: toasts on screen`).toBeLessThanOrEqual(2);
    expect(m.targets.filter((t) => t.what === 'cluster map'), `${name}: the cluster map is measured`).toHaveLength(1);
    expect(m.overlaps, `${name} scrolled to ${y} (window.scrollY ${m.scrollY})`).toEqual([]);
    if (y === 0) {
      const boxes = testInfo.outputPath(`${name}-boxes.json`);
      writeFileSync(boxes, JSON.stringify(m, null, 2));
      await testInfo.attach(`${name}-boxes.json`, { path: boxes, contentType: 'application/json' });
      // At the top of the page the toasts are where the reader looks: inside the viewport…
      for (const t of m.toasts) expect(t.y + t.height, `${name}: ${t.what} is on screen`).toBeLessThanOrEqual(viewport.height);
      for (const t of m.toasts) expect(t.x + t.width, `${name}: ${t.what} fits the width`).toBeLessThanOrEqual(viewport.width);
      // …and they do not bury it: the strip of two long refusals keeps to under a third of the screen.
      const strip = await page.locator('.toasts').boundingBox();
      expect(strip?.height ?? 0, `${name}: height of the toast strip`).toBeLessThan(viewport.height / 3);
      const shot = testInfo.outputPath(`${name}.png`);
      await page.screenshot({ path: shot });
      await testInfo.attach(name, { path: shot, contentType: 'image/png' });
    }
  }
  await page.evaluate('window.scrollTo(0, 0)');
}

test('on a phone, refusals fold into two toasts that never cover the cluster map or a button', async ({ openPage }, testInfo) => {
  const viewport = { width: 390, height: 844 };
  const phone = await openPage({ viewport, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
  const { code } = await hostClassroom(async () => phone, 1);
  await joinAsStudent(openPage, code, 'Sam');
  await phone.getByRole('button', { name: 'Start the cluster' }).click();
  // A student's screen offers only legal moves; what is refused on a phone is the instructor's
  // mistakes (an invalid manifest), which the API server answers in Kubernetes' words.
  const manifest = phone.getByLabel('Manifest (YAML)');
  const apply = phone.getByRole('button', { name: 'Apply', exact: true });
  const toasts = phone.locator('.toasts .toast');
  const refuse = async (yaml: string) => {
    await manifest.fill(yaml);
    await apply.click();
  };
  const badName = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: Not_A_Name\nspec:\n  containers: [{ name: app, image: nginx:1.27 }]\n';
  for (let i = 0; i < 3; i++) {
    await refuse(badName);
    await expect(toasts.filter({ hasText: 'apply refused' })).toContainText(i === 0 ? 'apply refused' : `×${i + 1}`);
  }
  await expect(toasts).toHaveCount(1);
  await refuse('kind: Secret\nmetadata:\n  name: s\n');
  await expect(toasts).toHaveCount(2);
  await expect(toasts.first()).toContainText('×3');
  await expect(phone.getByRole('alert').filter({ hasText: 'apply refused' })).toHaveCount(2);
  await expectNothingCovered(phone, testInfo, 'phone-390x844', viewport);

  // A third distinct refusal pushes out the oldest: still two on screen.
  await refuse('apiVersion: v1\nkind: Node\nmetadata:\n  name: -bad-\n');
  await expect(toasts).toHaveCount(2);
  await expect(toasts.filter({ hasText: '×3' })).toHaveCount(0);
  await expectNothingCovered(phone, testInfo, 'phone-390x844-third', viewport);

  // Dismissable by hand.
  await toasts.first().getByRole('button', { name: /^Dismiss/ }).click();
  await expect(toasts).toHaveCount(1);
});

test('on a 1280×720 laptop, the toasts take their own strip above the console and the map', async ({ openPage }, testInfo) => {
  const viewport = { width: 1280, height: 720 };
  const { instructor, code } = await hostClassroom(openPage, 2);
  await instructor.setViewportSize(viewport);
  const student = await joinAsStudent(openPage, code, 'Sam');
  await student.setViewportSize(viewport);
  await assignRole(instructor, 'Sam', 'Scheduler');
  await instructor.getByRole('button', { name: 'Start the cluster' }).click();
  await applyManifest(instructor, podManifest('hello'));
  await applyManifest(instructor, podManifest('too-big', '64'));

  // The student's screen offers legal moves only (a bind that does not fit is a disabled button with
  // its reason), so its screen has no refusal to show: the console's refused applies are measured.
  await expect(student.locator('[data-next-move]')).toBeVisible();
  await expect(student.locator('.toasts .toast')).toHaveCount(0);

  const manifest = instructor.getByLabel('Manifest (YAML)');
  const apply = instructor.getByRole('button', { name: 'Apply', exact: true });
  const toasts = instructor.locator('.toasts .toast');
  for (let i = 0; i < 2; i++) {
    await manifest.fill('apiVersion: v1\nkind: Pod\nmetadata:\n  name: Not_A_Name\n');
    await apply.click();
    await expect(toasts.filter({ hasText: 'apply refused' })).toBeVisible();
  }
  await expect(toasts.filter({ hasText: 'apply refused' })).toContainText('×2');
  await expect(toasts).toHaveCount(2); // "Applied" and the folded refusal
  await expectNothingCovered(instructor, testInfo, 'console-1280x720', viewport);
});
