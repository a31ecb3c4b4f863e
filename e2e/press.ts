import type { Page } from '@playwright/test';
import { expect, podChip, podNames } from './helpers';

/**
 * A student presses the move their screen highlights, as a class plays: the press is read and made
 * in the page in one task, so the move asserted is exactly the one sent (a label read first and
 * clicked a moment later can belong to the next move: "Report … Running" became "Report …
 * Running, Ready" in between once). Then the test waits for what that student sees the move do.
 * Playwright's own click is not used: its actionability waits need animation frames, which a page
 * on a loaded 2-core machine can stop producing for minutes.
 */

/** A highlighted move pressed, as the page showed it at that instant. */
export interface Press {
  label: string;
  why: string;
  /** The action's kind (`data-move`), which its request-log row names. */
  kind: string;
  /** For "Create a pod for <rs>": that ReplicaSet's pods on the map at the press. */
  pods: number;
  /** How many request-log rows the page had shown before the press (see `recordRequests`). */
  requests: number;
  /** What covered the button's middle (a toast), if anything: then it was not pressed. */
  covered: string | null;
  /** When (wall clock, ms). */
  at: number;
}

/** One row of the API requests panel, as the page showed it. */
interface RequestRow {
  who: string;
  /** The action's kind, as the log keeps it (the row names the move as its button does). */
  verb: string;
  request: string;
  outcome: string;
  message: string;
}

/** How long a press's outcome may take to show on a loaded machine (the watch brings it; the page redraws). */
const OUTCOME = { timeout: 60_000 };

/**
 * Remembers, in the page, every row its API requests panel shows, once each and in order of
 * arrival, so a row cannot scroll away (the panel keeps the newest 40) before the test reads it.
 */
export async function recordRequests(page: Page): Promise<void> {
  await page.evaluate(`(() => {
    if (window.__requests) return;
    const rows = (window.__requests = []);
    const seen = new Set();
    // A cell's first line: the name above the role, the request above its kubectl badge.
    const firstLine = (td) => {
      let text = '';
      for (const n of td ? td.childNodes : []) {
        if (n.nodeName === 'BR') break;
        text += n.textContent;
      }
      return text.trim();
    };
    const look = (node) => {
      if (!(node instanceof Element)) return;
      for (const tr of node.matches('tr[data-request]') ? [node] : node.querySelectorAll('tr[data-request]')) {
        if (seen.has(tr.dataset.request)) continue;
        seen.add(tr.dataset.request);
        rows.push({
          who: firstLine(tr.cells[1]),
          verb: tr.dataset.verb,
          request: firstLine(tr.cells[2]),
          outcome: tr.dataset.outcome,
          message: (tr.querySelector('.message')?.textContent ?? '').trim(),
        });
      }
    };
    look(document.body);
    new MutationObserver((records) => records.forEach((r) => r.addedNodes.forEach(look))).observe(document.body, { childList: true, subtree: true });
  })()`);
}

/** The highlighted move pressed now, or null when the screen offers none (or its buttons wait for the last answer). */
export async function pressHighlighted(page: Page): Promise<Press | null> {
  const raw = await page.evaluate(`(() => {
    const b = document.querySelector('[data-next-move]');
    if (!b || b.disabled) return 'null';
    b.scrollIntoView({ block: 'center' });
    const box = b.getBoundingClientRect();
    const top = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
    const label = b.textContent.trim();
    const rs = label.startsWith('Create a pod for ') ? label.slice('Create a pod for '.length) : null;
    const press = {
      label,
      why: (b.closest('li')?.querySelector('.why')?.textContent ?? '').trim(),
      kind: b.dataset.move ?? '',
      // Distinct names: a chip moving between places is briefly drawn twice.
      pods: rs === null ? 0 : new Set([...document.querySelectorAll('.map [data-pod]')].map((e) => e.dataset.pod).filter((n) => n.startsWith(rs + '-'))).size,
      requests: (window.__requests ?? []).length,
      covered: top === null || b.contains(top) ? null : (top.textContent ?? '').trim().replace(/\\s+/g, ' ').slice(0, 80),
      at: Date.now(),
    };
    // A finger on a covered button taps what covers it.
    if (press.covered === null) b.click();
    return JSON.stringify(press);
  })()`);
  return JSON.parse(String(raw)) as Press | null;
}

/** The ReplicaSet's pods on the page's map now. */
async function podsOf(page: Page, replicaSet: string): Promise<number> {
  return (await podNames(page)).filter((n) => n.startsWith(`${replicaSet}-`)).length;
}

/** The row the press made in the student's API requests panel, once it is there. */
async function rowOf(page: Page, name: string, press: Press): Promise<RequestRow> {
  let row: RequestRow | undefined;
  await expect
    .poll(async () => {
      const rows = JSON.parse(String(await page.evaluate(`JSON.stringify((window.__requests ?? []).slice(${press.requests}))`))) as RequestRow[];
      row = rows.find((r) => r.who === name && r.verb === press.kind);
      return row !== undefined;
    }, { message: `${name}'s request for "${press.label}" in the API requests panel`, ...OUTCOME })
    .toBe(true);
  return row as RequestRow;
}

/**
 * What the student sees a pressed move do: its request accepted in their API requests panel, and
 * the change it made (the pod bound, one more pod, the container state reported, Running 1/1);
 * whatever else it was, that exact move (same button, same reason) is not offered again. Resolves
 * to the API server's answer as the panel shows it.
 */
export async function expectPressed(page: Page, name: string, press: Press): Promise<string> {
  const { label, why } = press;
  expect(press.covered, `"${label}" was covered on ${name}'s screen`).toBeNull();
  const row = await rowOf(page, name, press);
  expect(row.outcome, `${name} pressed "${label}": ${row.request}: ${row.message}`).toBe('accepted');
  let m: RegExpMatchArray | null;
  if ((m = label.match(/^Bind (\S+) to (\S+)$/))) {
    // The pod leaves the queue and sits on the node it was bound to.
    await expect(page.locator(`.map [data-node="${m[2]}"] [data-pod="${m[1]}"]`).first()).toBeVisible(OUTCOME);
  } else if ((m = label.match(/^Create a pod for (\S+)$/))) {
    // Only the controller manager creates pods here: exactly one more, waiting for a node.
    const replicaSet = m[1] ?? '';
    await expect.poll(() => podsOf(page, replicaSet), { message: `pods of ${replicaSet} after "${label}"`, ...OUTCOME }).toBe(press.pods + 1);
  } else if ((m = row.message.match(/^report (\S+): (\w+) \[(ContainerCreating|Running, Ready)\]/))) {
    // The kubelet's own screen shows the container state it reported: what the API server wrote,
    // which is the runtime's latest answer (a "Report … Pending" sent just as the container
    // started reports it Running).
    const [, pod = '', , reported] = m;
    const container = page.locator('article.pod').filter({ has: page.locator(`#pod-${pod}`) });
    await expect(container.locator('strong').last()).toHaveText(reported === 'ContainerCreating' ? 'Waiting: ContainerCreating' : 'Running, ready', OUTCOME);
    if (reported !== 'ContainerCreating') {
      await expect(podChip(page, pod).locator('.status').first()).toHaveText('Running', OUTCOME);
      await expect(podChip(page, pod).locator('.meta').first()).toHaveText('1/1', OUTCOME);
    }
  }
  // A reading of the runtime's answers can be followed at once by another with the same words (the
  // runtime's next answer is news to read): its outcome is the accepted request.
  if (/^Read answers for \S+$/.test(label)) return row.message;
  // Whatever else it was, that exact move (same button, same reason) is done: it is not offered
  // again. A second Pending report (the container now created) has a reason of its own: what it brings.
  await expect(page.locator('.moves li').filter({ hasText: label }).filter({ hasText: why })).toHaveCount(0, OUTCOME);
  return row.message;
}
