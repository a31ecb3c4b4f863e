/**
 * The Kubernetes API's limits: each member's requests draw from the budget their sockets draw from
 * (429 Too Many Requests with Retry-After, which kubectl obeys), and request bodies are capped (413).
 */
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterClient } from '../cluster/testing/cluster-client';
import type { Kubectl } from './testing/kubectl';
import { kubectlClassroom, type KubectlClassroom } from './testing/kubectl-classroom';

let setup: KubectlClassroom;
let instructor: ClusterClient;
let kubectl: Kubectl;
let apiUrl: string;

beforeAll(async () => {
  // A budget of 5 at once, one more each second: a test can spend it; kubectl waits a second for the next.
  setup = await kubectlClassroom('kubectl-limits', { body: { nodes: 2 }, env: { SOCKET_RATE_BURST: '5', SOCKET_RATE_PER_SECOND: '1' } });
  ({ instructor, kubectl } = setup);
  const config = new KubeConfig();
  config.loadFromFile(kubectl.kubeconfig);
  apiUrl = config.getCurrentCluster()?.server ?? '';
}, 60_000);

afterAll(() => setup?.close());

/** Spends the member's budget: requests until one is refused. */
async function spendBudget(): Promise<void> {
  for (let i = 0; i < 50; i++) if ((await fetch(`${apiUrl}/version`)).status === 429) return;
  throw new Error('the budget was never spent');
}

describe('rate limit (the member\'s token bucket, shared with their sockets)', () => {
  it('answers a request beyond the budget 429 TooManyRequests with Retry-After; client-node sees the Status', async () => {
    await spendBudget();
    const core = new KubeConfig();
    core.loadFromFile(kubectl.kubeconfig);
    const error = await core.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: 'default' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 429, headers: { 'retry-after': '1' } });
    expect(JSON.parse((error as { body: string }).body)).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Too many requests, please try again later.',
      reason: 'TooManyRequests',
      details: { retryAfterSeconds: 1 },
      code: 429,
    });
    // One budget per member: the same instructor's clicks are refused too.
    expect(await instructor.instructor({ kind: 'setTimeScale', timeScale: 2 })).toEqual({ ok: false, code: 'TooManyRequests', message: 'too many requests: at most 1 per second (bursts of 5); slow down' });
  });

  it('kubectl waits as Retry-After says and then prints its answer', async () => {
    const run = kubectl.start('get', 'nodes', '-o', 'name', '-v=6');
    const exited = new Promise<number | null>((resolve) => run.child.once('close', resolve));
    // Another client of the same member spends the budget until kubectl has met a 429, then stops.
    const refused = / 429 Too Many Requests in \d+ milliseconds/;
    const deadline = Date.now() + 20_000;
    while (!refused.test(run.err()) && Date.now() < deadline) await fetch(`${apiUrl}/version`);
    expect(run.err()).toMatch(refused);
    expect([await exited, run.out()]).toEqual([0, 'node/node-1\nnode/node-2\n']);
  });
});

describe('request body cap', () => {
  it('refuses a body over 256 KiB with 413 RequestEntityTooLarge, and creates nothing', async () => {
    const file = path.join(path.dirname(kubectl.kubeconfig), 'big.json');
    writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'big', annotations: { note: 'x'.repeat(300_000) } }, spec: { ports: [{ port: 80 }] } }));
    expect(await kubectl.run('create', '-f', file)).toMatchObject({
      stderr: `Error from server (RequestEntityTooLarge): error when creating "${file}": Request entity too large: limit is 262144\n`,
      code: 1,
    });
    expect((await kubectl.run('get', 'services', '-o', 'name')).stdout).toBe('service/web\n');
  });
});
