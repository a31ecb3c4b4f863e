import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, ServerToClientEvents } from '../shared/protocol/events';
import { baseURL } from '../playwright.config';
import { expect, hostClassroom, saveScreenshot, test } from './helpers';

/** The instructor's token, as the console's browser keeps it. */
async function instructorToken(page: import('@playwright/test').Page, classroomId: string): Promise<string> {
  // (an expression as a string: the e2e code is type-checked without the DOM library)
  const stored = (await page.evaluate("localStorage.getItem('clusterplay.sessions')")) as string | null;
  const session = Object.values(JSON.parse(stored ?? '{}') as Record<string, { classroomId: string; kind: string; token: string }>).find(
    (s) => s.classroomId === classroomId && s.kind === 'instructor',
  );
  if (!session) throw new Error('no instructor session in the console');
  return session.token;
}

test('a replay shows the cluster as it was at a fault marker (node NotReady, its pods Terminating) and plays at 10× to the end', async ({ openPage }, testInfo) => {
  test.setTimeout(150_000);
  const { instructor, id } = await hostClassroom(openPage, 2);
  const token = await instructorToken(instructor, id);
  // The instructor's requests go over the socket the console uses; the console's screen says when the cluster got there.
  const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io(baseURL, { transports: ['websocket'], auth: { token } });
  let node = 'node-1';
  const send = (action: object) => socket.timeout(10_000).emitWithAck('instructor', action as never) as Promise<{ ok: boolean }>;
  try {
    for (const action of [{ kind: 'setTimeScale', timeScale: 20 }, { kind: 'setBotPace', secondsPerAction: 1 }, { kind: 'start' }]) expect(await send(action)).toMatchObject({ ok: true });
    const map = instructor.locator('.map');
    await expect(map.locator('[data-tone="ready"]')).toHaveCount(3, { timeout: 60_000 });
    node = (await map.locator('[data-node="node-1"] [data-tone="ready"]').count()) > 0 ? 'node-1' : 'node-2';
    const evicted = new Promise<void>((resolve) =>
      socket.on('watch', (events) => {
        if (events.some((e) => e.object.kind === 'Pod' && e.object.spec.nodeName === node && e.object.metadata.deletionTimestamp)) resolve();
      }),
    );
    // Faster for the 350 simulated seconds to the eviction.
    expect(await send({ kind: 'setTimeScale', timeScale: 50 })).toMatchObject({ ok: true });
    expect(await send({ kind: 'fault', fault: { type: 'stopKubelet', node } })).toMatchObject({ ok: true });
    // 50 s of grace, 300 s of tolerationSeconds: its pods are evicted and stay Terminating (the kubelet is stopped).
    // The socket's own watch says when, so the class is paused right after (the replay then ends there).
    await evicted;
    expect(await send({ kind: 'pause' })).toMatchObject({ ok: true });
  } finally {
    socket.close();
  }

  const opened = instructor.context().waitForEvent('page');
  await instructor.getByRole('button', { name: 'Open replay' }).click();
  const replay = await opened;
  await replay.setViewportSize({ width: 1280, height: 900 });
  await expect(replay).toHaveURL(/\/replay\/[0-9a-f]+#/);
  await expect(replay.getByRole('heading', { name: /^Replay: / })).toBeVisible();

  // The first eviction on the timeline: the node NotReady, the pod Terminating, on the map and in the kubelet's view.
  const markers = replay.getByRole('list', { name: /Markers/ });
  await markers.getByRole('button', { name: new RegExp(`Fault: \\S+ evicted from ${node}: Terminating`) }).first().click();
  const shownMap = replay.locator('.map');
  await expect(shownMap.locator(`[data-node="${node}"]`)).toHaveAttribute('data-ready', 'Unknown');
  await expect(shownMap.locator(`[data-node="${node}"] [data-tone="terminating"]`).first()).toBeVisible();
  await replay.getByLabel('Watch as').selectOption({ label: `kubelet of ${node}` });
  await expect(replay.getByRole('heading', { name: `Kubelet of ${node}` })).toBeVisible();
  // Nothing can be sent from a replay: the role's screen comes without its moves.
  await expect(replay.getByRole('heading', { name: 'Your moves' })).toHaveCount(0);
  // Nor does the screen speak to its watcher as to the player: no "you", no moves to point at.
  // Its machine is stopped: no "renews its Lease every 10 s" under "no heartbeat".
  await expect(replay.getByTestId('heartbeat')).toHaveText('The machine is stopped: no heartbeat.');
  await expect(replay.getByText('Nothing runs on a stopped machine: its pods keep the status this kubelet last reported.')).toBeVisible();
  await expect(replay.getByText(/renews its Lease every 10 s/)).toHaveCount(0);
  await expect(replay.locator('.role-view').getByText(/\b(you|your)\b/i)).toHaveCount(0);
  await replay.getByLabel('Watch as').selectOption({ label: 'scheduler' });
  await expect(replay.getByText("In the round, the scheduler's player bound it with a move: the highlighted node is", { exact: false })).toBeVisible();
  await expect(replay.locator('.role-view').getByText(/\b(you|your)\b/i)).toHaveCount(0);
  await saveScreenshot(replay, testInfo, 'replay-scheduler');
  await replay.getByLabel('Watch as').selectOption({ label: `kubelet of ${node}` });
  await expect(replay.getByText('Node Ready: Unknown')).toBeVisible();
  await expect(replay.locator('.role-view article.pod .badge', { hasText: 'Terminating' }).first()).toBeVisible();
  await saveScreenshot(replay, testInfo, 'replay-at-eviction');
  // Earlier, at the fault itself, the node was still Ready.
  await markers.getByRole('button', { name: new RegExp(`Fault: the kubelet on ${node} is stopped`) }).click();
  await expect(replay.getByText('Node Ready: True')).toBeVisible();
  await expect(shownMap.locator(`[data-node="${node}"]`)).toHaveAttribute('data-ready', 'True');
  // The machine is down: its kubelet, kube-proxy and runtime all say so on the map, not who played them.
  for (const component of ['kubelet', 'kube-proxy', 'container-runtime']) {
    await expect(shownMap.locator(`[data-component="${component}:${node}"] .player`)).toHaveText('stopped');
  }

  // Play at 10× from there to the end: the eviction happens on screen, and the player stops at the last entry.
  await replay.getByLabel('Speed').selectOption('10');
  await replay.getByRole('button', { name: 'Play', exact: true }).click();
  await expect(replay.getByRole('button', { name: 'Pause', exact: true })).toBeVisible();
  await expect(replay.getByTestId('replay-position')).toContainText('(end)', { timeout: 90_000 });
  await expect(replay.getByRole('button', { name: 'Play', exact: true })).toBeDisabled();
  await expect(shownMap.locator(`[data-node="${node}"]`)).toHaveAttribute('data-ready', 'Unknown');
  await expect(replay.getByText('Node Ready: Unknown')).toBeVisible();
  await expect(shownMap.locator(`[data-node="${node}"] [data-tone="terminating"]`).first()).toBeVisible();
  await saveScreenshot(replay, testInfo, 'replay-at-end');
});
