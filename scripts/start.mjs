// `npm start`: build the client and the server bundle when missing or built from other sources, then
// run the server in production mode in this same process, so signals reach it directly.
import { readFileSync } from 'node:fs';
import { buildClientIfStale } from './client-build.mjs';
import { buildServerIfStale } from './server-build.mjs';
import { ensureCommands } from './system-packages.mjs';

/** How often the process looks whether whoever started it is still there. */
const PARENT_CHECK_MS = 500;

/** The parent of a process, from /proc (Linux); null when it cannot be read (gone, or no /proc). */
function parentOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so count from the last ")".
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    return Number.isInteger(ppid) ? ppid : null;
  } catch {
    return null;
  }
}

/** The command name of a process (`sh`, `npm`), or null. */
function commandOf(pid) {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return null;
  }
}

/**
 * Stops the server when the process that started it is gone. package.json's `start` is
 * `exec node scripts/start.mjs`, so the shell npm runs it in becomes this process: npm's own
 * forwarding then delivers the SIGTERM or SIGINT that systemd, pm2, `timeout` or a CI harness send
 * to npm, and server/main.ts shuts down gracefully (its private redis-server included). What npm
 * cannot forward is its own death (SIGKILL, a crash): so the parent is checked twice a second, and
 * when this process is orphaned it sends itself SIGTERM. Should a shell still sit between npm and
 * this process (a shell that does not `exec`, or `npm start` run differently), its parent counts too:
 * such a shell outlives npm, and dies of npm's forwarded SIGTERM without passing it on.
 */
function stopWithParent() {
  const parent = process.ppid;
  if (parent <= 1) return; // started by init or a container runtime: nothing to outlive
  const shell = /^(sh|dash|bash|ash|zsh)$/.test(commandOf(parent) ?? '');
  const grandparent = shell && process.env.npm_lifecycle_event !== undefined ? parentOf(parent) : null;
  let orphaned = false;
  const timer = setInterval(() => {
    orphaned ||= process.ppid !== parent || (grandparent !== null && grandparent > 1 && parentOf(parent) !== grandparent);
    // Until server/main.ts listens for SIGTERM (it is still starting), the signal would kill this
    // process without stopping its redis-server: wait for the handler.
    if (!orphaned || process.listenerCount('SIGTERM') === 0) return;
    clearInterval(timer);
    console.error('ClusterPlay: the process that started it is gone; shutting down');
    process.kill(process.pid, 'SIGTERM');
  }, PARENT_CHECK_MS);
  timer.unref();
}

stopWithParent();
// Without a Redis of its own to use, the server starts a private redis-server: install it when missing
// (when it still is, server/main.ts prints how to get one).
if (!process.env.REDIS_URL && !process.env.REDIS_CLUSTER_NODES && !process.env.REDIS_SERVER_BIN) {
  ensureCommands([{ command: 'redis-server', package: 'redis-server' }]);
}
buildClientIfStale();
await buildServerIfStale();
process.env.NODE_ENV ??= 'production';
await import('../dist/server/main.js');
