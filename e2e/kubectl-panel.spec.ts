import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { assignRole, expect, hostClassroom, test } from './helpers';

const run = promisify(execFile);

/** Runs what the student pasted, then one kubectl command, in a fresh directory as a terminal would. */
async function inTerminal(dir: string, pasted: string, command: string): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run('bash', ['-c', `set -e\n${pasted}\n${command}`], { cwd: dir, env: { PATH: process.env['PATH'] ?? '', HOME: dir }, timeout: 60_000 });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; code?: number };
    return { stdout: failed.stdout ?? '', stderr: failed.stderr ?? '', code: failed.code ?? 1 };
  }
}

test('a student copies the kubectl panel’s command; kubectl then reads the class’s cluster and is refused a write the role may not make', async ({ openPage }) => {
  test.setTimeout(120_000);
  const { instructor, code } = await hostClassroom(openPage, 2);
  const student = await openPage({ viewport: { width: 390, height: 844 }, permissions: ['clipboard-read', 'clipboard-write'] });
  await student.goto(`/join/${code}`);
  await student.getByLabel('Your name').fill('Ada');
  await student.getByRole('button', { name: 'Join' }).click();
  await expect(student).toHaveURL(/\/play\/[^/]+$/);
  await assignRole(instructor, 'Ada', 'Scheduler');
  await instructor.getByRole('button', { name: 'Start the cluster' }).click();

  const panel = student.getByTestId('kubectl-panel');
  await expect(panel).toBeVisible();
  await panel.getByRole('button', { name: 'Copy the command' }).click();
  await expect(panel.getByRole('button', { name: 'Copied' })).toBeVisible();
  const pasted = await student.evaluate<string>('navigator.clipboard.readText()');
  expect(pasted).toContain('/kubeconfig -o clusterplay.kubeconfig');
  expect(pasted).toContain('export KUBECONFIG=$PWD/clusterplay.kubeconfig');

  const dir = await mkdtemp(path.join(tmpdir(), 'clusterplay-kubectl-'));
  try {
    const nodes = await inTerminal(dir, pasted, 'kubectl get nodes');
    expect(nodes.stderr).toBe('');
    const lines = nodes.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 3).join(' '))).toEqual(['node-1 Ready <none>', 'node-2 Ready <none>']);

    // The scheduler binds pods; scaling a Deployment is not its to do, whatever tool it uses.
    const scale = await inTerminal(dir, pasted, 'kubectl scale deployment web --replicas=5');
    expect(scale.code).not.toBe(0);
    expect(scale.stderr).toMatch(/^Error from server \(Forbidden\): deployments\.apps "web" is forbidden: User "Ada" cannot patch resource "deployments\/scale" in API group "apps" in the namespace "default"/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  // The refusal is in the class's request log like a click's, marked as kubectl's.
  await expect(instructor.getByText(/deployments\/scale|deployments\/web/).first()).toBeVisible();
});
