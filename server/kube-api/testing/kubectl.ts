/** Test helpers: the installed kubectl 1.32, run with a kubeconfig downloaded as a member would. */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface Kubectl {
  /** kubectl's stdout, stderr and exit code. */
  run(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }>;
  /** A long-running kubectl (`get -w`) whose stdout accumulates in `out`, its stderr in `err`. */
  start(...args: string[]): { child: ChildProcess; out: () => string; err: () => string };
  kubeconfig: string;
  dispose(): void;
}

/** Downloads the member's kubeconfig from the server, into a home of its own (kubectl's discovery cache lives there). */
export async function kubectlFor(url: string, classroomId: string, token: string): Promise<Kubectl> {
  const res = await fetch(`${url}/api/classrooms/${classroomId}/kubeconfig`, { headers: { authorization: `Bearer ${token}` } });
  if (res.status !== 200) throw new Error(`kubeconfig answered ${res.status}: ${await res.text()}`);
  const home = mkdtempSync(path.join(tmpdir(), 'kubectl-'));
  const kubeconfig = path.join(home, 'config');
  writeFileSync(kubeconfig, await res.text());
  const env = { PATH: process.env['PATH'] ?? '', HOME: home, KUBECONFIG: kubeconfig };
  return {
    kubeconfig,
    run: (...args) =>
      new Promise((resolve) => {
        execFile('kubectl', args, { env, timeout: 30_000 }, (error, stdout, stderr) => {
          resolve({ stdout, stderr, code: error ? (typeof error.code === 'number' ? error.code : 1) : 0 });
        });
      }),
    start: (...args) => {
      const child = spawn('kubectl', args, { env });
      let out = '';
      let err = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
      return { child, out: () => out, err: () => err };
    },
    dispose: () => rmSync(home, { recursive: true, force: true }),
  };
}

/** Rows laid out as kubectl's tabwriter does (minimum width 6, padding 3), one line each. */
export function columns(rows: readonly (readonly (string | number)[])[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, String(cell).length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? String(cell) : String(cell).padEnd(Math.max(6, (widths[i] ?? 0) + 3)))).join('')).join('\n') + '\n';
}
