// What `npm start` and `npm test` need from the operating system (redis-server, Chromium, haproxy),
// installed with the system package manager when it is missing and may be used, as
// `playwright install --with-deps` does for browsers. CLUSTERPLAY_NO_INSTALL=1 turns it off.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** Finds an executable on PATH or in the usual system folders; null when absent. */
export function findCommand(name) {
  if (name.includes('/')) return existsSync(name) ? name : null;
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/bin', '/usr/local/bin', '/usr/sbin', '/bin', '/sbin'];
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    if (dir && existsSync(candidate)) return candidate;
  }
  return null;
}

/** The distribution's id from /etc/os-release (`debian`, `ubuntu`), or null. */
function distribution() {
  try {
    return /^ID=("?)([^"\n]+)\1$/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[2] ?? null;
  } catch {
    return null;
  }
}

/** Chromium's apt package and binary: Debian ships `chromium`; Ubuntu names it `chromium-browser`. */
export function chromiumPackage() {
  return distribution() === 'ubuntu'
    ? { command: '/usr/bin/chromium-browser', package: 'chromium-browser' }
    : { command: '/usr/bin/chromium', package: 'chromium' };
}

/**
 * Whether packages may be installed here: apt-get present, and root or passwordless sudo.
 * `{ ok: true, prefix }` gives the command prefix (`[]` or `['sudo', '-n']`); otherwise the reason.
 */
export function installer(env = process.env) {
  if (env.CLUSTERPLAY_NO_INSTALL === '1') return { ok: false, reason: 'CLUSTERPLAY_NO_INSTALL=1 is set' };
  if (process.platform !== 'linux' || !findCommand('apt-get')) return { ok: false, reason: 'no apt-get on this machine' };
  if (process.getuid?.() === 0) return { ok: true, prefix: [] };
  if (findCommand('sudo') && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0) {
    return { ok: true, prefix: ['sudo', '-n'] };
  }
  return { ok: false, reason: 'not root and no passwordless sudo' };
}

/**
 * Installs the packages of the commands that are missing, in one apt-get run, saying so in one line.
 * `needs` is `[{ command, package }]`. Returns the commands still missing afterwards (empty when all
 * are there); it never throws, so the caller prints its own message about what is still missing.
 */
export function ensureCommands(needs, { env = process.env, log = (line) => console.error(line) } = {}) {
  const missing = needs.filter((need) => !findCommand(need.command));
  if (missing.length === 0) return [];
  const how = installer(env);
  if (!how.ok) return missing.map((need) => need.command);
  const packages = [...new Set(missing.map((need) => need.package))];
  log(`ClusterPlay: ${packages.join(', ')} not installed; installing with apt-get (CLUSTERPLAY_NO_INSTALL=1 turns this off)`);
  const aptEnv = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const apt = (args) => {
    const [command, ...rest] = [...how.prefix, 'apt-get', ...args];
    return spawnSync(command, rest, { env: aptEnv, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  };
  // Install from the current lists first; refresh them only if that fails (a fresh image has none).
  const install = ['-o', 'DPkg::Lock::Timeout=300', 'install', '-y', '-qq', ...packages];
  let result = apt(install);
  if (result.status !== 0) {
    apt(['-o', 'DPkg::Lock::Timeout=300', 'update', '-qq']);
    result = apt(install);
  }
  if (result.status !== 0) {
    const tail = `${result.stderr ?? ''}`.trim().split('\n').slice(-3).join(' | ');
    log(`ClusterPlay: apt-get could not install ${packages.join(', ')}: ${tail || `exit code ${result.status}`}`);
  }
  return needs.filter((need) => !findCommand(need.command)).map((need) => need.command);
}
