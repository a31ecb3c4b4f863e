import type { Page } from '@playwright/test';
import {
  assignRole,
  brokenWords,
  cellLines,
  clippedControls,
  expect,
  fitsViewport,
  hostClassroom,
  joinAsStudent,
  openHostScreen,
  overflowingTables,
  podChip,
  saveScreenshot,
  seriousA11yViolations,
  test,
} from './helpers';
import { expectPressed, pressHighlighted, recordRequests } from './press';

/**
 * Issue 11's acceptance round, played as a class plays it: the instructor picks scenario 1
 * ("First deployment"), the projector shows the host screen at 1280×720, and four students on
 * 390×844 phones press the move their screen highlights, recorded as it was at that instant, and
 * the test waits for what that student would see that move do (its request accepted; the pod
 * bound, created, ContainerCreating, Running; the move no longer offered), so a click that changed
 * nothing fails here. Bots play the other nodes and kube-proxy. Every screen
 * shows the goals; the round ends won, with no refusal anywhere; every screen shows the debrief
 * and the leaderboard, the host screen all of it without scrolling, no phone scrolls sideways.
 */
const STUDENTS = [
  ['Sam', 'Scheduler'],
  ['Cleo', 'Controller manager'],
  ['Kim', 'Kubelet of node-1'],
  ['Rui', 'Container runtime of node-1'],
] as const;
type Name = (typeof STUDENTS)[number][0];
const GOALS = ['replicas-ready', 'endpoints', 'served'];
const PHONE = { width: 390, height: 844 };
async function expectNoSeriousViolations(page: Page, screen: string): Promise<void> {
  expect(await seriousA11yViolations(page), `${screen}: serious or critical axe violations`).toEqual([]);
}

/** Elements of the page drawn (partly) outside the viewport: what a projector would cut off. */
async function cutOff(page: Page): Promise<string[]> {
  const raw = await page.evaluate(`JSON.stringify([...document.querySelectorAll('main *')].filter((e) => {
    const r = e.getBoundingClientRect();
    return r.width > 1 && r.height > 1 && (r.bottom > innerHeight + 0.5 || r.right > innerWidth + 0.5);
  }).slice(0, 5).map((e) => e.tagName.toLowerCase() + (e.className ? '.' + String(e.className).split(' ')[0] : '') + ': ' + (e.textContent || '').trim().slice(0, 50)))`);
  return JSON.parse(String(raw)) as string[];
}

async function expectFits(page: Page, screen: string): Promise<void> {
  const size = await fitsViewport(page);
  expect(size.scrollHeight, `${screen} scrolls vertically`).toBeLessThanOrEqual(size.height);
  expect(size.scrollWidth, `${screen} scrolls sideways`).toBeLessThanOrEqual(size.width);
  expect(await cutOff(page), `${screen}: content cut off at the viewport's edge`).toEqual([]);
}

/**
 * Remembers, in the page, every refused request its request log shows and every error toast, so a
 * refusal cannot scroll or fade away unseen. Read back with `refusalsSeen`.
 */
async function recordRefusals(page: Page): Promise<void> {
  await page.evaluate(`(() => {
    const seen = (window.__refusals = window.__refusals || []);
    const look = (node) => {
      if (!(node instanceof Element)) return;
      for (const e of [node, ...node.querySelectorAll('[data-outcome="refused"], .toasts [data-tone="error"], .toasts .error')]) {
        if (e.matches('[data-outcome="refused"], .toasts [data-tone="error"], .toasts .error')) seen.push(e.textContent.trim().replace(/\\s+/g, ' '));
      }
    };
    document.querySelectorAll('[data-outcome="refused"]').forEach(look);
    new MutationObserver((records) => records.forEach((r) => r.addedNodes.forEach(look))).observe(document.body, { childList: true, subtree: true });
  })()`);
}

async function refusalsSeen(page: Page): Promise<string[]> {
  return JSON.parse(String(await page.evaluate('JSON.stringify(window.__refusals || [])'))) as string[];
}

interface Player {
  name: Name;
  page: Page;
  /** The labels of the moves this student made, in order. */
  moves: string[];
  /** When each was made (wall clock, ms). */
  times: number[];
  /** The API server's answer to each, as the student's requests panel showed it. */
  answers: string[];
}

/** Presses the highlighted move whenever the screen offers one, until the round ends, checking each press's outcome. */
async function play(player: Player, ended: () => boolean): Promise<void> {
  const { page } = player;
  while (!ended()) {
    const press = await pressHighlighted(page);
    if (!press) {
      // Nothing to press: look again soon (or stop when the round ends).
      await page.waitForTimeout(250);
      continue;
    }
    player.moves.push(press.label);
    player.times.push(press.at);
    player.answers.push(await expectPressed(page, player.name, press));
  }
}

/** No phone screen may scroll sideways: everything fits the 390 px width. */
async function expectNoSidewaysScroll(page: Page, screen: string): Promise<void> {
  const size = await fitsViewport(page);
  expect(size.scrollWidth, `${screen} scrolls sideways at ${size.width} px`).toBeLessThanOrEqual(PHONE.width);
}

test('an instructor, a host screen and four students on phones play "First deployment" to its debrief', async ({ openPage }, testInfo) => {
  test.setTimeout(300_000);
  const testStart = Date.now();
  const { instructor, code } = await hostClassroom(openPage, 3);
  const { display } = await openHostScreen(instructor, openPage);
  const players: Player[] = [];
  for (const [name] of STUDENTS) {
    const page = await joinAsStudent(openPage, code, name);
    await page.setViewportSize(PHONE);
    players.push({ name, page, moves: [], times: [], answers: [] });
  }
  for (const [name, role] of STUDENTS) await assignRole(instructor, name, role);
  // Each role select and its Remove button inside the students' table, on the console and on a phone.
  for (const viewport of [{ width: 1280, height: 720 }, PHONE]) {
    await instructor.setViewportSize(viewport);
    expect(await clippedControls(instructor, '.table-scroll[aria-label="Students"]'), `the instructor's students at ${viewport.width} px`).toEqual([]);
  }
  await instructor.setViewportSize({ width: 1280, height: 720 });
  const student = (name: Name): Page => players.find((p) => p.name === name)?.page as Page;
  // Simulated time runs as fast as the wall clock: the 5-minute limit never races slow browsers,
  // and the round still ends as soon as its goals are met. Bots move every 2 simulated seconds.
  await instructor.getByLabel('Time scale').selectOption('1');
  await instructor.getByLabel('Bot pace').selectOption('2');

  // The briefing: on every screen with the goals, none met; the clock waits.
  await instructor.getByLabel('Scenario', { exact: true }).selectOption({ label: '1. First deployment' });
  await instructor.getByRole('button', { name: 'Show the briefing' }).click();
  const screens: [string, Page][] = [['instructor', instructor], ['host screen', display], ...players.map((p): [string, Page] => [p.name, p.page])];
  for (const [screen, page] of screens) {
    await expect(page.getByTestId('round-phase'), screen).toHaveText('Briefing');
    // The header says what is happening: the class waits in the lobby for this round's briefing.
    if (screen !== 'host screen') await expect(page.getByTestId('class-phase'), screen).toHaveText('Briefing: First deployment');
    await expect(page.getByText('Three worker nodes are up and empty.', { exact: false }).first(), screen).toBeVisible();
    for (const goal of GOALS) await expect(page.locator(`[data-goal="${goal}"][data-met="false"]`), screen).toBeVisible();
  }
  // The demo Service has no endpoints yet: no node's kube-proxy has rules to sync.
  await expect(instructor.locator('.map .node[data-ready="True"]')).toHaveCount(3);
  await expect(instructor.locator('.map [data-stale-rules]')).toHaveCount(0);
  await expectFits(display, 'host screen (briefing)');
  await saveScreenshot(display, testInfo, 'host-1280x720-briefing');
  for (const p of players) await expectNoSidewaysScroll(p.page, `${p.name}'s phone (briefing)`);
  await saveScreenshot(student('Kim'), testInfo, 'student-390x844-briefing');
  await expectNoSeriousViolations(display, 'host screen, briefing');
  await expectNoSeriousViolations(student('Kim'), 'student, briefing');

  for (const [screen, page] of screens) if (screen !== 'host screen') await recordRefusals(page);
  for (const p of players) await recordRequests(p.page);
  await instructor.getByRole('button', { name: 'Start round', exact: true }).click();
  const startedAt = Date.now();
  for (const [screen, page] of screens) await expect(page.getByTestId('round-phase'), screen).toHaveText('Running');
  await expect(student('Kim').getByRole('heading', { name: 'Your moves' })).toBeVisible();

  let ended = false;
  let endedAt = 0;
  const end = expect(display.getByTestId('round-phase'))
    .toHaveText(/^(Won|Time is up)$/, { timeout: 240_000 })
    .finally(() => {
      ended = true;
      endedAt = Date.now();
    });
  // A click whose outcome does not show fails the test there and then, not when the clock runs out.
  const playing = Promise.all(players.map((p) => play(p, () => ended)));
  const midRound = (async () => {
    // Mid-round, once a goal is met: its progress on every screen, shown on the host screen and a phone.
    await expect(display.locator('[data-goal][data-met="true"]').first()).toBeVisible({ timeout: 240_000 });
    for (const [screen, page] of screens) {
      for (const goal of GOALS) await expect(page.locator(`[data-goal="${goal}"]`).filter({ visible: true }).first(), `${screen}: ${goal}`).toBeVisible({ timeout: 30_000 });
    }
    await saveScreenshot(display, testInfo, 'host-1280x720-running');
    for (const p of players) await expectNoSidewaysScroll(p.page, `${p.name}'s phone (running)`);
    await saveScreenshot(student('Kim'), testInfo, 'student-390x844-running');
  })();
  const seconds = (t: number): number => Math.round((t - startedAt) / 100) / 10;
  const movesSoFar = () => Object.fromEntries(players.map((p) => [p.name, p.moves.map((m, i) => `${seconds(p.times[i] ?? 0)}s ${m}`)]));
  try {
    await Promise.race([Promise.all([end, midRound]), playing]);
    await Promise.all([end, midRound, playing]);
  } finally {
    // Who made which move when (seconds after the start): on the record whether the round was won or not.
    console.log(`round moves: ${JSON.stringify(movesSoFar())}`);
  }
  const figures = {
    simulated: (await display.getByTestId('round-clock').locator('strong').textContent())?.trim() ?? '',
    wallSeconds: seconds(endedAt),
    setupSeconds: Math.round((startedAt - testStart) / 1000),
    moves: movesSoFar(),
    leaderboard: [] as string[],
  };
  await expect(display.getByTestId('round-phase')).toHaveText('Won');

  // What each student did: only highlighted moves, each with its outcome checked above.
  const movesOf = (name: Name): string[] => players.find((p) => p.name === name)?.moves ?? [];
  expect(movesOf('Sam').filter((m) => m.startsWith('Bind '))).toHaveLength(3);
  expect(movesOf('Cleo').filter((m) => m.startsWith('Create a pod for '))).toHaveLength(3);
  expect(movesOf('Cleo')).toContain('Update endpoints of web');
  expect(movesOf('Kim').filter((m) => /^(Pull|Create container|Start container) /.test(m))).toEqual(['Pull nginx:1.27', 'Create container web', 'Start container web']);
  // One report of the pod Running and Ready, as the API server wrote it (the button may still have
  // read "Report … Pending" when the container had just started).
  const reportedRunning = (players.find((p) => p.name === 'Kim')?.answers ?? []).flatMap((a) => a.match(/^report (web-\S+): Running \[Running, Ready\]/)?.slice(1, 2) ?? []);
  expect(reportedRunning).toHaveLength(1);
  expect(movesOf('Rui').map((m) => m.replace(/ web-\S+$/, ''))).toEqual(['Run PullImage nginx:1.27', 'Run CreateContainer', 'Run StartContainer']);
  // The pod on node-1 is the students' own: Running on every screen.
  const [pod = ''] = reportedRunning;
  for (const [screen, page] of screens.filter(([s]) => s !== 'host screen')) await expect(podChip(page, pod).locator('.status'), screen).toHaveText('Running');
  // Not one request refused in the whole round: not in the instructor's request log, not in a toast on any screen.
  for (const [screen, page] of screens) if (screen !== 'host screen') expect(await refusalsSeen(page), `refusals seen by ${screen}`).toEqual([]);

  // The end: every screen shows the goals met and the debrief naming who reached them.
  for (const [screen, page] of screens) {
    for (const goal of GOALS) await expect(page.locator(`[data-goal="${goal}"][data-met="true"]`).first(), screen).toBeVisible();
    const debrief = page.getByRole('region', { name: /^Debrief: goals met in / });
    await expect(debrief, screen).toBeVisible();
    for (const goal of GOALS) await expect(debrief.locator(`[data-goal="${goal}"]`), screen).toContainText('✓');
    // Who reached it: first whose change met it (Cleo's controller manager wrote the Deployment's status,
    // three ready, and the Endpoints), then every player whose component did the work (the bots play node-2 and node-3).
    await expect(debrief.locator('[data-goal="replicas-ready"] .who'), screen).toHaveText('kube-controller-manager (Cleo), kube-scheduler (Sam), kubelet (Kim, 2 bots), container-runtime (Rui, 2 bots)');
    await expect(debrief.locator('[data-goal="endpoints"] .who'), screen).toHaveText('kube-controller-manager (Cleo), kubelet (Kim, 2 bots)');
    // A window met by time passing: no one change, the players of the components that serve it.
    await expect(debrief.locator('[data-goal="served"] .who'), screen).toHaveText('kube-proxy (3 bots), kube-controller-manager (Cleo), kubelet (Kim, 2 bots)');
    const leaderboard = page.getByRole('region', { name: 'Leaderboard' });
    await expect(leaderboard, screen).toBeVisible();
    // Each student on the board, with no refused move (the host screen leaves refusals to the phones: name, role, score).
    if (screen === 'host screen') await expect(leaderboard.locator('thead th'), screen).toHaveText(['#', 'Student', 'Score']);
    else for (const [name] of STUDENTS) await expect(leaderboard.locator('tbody tr').filter({ has: page.locator('th', { hasText: new RegExp(`^${name}`) }) }).locator('td').last(), `${screen}: ${name}`).toHaveText('0');
  }
  await expectFits(display, 'host screen (debrief)');
  await saveScreenshot(display, testInfo, 'host-1280x720-debrief');
  await expectNoSeriousViolations(display, 'host screen, debrief');
  const logs = ['Events, newest first', 'API requests, newest first'];
  for (const p of players) {
    await expectNoSidewaysScroll(p.page, `${p.name}'s phone (debrief)`);
    // Every column of the events and the API requests in view, no word in them broken, every rank on one line.
    expect(await overflowingTables(p.page, logs), `${p.name}'s phone: a table cut off`).toEqual([]);
    expect(await brokenWords(p.page, logs.map((l) => `.table-scroll[aria-label="${l}"]`).join(', ')), `${p.name}'s phone: words broken mid-word`).toEqual([]);
    const ranks = await cellLines(p.page, '.leaderboard tbody td:first-child');
    expect(ranks.length, `${p.name}'s phone: the leaderboard's rows`).toBe(STUDENTS.length);
    expect(ranks.filter((r) => !r.endsWith(': 1 line(s)')), `${p.name}'s phone: ranks on more than one line`).toEqual([]);
    await saveScreenshot(p.page, testInfo, `student-390x844-debrief-${p.name}`);
  }
  await expectNoSeriousViolations(student('Cleo'), 'student, debrief');
  await saveScreenshot(instructor, testInfo, 'instructor-debrief');

  // The figures of this round, for the record.
  const rows = async (page: Page): Promise<string[]> => (await page.getByRole('region', { name: 'Leaderboard' }).locator('tbody tr').allInnerTexts()).map((r) => r.replace(/\s+/g, ' ').trim());
  const board = await rows(instructor);
  figures.leaderboard = board;
  // One leaderboard in the room: the students ranked among themselves, the same ranks on the projector,
  // every phone and the console (the projector without the refusals); the bots apart, counted by the seats they played (11 seats, 4 students).
  expect(board.map((r) => r.split(' ')[0]), 'the ranks').toEqual(STUDENTS.map((_, i) => String(i + 1)));
  expect(board.map((r) => r.split(' ')[1]).sort(), 'the ranked names').toEqual(STUDENTS.map(([name]) => name).sort());
  expect(await rows(display), 'the host screen\'s leaderboard').toEqual(board.map((r) => r.replace(/ \d+$/, '')));
  for (const [screen, page] of players.map((p): [string, Page] => [p.name, p.page])) expect(await rows(page), `${screen}'s leaderboard`).toEqual(board);
  for (const [screen, page] of screens) await expect(page.getByTestId('leaderboard-bots'), screen).toHaveText(/^Bots played the other 7 seats \(\d+ points, not ranked\)\.$/);
  testInfo.annotations.push({ type: 'round', description: JSON.stringify(figures) });
  console.log(`round figures: ${JSON.stringify(figures)}`);
});
