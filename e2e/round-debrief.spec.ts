import type { Page } from '@playwright/test';
import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, ServerToClientEvents } from '../shared/protocol/events';
import { baseURL } from '../playwright.config';
import { assignRole, expect, fitsViewport, hostClassroom, joinAsStudent, joinFrom, openHostScreen, saveScreenshot, test, textCutByBox, textPastEdge } from './helpers';

/**
 * "A worker node dies" played by bots, watched by the instructor and a student on a phone,
 * as the hands-on trial found it: the debrief dated node-2's drain 0:00, before node-2 had a pod;
 * the request log dated a refused request 20788 days ago; the students were told the instructor had
 * paused the class when the round had ended; the round timeline ran "node-dies(instructor)"
 * together; the replay called the scenario's setup and its new node faults.
 */
const PHONE = { width: 390, height: 844 };
/** node-dies' drain goal, in the scenario's words. */
const DRAINED = "no pod on node-2 but Terminating ones: its pod is evicted after its tolerationSeconds (only node-2's kubelet could confirm the deletion)";

/**
 * The rest of a class of 28 (with Kim and Pia), joined over REST as a phone's join form does: the
 * host screen is read with a full class on its leaderboard. Seated as kube-proxies, which have
 * nothing to do in this round (no Service), so the bots still play it.
 */
const CLASS = ['Aaliyah', 'Bartholomew', 'Chen', 'Dagny', 'Emeka', 'Fatima-Zahra', 'Gustavo', 'Hana', 'Ingrid', 'Jovan', 'Kalani', 'Leopold', 'Mei', 'Nnamdi', 'Oksana', 'Priyanka', 'Quentin', 'Rosalind', 'Siddharth', 'Tove', 'Ulrich', 'Valentina', 'Wiremu', 'Xiomara', 'Yusuf', 'Zofia'];

/** A member's token, as their browser keeps it. */
async function tokenOf(page: Page, classroomId: string, kind: 'instructor' | 'student'): Promise<string> {
  // (an expression as a string: the e2e code is type-checked without the DOM library)
  const stored = (await page.evaluate("localStorage.getItem('clusterplay.sessions')")) as string | null;
  const session = Object.values(JSON.parse(stored ?? '{}') as Record<string, { classroomId: string; kind: string; token: string }>).find((s) => s.classroomId === classroomId && s.kind === kind);
  if (!session) throw new Error(`no ${kind} session`);
  return session.token;
}

/** `m:ss` as the round screens write it, in seconds. */
const seconds = (clock: string): number => {
  const [m = '0', s = '0'] = clock.split(':');
  return Number(m) * 60 + Number(s);
};

test('the debrief dates each goal when it last became true and names whose change met it; the class is told the round ended; the replay tells setup and steps from faults', async ({ openPage }, testInfo) => {
  test.setTimeout(240_000);
  const { instructor, id, code } = await hostClassroom(openPage, 3);
  await instructor.setViewportSize({ width: 1280, height: 720 });
  const { display } = await openHostScreen(instructor, openPage);
  const student = await joinAsStudent(openPage, code, 'Kim');
  await student.setViewportSize(PHONE);
  // Pia plays node-1's kube-proxy in a round with no Service: she and the instructor are told she has nothing to do.
  const pia = await joinAsStudent(openPage, code, 'Pia');
  await pia.setViewportSize(PHONE);
  await assignRole(instructor, 'Pia', 'kube-proxy of node-1');
  // 1× while the running round is looked at and Kim's request is refused, then 10×: at 10× the whole
  // round takes some 15 s, and on a loaded machine it had ended before Kim's request, which then
  // counted for no round (the projector's leaderboard said "and 24 more", Kim missing, rightly).
  await instructor.getByLabel('Time scale').selectOption('1');
  await instructor.getByLabel('Bot pace').selectOption('2');
  await instructor.getByLabel('Scenario', { exact: true }).selectOption({ label: '3. A worker node dies' });
  await instructor.getByRole('button', { name: 'Show the briefing' }).click();
  // Her lobby says what comes next: the instructor starts the round, not "the class".
  await expect(pia.getByText('The round starts when your instructor starts it: read its briefing above meanwhile.', { exact: true })).toBeVisible();
  // The briefing says what the round does: no pod runs yet, node-2 stops once the three pods are Ready.
  await expect(student.getByText('has just been submitted to three empty', { exact: false }).first()).toBeVisible();
  await expect(student.getByText('Ten seconds after they', { exact: false }).first()).toBeVisible();
  await expect(instructor.getByTestId('idle-proxies')).toHaveText(
    'No Service in this cluster: Pia (kube-proxy of node-1) has nothing to do, as kube-proxy programs rules only for Services. Give them another role, or apply a Service.',
  );
  await expect(pia.getByTestId('no-service')).toHaveText(
    'No Service in this cluster, so nothing for you to do: kube-proxy programs rules only for Services, and requests are sent only to Services. You will have work once a Service is created.',
  );
  // The goals in the scenario's words on the phones; the check in the tooltip, and under each goal for the instructor.
  const drainedGoal = pia.locator('.round-bar [data-goal="node-drained"] .text');
  await expect(drainedGoal).toHaveText(DRAINED);
  await expect(drainedGoal).toHaveAttribute('title', 'node/node-2 pods == 0');
  await expect(pia.locator('.round-bar [data-goal="node-not-ready"] .text')).toHaveText('the control plane noticed node-2 is gone (Ready is no longer True)');
  await expect(pia.locator('.round-bar .check')).toHaveCount(0);
  await expect(instructor.locator('.round-bar [data-goal="node-drained"] .check')).toHaveText('node/node-2 pods == 0');
  await expect(display.locator('[data-goal="node-drained"] .text').first()).toContainText(DRAINED);
  // The goals about node-2's death wait for it, three pods Ready again for node-2's pod to be evicted:
  // neither ✓ nor a bar on the host screen until then, whatever holds meanwhile.
  const readyAgain = display.locator('[data-goal="replicas-ready"]').first();
  // The goal it waits for by its short name: its whole line, listed just above, was repeated.
  await expect(readyAgain.getByTestId('goal-waits')).toHaveText("waits for: node-2's pod evicted");
  await expect(readyAgain.locator('.mark')).toHaveText('…');
  await expect(display.locator('[data-goal="node-drained"]').first().getByTestId('goal-waits')).toHaveText("waits for: node-2's machine goes down");
  await expect(pia.locator('.round-bar [data-goal="node-not-ready"] [data-testid="goal-waits"]')).toHaveText("waits for: node-2's machine goes down");
  await saveScreenshot(display, testInfo, 'host-1280x720-briefing');
  await saveScreenshot(pia, testInfo, 'kube-proxy-390x844-no-service');
  await saveScreenshot(instructor, testInfo, 'instructor-1280x720-briefing');
  const consoleSocket: Socket<ServerToClientEvents, ClientToServerEvents> = io(baseURL, { transports: ['websocket'], auth: { token: await tokenOf(instructor, id, 'instructor') } });
  try {
    for (const [i, name] of CLASS.entries()) {
      const { studentId } = await joinFrom(`127.0.0.${10 + i}`, code, name);
      const seated = (await consoleSocket.timeout(10_000).emitWithAck('instructor', { kind: 'assignRole', studentId, role: `kube-proxy:node-${(i % 3) + 1}` })) as { ok: boolean };
      expect(seated.ok, `${name} seated`).toBe(true);
    }
  } finally {
    consoleSocket.close();
  }
  await expect(display.getByText(`${CLASS.length + 2} students`)).toBeVisible();
  await instructor.getByRole('button', { name: 'Start round', exact: true }).click();
  await expect(instructor.getByTestId('round-phase')).toHaveText('Running');
  // The projector during the round, with the full class: nothing drawn past its edges, and a seat's
  // crowd counted rather than listed, which pushed its pods down its box.
  await expect(display.getByTestId('round-phase')).toHaveText('Running');
  await expect(display.locator('.map [data-node="node-1"] .players')).toContainText('kube-proxy: Pia, Aaliyah and 8 more');
  // Not met before node-2 dies, though the three first pods are soon Ready (the trial's host screen showed it ✓ then).
  await expect(display.locator('[data-goal="replicas-ready"]').first()).toHaveAttribute('data-met', 'false');
  await saveScreenshot(display, testInfo, 'host-1280x720-running');
  expect(await textPastEdge(display), 'host screen (running): text past the edge').toEqual([]);

  // A request refused before the API server read the clock (a move of another role): its WHEN is its age, not 20788d.
  const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io(baseURL, { transports: ['websocket'], auth: { token: await tokenOf(student, id, 'student') } });
  try {
    const reply = (await socket.timeout(10_000).emitWithAck('action', { kind: 'bind', pod: 'web-x', node: 'node-1', resourceVersion: '1' } as never)) as { ok: boolean; code?: string };
    expect(reply).toMatchObject({ ok: false, code: 'Forbidden' });
  } finally {
    socket.close();
  }
  // Named as the scheduler's button names the move, not by the action's kind ("bind pods/web-x").
  const refused = instructor.locator('[data-outcome="refused"][data-verb="bind"]').filter({ hasText: 'Bind web-x' }).first();
  await expect(refused.getByTestId('request-when')).toHaveText(/^\d+s$/);
  await expect(refused.locator('td').nth(2)).toHaveText('Bind web-x');
  // Refused during the round (node-2 stops at 0:40): it counts, so Kim is on its leaderboard. The rest at 10×.
  await expect(instructor.getByTestId('round-phase')).toHaveText('Running');
  await instructor.getByLabel('Time scale').selectOption('10');

  await expect(instructor.getByTestId('round-phase')).toHaveText('Won', { timeout: 180_000 });
  const debrief = instructor.getByRole('region', { name: /^Debrief: goals met in / });
  await expect(debrief).toBeVisible();
  // node-2 drained when its pod was evicted (after it stopped, its grace period and 30 s of toleration),
  // by the controller manager's bot, with the scheduler's, which placed the pods elsewhere.
  const drained = debrief.locator('[data-goal="node-drained"]');
  await expect(drained.locator('.who')).toHaveText('kube-controller-manager (bot), kube-scheduler (bot)');
  // node-2 not Ready: the node lifecycle controller's verdict alone; three pods Ready again: every pod component's bots, on the four nodes.
  await expect(debrief.locator('[data-goal="node-not-ready"] .who')).toHaveText('kube-controller-manager (bot)');
  await expect(debrief.locator('[data-goal="replicas-ready"] .who')).toHaveText('kube-controller-manager (bot), kube-scheduler (bot), kubelet (4 bots), container-runtime (4 bots)');
  const drainedAt = seconds((await drained.locator('.at').textContent())?.replace(/^at /, '') ?? '');
  const timeline = debrief.getByRole('region', { name: 'Timeline of the round' });
  const stopLine = timeline.locator('li').filter({ hasText: 'the kubelet on node-2 is stopped' });
  // The mark's text and who made it, apart: "… is stopped (scenario)", the scenario's timed step (the instructor did nothing).
  await expect(stopLine).toContainText('the kubelet on node-2 is stopped (scenario)');
  await expect(timeline.locator('li').filter({ hasText: 'round started: A worker node dies' })).toContainText('round started: A worker node dies (instructor)');
  const stoppedAt = seconds((await stopLine.locator('.at').textContent()) ?? '');
  expect(stoppedAt).toBeGreaterThan(0);
  expect(drainedAt).toBeGreaterThan(stoppedAt + 30);
  // The fault's recovery, a sentence that says when it came and how long the goals took to hold:
  // not "again", as none of them counted before it.
  const clock = (await stopLine.locator('.at').textContent())?.trim() ?? '';
  await expect(debrief.getByTestId('recovery')).toHaveText([new RegExp(`^At ${clock}, the kubelet on node-2 is stopped\\. Every goal was met \\d+:\\d\\d later\\.$`)]);
  // The goal in words in the debrief; its mark names who made it true: the eviction's author alone.
  await expect(drained.locator('.head span[title="node/node-2 pods == 0"]')).toHaveText(DRAINED);
  const drainedLine = timeline.locator('li').filter({ hasText: `goal reached: ${DRAINED}` });
  await expect(drainedLine).toHaveCount(1);
  await expect(drainedLine).toContainText(`goal reached: ${DRAINED} (bot (controller-manager))`);
  // The goal and the map agree: node-2's evicted pod is still in the API, Terminating (its stopped kubelet never confirms the deletion), as the goal says.
  await expect(instructor.locator('.map [data-node="node-2"] [data-pod] .status')).toHaveText(['Terminating']);
  // What the stopped kubelet brought about, as the replay tells it: node-2 Unknown after its grace period, its pod evicted, by the node lifecycle controller.
  await expect(timeline.locator('li').filter({ hasText: 'node-2 Ready: Unknown' })).toContainText('Fault node-2 Ready: Unknown (bot (controller-manager))');
  const evicted = timeline.locator('li').filter({ hasText: / evicted from node-2: Terminating/ });
  await expect(evicted).toHaveCount(1);
  expect(seconds((await evicted.locator('.at').textContent()) ?? '')).toBe(drainedAt);
  await saveScreenshot(instructor, testInfo, 'instructor-1280x720-debrief');

  // The host screen tells the room the same story in view at once: the step in the debrief's recovery
  // line, and what it brought about in the timeline beside it (the goals are in the debrief, with who
  // met them). Below a class of 28's leaderboard the timeline has room for its newest marks only, and says so.
  await expect(display.getByTestId('recovery')).toHaveText(await debrief.getByTestId('recovery').allTextContents());
  const hostTimeline = display.getByRole('region', { name: 'Timeline of the round' });
  await expect(display.getByTestId('timeline-earlier')).toHaveText(/^ \(the last [2-5] of 6\)$/);
  await expect(hostTimeline.locator('li').last()).toHaveText(/round won: every goal met$/);
  await expect(hostTimeline.locator('li').filter({ hasText: 'node-2 Ready: Unknown' })).toHaveCount(1);
  await expect(hostTimeline.locator('li').filter({ hasText: / evicted from node-2: Terminating/ })).toHaveCount(1);
  await expect(hostTimeline.locator('li').filter({ hasText: 'goal reached' })).toHaveCount(0);
  // Teams are components: Kim, refused before she had a role, is on none of them (it read "none 0").
  await expect(display.locator('.leaderboard .teams li').first()).toBeVisible();
  expect(await display.locator('.leaderboard .teams li').allInnerTexts()).not.toContainEqual(expect.stringMatching(/^none\b/));
  // A class of 28 on the projector: its top three, and the rest told to look at their phones.
  await expect(display.locator('.leaderboard tbody tr')).toHaveCount(3);
  await expect(display.getByTestId('leaderboard-more')).toHaveText('and 25 more: each phone shows its own rank.');
  const fits = await fitsViewport(display);
  expect([fits.scrollWidth, fits.scrollHeight]).toEqual([fits.width, fits.height]);
  await saveScreenshot(display, testInfo, 'host-1280x720-debrief');
  // The page does not scroll, as its root hides what overflows: a line half past the edge is still cut.
  expect(await textPastEdge(display), 'host screen (debrief): text past the edge').toEqual([]);
  // An older 1024×768 projector: a narrower column in larger type. The debrief's type steps down to it
  // (node-dies' four points were drawn past the bottom edge); what still cannot fit is counted, never cut.
  await display.setViewportSize({ width: 1024, height: 768 });
  await saveScreenshot(display, testInfo, 'host-1024x768-debrief');
  expect(await textPastEdge(display), 'host screen at 1024×768 (debrief): text past the edge').toEqual([]);
  expect(await textCutByBox(display, '.debrief'), 'host screen at 1024×768: debrief text cut by its box').toEqual([]);
  await expect(display.getByTestId('recovery')).toBeInViewport({ ratio: 1 });

  // Kim gets a role now: her screen says the round is over, not that the instructor paused the class.
  await assignRole(instructor, 'Kim', 'Scheduler');
  await expect(student.getByRole('status').filter({ hasText: 'The round is won: every goal was met.' })).toBeVisible();
  await expect(student.getByText('The round is over: moves wait for the next round.')).toBeVisible();
  // That note alone in her moves panel, and the header says what the round's card says.
  await expect(student.getByRole('region', { name: 'Your moves' }).getByText(/^Nothing to (do|click)/)).toHaveCount(0);
  await expect(student.getByTestId('round-phase')).toHaveText('Won');
  await expect(student.getByTestId('class-phase')).toHaveText('Won');
  await expect(student.getByText('The instructor paused the class')).toHaveCount(0);
  await expect(student.getByText('Paused: moves wait until the instructor resumes.')).toHaveCount(0);
  await saveScreenshot(student, testInfo, 'student-390x844-round-over');

  // The replay: the scenario's setup is the round's, the spare node a step, node-2's stop a fault.
  const opened = instructor.context().waitForEvent('page');
  await instructor.getByRole('button', { name: 'Open replay' }).click();
  const replay = await opened;
  await replay.setViewportSize({ width: 1280, height: 720 });
  const markers = replay.getByRole('list', { name: /Markers/ });
  await expect(markers.getByRole('button', { name: /Round: scenario "A worker node dies" is ready/ })).toBeVisible();
  await expect(markers.getByRole('button', { name: /Step: node\/node-4 created/ })).toBeVisible();
  await expect(markers.getByRole('button', { name: /Fault: the kubelet on node-2 is stopped/ })).toBeVisible();
  await expect(markers.getByRole('button', { name: /Fault: node-\d (deleted|Ready: True)/ })).toHaveCount(0);
  // node-2's drain marked once, where it happened (not at the round's start).
  await expect(markers.getByRole('button', { name: `Goal: goal reached: ${DRAINED}`, exact: false })).toHaveCount(1);
  await saveScreenshot(replay, testInfo, 'replay-1280x720-markers');
});
