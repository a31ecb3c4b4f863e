import { assignRole, expect, fitsViewport, hostClassroom, joinAsStudent, joinFrom, openHostScreen, podNames, saveScreenshot, test, textCutByBox, textPastEdge } from './helpers';

/**
 * A class the instructor grew to eight nodes, five pods on each, on the projector at 1280×720: every
 * node whole in the map, its name and how many pods it runs readable, nothing cut at the screen's
 * edge or at its box's. Last session's host screen wrapped from five nodes and clipped the pods and
 * the seats in each box.
 */
const NODES = 8;
/** Five pods a node, named and labelled as their ReplicaSets make them (bound by the manifest: no scheduler to wait for). */
const APPS = [
  ['api', '7c6d9f5b8d'],
  ['api', '7c6d9f5b8d'],
  ['cache', '5f7b8c9d4'],
  ['cache', '5f7b8c9d4'],
  ['worker', '6b9c7d8f5c'],
] as const;
const SUFFIX = 'bcdfghjklmnpqrstvwxz';
const pods = Array.from({ length: NODES }, (_, n) =>
  APPS.map(([app, hash], i) => ({ name: `${app}-${hash}-${SUFFIX[n]}${SUFFIX[(n + i) % 20]}${SUFFIX[i]}q${n}`, app, hash, node: `node-${n + 1}` })),
).flat();
const manifest = pods
  .map(({ name, app, hash, node }) =>
    ['apiVersion: v1', 'kind: Pod', 'metadata:', `  name: ${name}`, `  labels: { app: ${app}, pod-template-hash: '${hash}' }`, 'spec:', `  nodeName: ${node}`, '  containers:', `    - name: ${app}`, '      image: nginx:1.27', '      resources: { requests: { cpu: 100m, memory: 64Mi } }'].join('\n'),
  )
  .join('\n---\n');
/** Students with long names in some of the nodes' seats (the rest are bots). */
const SEATED = [
  ['Fatima-Zahra', 'Kubelet of node-1'],
  ['Bartholomew', 'Container runtime of node-2'],
  ['Siddharth', 'kube-proxy of node-8'],
] as const;

test('the host screen shows a cluster of eight nodes with five pods each, whole, at 1280×720 and 1920×1080', async ({ openPage }, testInfo) => {
  test.setTimeout(360_000);
  const { instructor, code } = await hostClassroom(openPage, NODES);
  await instructor.setViewportSize({ width: 1280, height: 720 });
  for (const [i, [name]] of SEATED.entries()) await joinFrom(`127.0.0.${40 + i}`, code, name);
  // A join over REST reaches the console with its next snapshot.
  await instructor.reload();
  for (const [name, role] of SEATED) await assignRole(instructor, name, role);
  const { display } = await openHostScreen(instructor, openPage);
  // A student's phone, playing node-3's kubelet: the map is theirs too.
  const kim = await joinAsStudent(openPage, code, 'Kim');
  await kim.setViewportSize({ width: 390, height: 844 });
  await assignRole(instructor, 'Kim', 'Kubelet of node-3');
  await instructor.getByLabel('Time scale').selectOption('10');
  await instructor.getByLabel('Bot pace').selectOption('1');
  await instructor.getByRole('button', { name: 'Start the cluster' }).click();
  await instructor.getByLabel('Manifest (YAML)').fill(manifest);
  await instructor.getByRole('button', { name: 'Apply', exact: true }).click();
  // (forty creates take a while on a loaded machine: the map is waited on, not the toast)
  // The cluster's own web Deployment (three pods) and the forty applied, on the instructor's map (the projector's counts them).
  await expect.poll(async () => (await podNames(instructor)).length, { timeout: 120_000 }).toBe(pods.length + 3);
  await expect(display.locator('.map [data-node]')).toHaveCount(NODES);
  for (let n = 1; n <= NODES; n++) await expect(display.locator(`.map [data-node="node-${n}"]`)).toContainText('Ready: True', { timeout: 60_000 });
  // Where the scheduler put web's three pods, from the instructor's map (which draws every pod's chip).
  await expect(instructor.getByRole('heading', { name: 'Waiting for a node (0)' })).toBeVisible({ timeout: 60_000 });
  const onNode: number[] = [];
  for (let n = 1; n <= NODES; n++) onNode.push(new Set(await instructor.locator(`.map [data-node="node-${n}"] [data-pod]`).evaluateAll((chips) => chips.map((c) => c.getAttribute('data-pod')))).size);
  expect(onNode.reduce((a, b) => a + b)).toBe(pods.length + 3);

  for (const viewport of [
    { width: 1280, height: 720 },
    { width: 1920, height: 1080 },
  ]) {
    const size = `${viewport.width}x${viewport.height}`;
    await display.setViewportSize(viewport);
    // Every node's name, and how many pods run on it, on the projector.
    for (let n = 1; n <= NODES; n++) {
      const node = display.locator(`.map [data-node="node-${n}"]`);
      await expect.soft(node.getByRole('heading', { name: new RegExp(`^node-${n}\\b`) })).toBeInViewport({ ratio: 1 });
      await expect.soft(node.getByTestId('pod-count')).toHaveText(`${onNode[n - 1]} pods`);
      await expect.soft(node.getByTestId('pod-count')).toBeInViewport({ ratio: 1 });
    }
    // The seats a student plays, by name.
    await expect.soft(display.locator('.map [data-node="node-1"]')).toContainText('Fatima-Zahra');
    await expect.soft(display.locator('.map [data-node="node-8"]')).toContainText('Siddharth');
    await saveScreenshot(display, testInfo, `host-${size}-eight-nodes`);
    const fits = await fitsViewport(display);
    expect.soft([fits.scrollWidth, fits.scrollHeight], `${size}: no scrolling`).toEqual([fits.width, fits.height]);
    expect.soft(await textPastEdge(display), `${size}: text past the screen's edge`).toEqual([]);
    expect.soft(await textCutByBox(display, '.map'), `${size}: text cut by its box in the map`).toEqual([]);
  }

  // A workload's group on the projector is coloured as its pods' chips are on the console: one set of tone colours (app.css) for both.
  // (an expression as a string: the e2e code is type-checked without the DOM library)
  const colours = async (page: typeof display, selector: string): Promise<Record<string, string>> =>
    JSON.parse(String(await page.evaluate(`JSON.stringify(Object.fromEntries([...document.querySelectorAll('${selector}')].map((e) => {
      const s = getComputedStyle(e);
      return [e.dataset.tone, [s.backgroundColor, s.borderTopColor, s.borderTopStyle].join(' ')];
    })))`))) as Record<string, string>;
  const groups = await colours(display, '.map .group[data-tone]');
  const chips = await colours(instructor, '.map .chip[data-tone]');
  expect(Object.keys(groups).length, 'tones on the projector').toBeGreaterThan(0);
  for (const [tone, drawn] of Object.entries(groups)) if (chips[tone]) expect.soft(drawn, `a ${tone} group beside a ${tone} chip`).toBe(chips[tone]);

  // The same cluster on the instructor's console at 1280×720 and on Kim's phone: their maps scroll with the page, and cut nothing.
  for (const [who, page, width] of [
    ['instructor', instructor, 1280],
    ['phone', kim, 390],
  ] as const) {
    await expect(page.locator('.map [data-node]')).toHaveCount(NODES);
    await expect(page.locator('.map [data-pod]')).toHaveCount(pods.length + 3);
    await saveScreenshot(page, testInfo, `${who}-${width}-eight-nodes`);
    expect.soft((await fitsViewport(page)).scrollWidth, `${who}: no scrolling sideways`).toBeLessThanOrEqual(width);
    expect.soft(await textCutByBox(page, '.map'), `${who}: text cut by its box in the map`).toEqual([]);
  }
});
