import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

// The install path of `npm start` and `npm test` (scripts/system-packages.mjs), run for real: it
// installs a small Debian package that is not there with the system package manager, as it would
// install redis-server, Chromium or haproxy on a fresh machine.
const root = path.resolve(import.meta.dirname, '..');

/** Runs ensureCommands in a child Node, as the scripts do; returns what it printed and returned. */
function ensure(command: string, pkg: string, env: NodeJS.ProcessEnv = {}): { missing: string[]; log: string[] } {
  const script = `
    const { ensureCommands } = await import(${JSON.stringify(path.join(root, 'scripts/system-packages.mjs'))});
    const log = [];
    const missing = ensureCommands([{ command: ${JSON.stringify(command)}, package: ${JSON.stringify(pkg)} }], { log: (line) => log.push(line) });
    process.stdout.write(JSON.stringify({ missing, log }));`;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, ...env }, encoding: 'utf8' });
  expect(result.status, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as { missing: string[]; log: string[] };
}

function installer(): { ok: boolean; reason?: string } {
  const script = `const m = await import(${JSON.stringify(path.join(root, 'scripts/system-packages.mjs'))}); process.stdout.write(JSON.stringify(m.installer({})));`;
  return JSON.parse(spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }).stdout) as { ok: boolean; reason?: string };
}

const apt = (...args: string[]) => spawnSync('apt-get', ['-o', 'DPkg::Lock::Timeout=300', ...args], { encoding: 'utf8', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
const can = installer();
const root0 = process.getuid?.() === 0;
if (!can.ok || !root0) console.log(`system-packages.test: the real install is skipped here: ${can.reason ?? 'not root'}`);

describe('installing what is missing from the system', () => {
  it('installs nothing and says nothing when CLUSTERPLAY_NO_INSTALL=1', () => {
    const { missing, log } = ensure('cp-no-such-command', 'cp-no-such-package', { CLUSTERPLAY_NO_INSTALL: '1' });
    expect(missing).toEqual(['cp-no-such-command']);
    expect(log).toEqual([]);
  });

  it('leaves a present command alone', () => {
    expect(ensure('node', 'nodejs')).toEqual({ missing: [], log: [] });
  });

  it.skipIf(!can.ok || !root0)('installs a missing package with apt-get, in one line, and the command then runs', { timeout: 600_000 }, () => {
    apt('remove', '-y', '-qq', 'hello'); // left over from an interrupted run
    expect(spawnSync('hello', { encoding: 'utf8' }).error).toBeDefined();
    try {
      const { missing, log } = ensure('hello', 'hello');
      expect(log[0]).toBe('ClusterPlay: hello not installed; installing with apt-get (CLUSTERPLAY_NO_INSTALL=1 turns this off)');
      expect(log).toHaveLength(1);
      expect(missing).toEqual([]);
      expect(spawnSync('hello', { encoding: 'utf8' }).stdout.trim()).toBe('Hello, world!');
    } finally {
      apt('remove', '-y', '-qq', 'hello');
    }
  });

  it.skipIf(!can.ok || !root0)('names the package apt-get could not install and reports the command still missing', { timeout: 600_000 }, () => {
    const { missing, log } = ensure('cp-no-such-command', 'cp-no-such-package');
    expect(missing).toEqual(['cp-no-such-command']);
    expect(log[0]).toBe('ClusterPlay: cp-no-such-package not installed; installing with apt-get (CLUSTERPLAY_NO_INSTALL=1 turns this off)');
    expect(log[1]).toMatch(/^ClusterPlay: apt-get could not install cp-no-such-package: .*Unable to locate package cp-no-such-package/);
  });
});
