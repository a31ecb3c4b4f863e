import { request } from 'node:http';
import AxeBuilder from '@axe-core/playwright';
import { test as base, expect, type BrowserContextOptions, type Page, type TestInfo } from '@playwright/test';
import type { JoinClassroomResponse } from '../shared/protocol/rest';
import { baseURL } from '../playwright.config';

/** Multi-browser helpers: each member of a class gets its own browser context (own localStorage). */

export type OpenPage = (options?: BrowserContextOptions) => Promise<Page>;

/** `openPage()`: a page in a fresh browser context (a new member of the class), closed after the test. */
export const test = base.extend<{ openPage: OpenPage }>({
  openPage: async ({ browser }, use) => {
    const contexts: Awaited<ReturnType<typeof browser.newContext>>[] = [];
    await use(async (options) => {
      const context = await browser.newContext(options);
      contexts.push(context);
      return context.newPage();
    });
    await Promise.all(contexts.map((c) => c.close()));
  },
});
export { expect };

export interface Classroom {
  instructor: Page;
  id: string;
  code: string;
}

export async function hostClassroom(openPage: OpenPage, nodes = 2): Promise<Classroom> {
  const instructor = await openPage();
  await instructor.goto('/');
  await instructor.getByLabel('Worker nodes').fill(String(nodes));
  await instructor.getByRole('button', { name: 'Host a class' }).click();
  await expect(instructor).toHaveURL(/\/classroom\/[^/]+$/);
  const code = (await instructor.getByTestId('join-code').textContent())?.trim() ?? '';
  expect(code).toMatch(/^[A-Z2-9]{6}$/);
  const id = new URL(instructor.url()).pathname.split('/').pop() ?? '';
  return { instructor, id, code };
}

export async function joinAsStudent(openPage: OpenPage, code: string, name: string): Promise<Page> {
  const page = await openPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(`/join/${code}`);
  await page.getByLabel('Your name').fill(name);
  await page.getByRole('button', { name: 'Join' }).click();
  await expect(page).toHaveURL(/\/play\/[^/]+$/);
  await expect(page.getByRole('heading', { name: 'Lobby' })).toBeVisible();
  return page;
}

/** The instructor picks a role for a student from the roster; `label` is matched as the option's start. */
export async function assignRole(instructor: Page, student: string, label: string | RegExp): Promise<string> {
  const select = instructor.getByLabel(`Role of ${student}`);
  await expect(select).toBeVisible();
  const options = await select.locator('option').allTextContents();
  const chosen = options.find((o) => (typeof label === 'string' ? o.startsWith(label) : label.test(o)));
  if (!chosen) throw new Error(`no role option matches ${label}: ${options.join(', ')}`);
  await select.selectOption({ label: chosen });
  await expect(select.locator('option:checked')).toHaveText(chosen);
  return chosen;
}

export async function applyManifest(instructor: Page, manifest: string): Promise<void> {
  await instructor.getByLabel('Manifest (YAML)').fill(manifest);
  await instructor.getByRole('button', { name: 'Apply', exact: true }).click();
  // The toast says "Applied", or shows the API server's refusal (which then appears in the failure).
  await expect(instructor.locator('.toasts')).toContainText('Applied');
}

export function podManifest(name: string, cpu = '100m', memory = '64Mi'): string {
  return [
    'apiVersion: v1',
    'kind: Pod',
    'metadata:',
    `  name: ${name}`,
    '  labels: { app: demo }',
    'spec:',
    '  containers:',
    '    - name: app',
    '      image: nginx:1.27',
    `      resources: { requests: { cpu: ${cpu}, memory: ${memory} } }`,
  ].join('\n');
}

/** The pod chip on the cluster map, which every screen shows. */
export function podChip(page: Page, pod: string) {
  return page.locator(`.map [data-pod="${pod}"]`);
}

/** The pods on the cluster map, each once (a chip moving between places is drawn twice for its animation). */
export async function podNames(page: Page): Promise<string[]> {
  const raw = await page.evaluate(`JSON.stringify([...new Set([...document.querySelectorAll('.map [data-pod]')].map((e) => e.dataset.pod))].sort())`);
  return JSON.parse(String(raw)) as string[];
}

export async function saveScreenshot(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  const path = testInfo.outputPath(`${name}.png`);
  await page.screenshot({ path, fullPage: true });
  await testInfo.attach(name, { path, contentType: 'image/png' });
}

/** axe-core on the page as it is: serious and critical violations, as `rule: target` lines. */
/**
 * axe measures colour contrast on what is painted; a pod fading in on a live cluster map is, for a moment, faint text.
 * So the page is scanned as a reader who asked for reduced motion sees it, once the animations already under way are over.
 */
export async function seriousA11yViolations(page: Page): Promise<string[]> {
  await page.emulateMedia({ reducedMotion: 'reduce' });
  // (the e2e code is type-checked without the DOM library; a string would be eval'd, which the page's CSP refuses)
  type Animated = { document: { getAnimations(): { playState: string }[] } };
  await page.waitForFunction(() => (globalThis as unknown as Animated).document.getAnimations().every((a) => a.playState !== 'running'));
  const results = await new AxeBuilder({ page }).analyze();
  await page.emulateMedia({ reducedMotion: null });
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .flatMap((v) => v.nodes.map((n) => `${v.id} (${v.impact}): ${n.target.join(' ')} — ${v.help}`));
}

/** The instructor's "Open host screen", then that link in a browser of its own (the projector's machine) at 1280×720. */
export async function openHostScreen(instructor: Page, openPage: OpenPage): Promise<{ display: Page; link: string }> {
  await instructor.getByRole('button', { name: 'Open host screen' }).click();
  const link = await instructor.getByLabel('Host screen link').inputValue();
  const display = await openPage({ viewport: { width: 1280, height: 720 } });
  await display.goto(link);
  await expect(display.getByTestId('join-code')).toBeVisible();
  return { display, link };
}

/** Whether the page shows everything without scrolling, either way. */
export async function fitsViewport(page: Page): Promise<{ width: number; height: number; scrollWidth: number; scrollHeight: number }> {
  // (an expression as a string: the e2e code is type-checked without the DOM library)
  const raw = await page.evaluate(
    'JSON.stringify({ width: innerWidth, height: innerHeight, scrollWidth: document.documentElement.scrollWidth, scrollHeight: document.documentElement.scrollHeight })',
  );
  return JSON.parse(String(raw)) as { width: number; height: number; scrollWidth: number; scrollHeight: number };
}

/** The scrolling table regions named (`aria-label`) whose table is wider than the region: a column cut off at its edge. */
export async function overflowingTables(page: Page, labels: readonly string[]): Promise<string[]> {
  const raw = await page.evaluate(`JSON.stringify(${JSON.stringify(labels)}.flatMap((label) => [...document.querySelectorAll('.table-scroll[aria-label="' + label + '"]')]
    .filter((e) => e.scrollWidth > e.clientWidth + 1).map((e) => label + ': ' + e.scrollWidth + ' px wide in ' + e.clientWidth)))`);
  return JSON.parse(String(raw)) as string[];
}

/**
 * Words in the cells of the tables under `selector` that are drawn across two lines (broken
 * mid-word). A line may still end after a hyphen or a slash, as text wraps.
 */
export async function brokenWords(page: Page, selector: string): Promise<string[]> {
  const raw = await page.evaluate(`JSON.stringify([...document.querySelectorAll(${JSON.stringify(selector)})].flatMap((root) => {
    const broken = [];
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (!node.parentElement.closest('td')) continue;
      for (const m of node.data.matchAll(/[^\\s\\/-]+/g)) {
        const range = document.createRange();
        range.setStart(node, m.index);
        range.setEnd(node, m.index + m[0].length);
        if (new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size > 1) broken.push(m[0]);
      }
    }
    return broken;
  }))`);
  return JSON.parse(String(raw)) as string[];
}

/** The text of each cell matched, with how many lines it is drawn on: `10: 1 line(s)`. */
export async function cellLines(page: Page, selector: string): Promise<string[]> {
  const raw = await page.evaluate(`JSON.stringify([...document.querySelectorAll(${JSON.stringify(selector)})].map((cell) => {
    const range = document.createRange();
    range.selectNodeContents(cell);
    return cell.textContent.trim() + ': ' + new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size + ' line(s)';
  }))`);
  return JSON.parse(String(raw)) as string[];
}

/** Controls (select, button) inside the element matched that stick out of its box: cut off where it clips. */
export async function clippedControls(page: Page, selector: string): Promise<string[]> {
  const raw = await page.evaluate(`JSON.stringify([...document.querySelectorAll(${JSON.stringify(selector)})].flatMap((box) => {
    const edge = box.getBoundingClientRect();
    return [...box.querySelectorAll('select, button')].filter((c) => {
      const r = c.getBoundingClientRect();
      return r.left < edge.left - 0.5 || r.right > edge.right + 0.5;
    }).map((c) => (c.getAttribute('aria-label') || c.textContent.trim()) + ': ' + Math.round(c.getBoundingClientRect().right) + ' > ' + Math.round(edge.right));
  }))`);
  return JSON.parse(String(raw)) as string[];
}

/**
 * Text drawn (partly) past the bottom or right edge of the viewport: what a projector cuts off
 * even when the page does not scroll (its root hides the overflow). Each text node is measured
 * line by line, so a list's last line half below the edge is caught, and a visible element's
 * text only (a `hidden` or `display: none` one draws nothing): `text…: bottom 731 > 720`.
 */
export async function textPastEdge(page: Page): Promise<string[]> {
  const raw = await page.evaluate(`JSON.stringify((() => {
    const cut = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (!node.data.trim() || !node.parentElement.checkVisibility({ visibilityProperty: true, opacityProperty: true })) continue;
      const range = document.createRange();
      range.selectNodeContents(node);
      const rects = [...range.getClientRects()].filter((r) => r.width > 0 && r.height > 0);
      const bottom = Math.max(...rects.map((r) => r.bottom));
      const right = Math.max(...rects.map((r) => r.right));
      if (bottom > innerHeight + 0.5 || right > innerWidth + 0.5) {
        cut.push(node.data.trim().slice(0, 40) + ': ' + (bottom > innerHeight + 0.5 ? 'bottom ' + Math.round(bottom) + ' > ' + innerHeight : 'right ' + Math.round(right) + ' > ' + innerWidth));
      }
    }
    return cut;
  })())`);
  return JSON.parse(String(raw)) as string[];
}

/**
 * Text under `selector` drawn (partly) outside a box that hides its overflow, or ellipsised: what a
 * node's box on the projector clips. Each visible text node is measured against every ancestor up
 * to the root matched whose overflow is not visible: `text…: right 412 > 398 (div.node)`.
 */
export async function textCutByBox(page: Page, selector: string): Promise<string[]> {
  const raw = await page.evaluate(`JSON.stringify([...document.querySelectorAll(${JSON.stringify(selector)})].flatMap((root) => {
    const cut = [];
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (!node.data.trim() || !node.parentElement.checkVisibility({ visibilityProperty: true, opacityProperty: true })) continue;
      const range = document.createRange();
      range.selectNodeContents(node);
      const rects = [...range.getClientRects()].filter((r) => r.width > 0 && r.height > 0);
      if (!rects.length) continue;
      const bottom = Math.max(...rects.map((r) => r.bottom));
      const right = Math.max(...rects.map((r) => r.right));
      for (let box = node.parentElement; box; box = box === root ? null : box.parentElement) {
        const style = getComputedStyle(box);
        if (style.overflowX === 'visible' && style.overflowY === 'visible') continue;
        const edge = box.getBoundingClientRect();
        const name = box.tagName.toLowerCase() + (box.classList[0] ? '.' + box.classList[0] : '');
        if (bottom > edge.bottom + 0.5) cut.push(node.data.trim().slice(0, 40) + ': bottom ' + Math.round(bottom) + ' > ' + Math.round(edge.bottom) + ' (' + name + ')');
        else if (right > edge.right + 0.5) cut.push(node.data.trim().slice(0, 40) + ': right ' + Math.round(right) + ' > ' + Math.round(edge.right) + ' (' + name + ')');
        else continue;
        break;
      }
    }
    return cut;
  }))`);
  return JSON.parse(String(raw)) as string[];
}

/**
 * A student joins over REST, as a phone's join form does, from a loopback address of its own
 * (`127.0.0.<n>`): each phone of a class has its address, and the server allows each 20 joins a minute.
 */
export async function joinFrom(address: string, code: string, name: string): Promise<JoinClassroomResponse> {
  const body = JSON.stringify({ code, name });
  const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: new URL(baseURL).port, path: '/api/classrooms/join', method: 'POST', localAddress: address, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
  if (status !== 201) throw new Error(`${name} could not join from ${address}: ${status} ${text}`);
  return JSON.parse(text) as JoinClassroomResponse;
}
