/**
 * Redis outages with classrooms running (issue 10): Redis is killed for 10 s while five
 * classrooms play their round with bots at time scale 5. Meanwhile every request is answered
 * within 2 s (ServiceUnavailable), /healthz answers, /readyz says 503 and the memory stays put;
 * once Redis is back, every client sees live updates again within 5 s and the bots finish the
 * round, with nothing lost. Once with a Redis the app was given (brought back by hand), once with
 * the app's own redis-server (which the app brings back itself).
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, test } from 'vitest';
import { isPodReady } from '@shared/model';
import type { ClusterAction } from '@shared/protocol';
import { listObjects } from '@shared/protocol/watch-reducer';
import { assignRoles, classroomWith, clientObjects, connectCluster, type ClusterClient } from '../cluster/testing/cluster-client';
import { roundDone } from '../cluster/testing/players';
import { timersKey } from '../jobs/timer-index';
import { isProcessAlive, waitFor } from '../testing/wait';
import { connectRedis } from './connect';
import { startEmbeddedRedis, type EmbeddedRedis } from './embedded-redis';

const CLASSROOMS = 5;
const OUTAGE_MS = 10_000;
/** How much of the classrooms' last writes a Redis restarted from an older file lost. */
const LOST_WRITES_MS = 1500;
const ANSWER_WITHIN_MS = 2000;
const RECOVER_WITHIN_MS = 5000;
const RSS_GROWTH_LIMIT = 50 * 1024 * 1024;

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'cp-outage-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

interface LogLine {
  level: number;
  msg: string;
  classroom?: string;
}

/**
 * The server as a user runs it (server/main.ts), in a process of its own: its memory is its own,
 * and a server that stops answering cannot stop the test from noticing.
 */
interface ServerProcess {
  url: string;
  pid: number;
  lines: LogLine[];
  rss(): number;
}

async function start(env: Record<string, string>): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    cwd: path.resolve(import.meta.dirname, '../..'),
    env: {
      ...process.env,
      NODE_ENV: 'test',
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      REDIS_KEY_PREFIX: 'cp',
      CLIENT_DIR: 'dist/client',
      JOIN_RATE_LIMIT: '100000',
      SOCKET_RATE_PER_SECOND: '1000',
      SOCKET_RATE_BURST: '1000',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(killer);
  });
  const lines: LogLine[] = [];
  let url = '';
  createInterface({ input: child.stdout }).on('line', (line) => {
    try {
      const parsed = JSON.parse(line) as { level: number; msg?: string; url?: string; classroom?: string };
      lines.push({ level: parsed.level, msg: parsed.msg ?? '', ...(parsed.classroom ? { classroom: parsed.classroom } : {}) });
      if (parsed.url && parsed.msg?.startsWith('ClusterPlay is serving')) url = parsed.url.replace('localhost', '127.0.0.1');
    } catch {
      lines.push({ level: 30, msg: line });
    }
  });
  await waitFor(() => url !== '' || child.exitCode !== null, { what: 'the server to listen', timeoutMs: 30_000 });
  if (!url) throw new Error(`the server exited with ${child.exitCode}: ${lines.map((l) => l.msg).join('\n')}`);
  const pid = child.pid ?? 0;
  const rss = (): number => {
    const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return Number(kb ?? 0) * 1024;
  };
  return { url, pid, lines, rss };
}

interface Probe {
  what: string;
  startedAt: number;
  ms: number;
  answer: string;
}

/** One request of each kind, timed: a student's action, an instructor's write, REST calls, the probes. */
async function probeOnce(server: ServerProcess, student: ClusterClient, instructor: ClusterClient, code: string): Promise<Probe[]> {
  const timed = async (what: string, run: () => Promise<string>): Promise<Probe> => {
    const startedAt = Date.now();
    const answer = await run().catch((error: unknown) => `no answer: ${String(error)}`);
    return { what, startedAt, ms: Date.now() - startedAt, answer };
  };
  const http = (method: string, route: string, body?: unknown) => async () => {
    const res = await fetch(`${server.url}${route}`, {
      method,
      signal: AbortSignal.timeout(10_000),
      ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return `${res.status} ${text.slice(0, 200)}`;
  };
  const bind: ClusterAction = { kind: 'bind', pod: 'no-such-pod', node: 'node-1', resourceVersion: '1' } as ClusterAction;
  return Promise.all([
    timed('action', async () => JSON.stringify(await student.socket.timeout(10_000).emitWithAck('action', bind))),
    timed('instructor', async () => JSON.stringify(await instructor.socket.timeout(10_000).emitWithAck('instructor', { kind: 'setBotPace', secondsPerAction: 1 }))),
    timed('POST /api/classrooms', http('POST', '/api/classrooms', {})),
    timed('POST /api/classrooms/join', http('POST', '/api/classrooms/join', { code, name: `late-${Date.now()}` })),
    timed('GET /healthz', http('GET', '/healthz')),
    timed('GET /readyz', http('GET', '/readyz')),
  ]);
}

function countLines(lines: readonly string[]): string[] {
  const counts = new Map<string, number>();
  for (const line of lines) counts.set(line, (counts.get(line) ?? 0) + 1);
  return [...counts].map(([line, n]) => `${n}× ${line}`);
}

interface Drill {
  server: ServerProcess;
  /** Kills Redis; resolves once it is back (by hand or by the app), with the time it was back. */
  outage(): Promise<number>;
  /** The classrooms' pending timers, to say where a round that did not finish stands. */
  inspectTimers?: (classroomIds: string[]) => Promise<string>;
  /** How soon every client must see live updates again once Redis is back (RECOVER_WITHIN_MS unless said). */
  recoverWithinMs?: number;
  /** Redis comes back without changes every screen was sent: each must be sent a fresh snapshot. */
  losesWrites?: boolean;
  /** Runs mid-round, before the outage and its probes. */
  beforeOutage?: () => Promise<void>;
}

async function runDrill({ server, outage, inspectTimers, recoverWithinMs = RECOVER_WITHIN_MS, losesWrites = false, beforeOutage }: Drill): Promise<void> {
  const { lines } = server;
  // Five classrooms played by bots, plus one where a student plays the scheduler (the action probe).
  const instructors: ClusterClient[] = [];
  const tokens: string[] = [];
  const ids: string[] = [];
  for (let i = 0; i < CLASSROOMS; i++) {
    const classroom = await classroomWith(server.url, []);
    tokens.push(classroom.instructorToken);
    ids.push(classroom.id);
    const instructor = await connectCluster(server.url, classroom.instructorToken, { reconnection: true });
    cleanups.push(() => instructor.close());
    for (const action of [{ kind: 'setTimeScale', timeScale: 5 }, { kind: 'setBotPace', secondsPerAction: 1 }, { kind: 'start' }] as const) {
      expect(await instructor.instructor(action)).toMatchObject({ ok: true });
    }
    instructors.push(instructor);
  }
  const probed = await classroomWith(server.url, ['sam']);
  const probeInstructor = await connectCluster(server.url, probed.instructorToken, { reconnection: true });
  cleanups.push(() => probeInstructor.close());
  await assignRoles(probeInstructor, probed, { sam: 'scheduler' });
  const student = await connectCluster(server.url, probed.students.get('sam')?.token ?? '', { reconnection: true });
  cleanups.push(() => student.close());

  // Mid-round: every classroom has made some progress, none is done.
  await waitFor(() => instructors.every((c) => BigInt(c.state.resourceVersion) > 20n), { what: 'every classroom under way', timeoutMs: 30_000 });
  expect(instructors.some((c) => roundDone(c.state))).toBe(false);

  await beforeOutage?.();
  const rssBefore = server.rss();
  // What every client was told before the kill: all of it must still be there afterwards.
  const toldBefore = instructors.map((c) => BigInt(c.state.resourceVersion));
  const disconnects = instructors.map(() => 0);
  instructors.forEach((c, i) => c.socket.on('disconnect', () => (disconnects[i] = (disconnects[i] ?? 0) + 1)));
  let rssMax = rssBefore;
  const probes: Probe[] = [];
  const linesBefore = lines.length;
  const killedAt = Date.now();
  const back = outage();
  let backAt: number | null = null;
  // Ends the probing either way; `await back` below then reports why Redis did not come back.
  void back.then(
    (t) => (backAt = t),
    () => (backAt = -1),
  );
  // Probe all along the outage; each round of probes is bounded by its own timeouts.
  while (backAt === null) {
    const round = await probeOnce(server, student, probeInstructor, probed.code);
    probes.push(...round.map((p) => ({ ...p, what: `${p.what} @${p.startedAt - killedAt} ms` })));
    rssMax = Math.max(rssMax, server.rss());
    if (rssMax - rssBefore > 4 * RSS_GROWTH_LIMIT) break; // no point waiting for the out-of-memory
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const redisBackAt = await back;
  const outageLines = lines.slice(linesBefore).filter((l) => l.level >= 40).map((l) => l.msg);

  // What the outage looked like from outside.
  const slow = probes.filter((p) => p.ms > ANSWER_WITHIN_MS || p.answer.startsWith('no answer'));
  // Surely down: from half a second after the kill to a second before Redis was back.
  const during = probes.filter((p) => p.startedAt > killedAt + 500 && p.startedAt + p.ms < redisBackAt - 1000);
  console.info(
    `outage drill: ${probes.length} probes, slowest ${Math.max(...probes.map((p) => p.ms))} ms; RSS +${((rssMax - rssBefore) / 1048576).toFixed(1)} MB; ` +
      `${outageLines.length} warning lines: ${JSON.stringify(countLines(outageLines))}`,
  );
  expect(slow.map((p) => `${p.what}: ${p.ms} ms ${p.answer}`)).toEqual([]);
  expect(rssMax - rssBefore).toBeLessThan(RSS_GROWTH_LIMIT);
  expect(probes.filter((p) => /InternalError|^500 /.test(p.answer)).map((p) => `${p.what}: ${p.answer}`)).toEqual([]);
  for (const p of during) {
    if (p.what.startsWith('GET /healthz')) expect(p.answer, p.what).toMatch(/^200 /);
    else if (p.what.startsWith('GET /readyz')) expect(p.answer, p.what).toMatch(/^503 /);
    else if (p.what.startsWith('POST')) expect(p.answer, p.what).toMatch(/^503 .*ServiceUnavailable.*Redis/i);
    else expect(p.answer, p.what).toMatch(/"code":"ServiceUnavailable".*Redis/i);
  }
  // One line per state change, not one per retry.
  expect(outageLines.length).toBeLessThan(20);

  // Back: every client sees live updates again within 5 s.
  const batchesAtBack = instructors.map((c) => c.batches.length);
  const recovered = await waitFor(
    () => instructors.every((c, i) => c.batches.length > (batchesAtBack[i] ?? 0)) && Date.now(),
    { what: 'live watch updates on every client', timeoutMs: recoverWithinMs + 1000, intervalMs: 20 },
  );
  console.info(`outage drill: live updates ${recovered - redisBackAt} ms after Redis was back`);
  expect(recovered - redisBackAt).toBeLessThan(recoverWithinMs);

  await waitFor(async () => (await fetch(`${server.url}/readyz`)).status === 200, { what: '/readyz 200', timeoutMs: RECOVER_WITHIN_MS });
  const requestsBefore = probeInstructor.requests.length;
  const after = await probeOnce(server, student, probeInstructor, probed.code);
  // The classroom's request feed rides with the watch (and between processes through the Socket.IO adapter): it flows again.
  await waitFor(() => probeInstructor.requests.slice(requestsBefore).some((r) => r.verb === 'bind'), { what: 'the request feed', timeoutMs: 2000 });
  // Classroom changes go round every process over pub/sub: the view the instructor is sent follows.
  expect(await probeInstructor.instructor({ kind: 'setBotPace', secondsPerAction: 3 })).toMatchObject({ ok: true });
  await waitFor(() => probeInstructor.view?.botPace.secondsPerAction === 3, { what: 'the classroom view after a change (pub/sub)', timeoutMs: 2000 });
  expect(after.find((p) => p.what === 'action')?.answer).not.toMatch(/ServiceUnavailable/);
  expect(after.find((p) => p.what === 'POST /api/classrooms')?.answer).toMatch(/^201 /);

  // The bots finish every round, and every client holds exactly what the store holds: a client
  // connecting now gets the store's snapshot. Nothing told to a client before the kill was lost,
  // and a client that stayed connected got every version once, in order, with no gap.
  const progress = () =>
    instructors.map((c, i) => {
      const pods = listObjects(c.state, 'Pod');
      return `#${i} rv ${c.state.resourceVersion}, ${pods.filter(isPodReady).length}/${pods.length} pods ready${roundDone(c.state) ? ', done' : ''}`;
    });
  try {
    await waitFor(() => instructors.every((c) => roundDone(c.state)), { what: 'the bots to finish every round', timeoutMs: 90_000, intervalMs: 100 });
  } catch (error) {
    const timers = await inspectTimers?.(ids);
    throw new Error(`${String(error)}\n${progress().join('\n')}\n${timers ?? ''}`, { cause: error });
  }
  console.info(`outage drill: every round done ${Date.now() - redisBackAt} ms after Redis was back`);
  for (const [i, instructor] of instructors.entries()) {
    const fresh = await connectCluster(server.url, tokens[i] ?? '');
    cleanups.push(() => fresh.close());
    await waitFor(() => instructor.state.resourceVersion === fresh.state.resourceVersion || undefined, {
      what: `classroom ${i}: the client to reach the store's version`,
    }).catch(() => undefined);
    if (!losesWrites) expect(BigInt(fresh.state.resourceVersion)).toBeGreaterThanOrEqual(toldBefore[i] ?? 0n);
    if (BigInt(instructor.state.resourceVersion) === BigInt(fresh.state.resourceVersion)) {
      expect(JSON.stringify(clientObjects(instructor.state))).toBe(JSON.stringify(clientObjects(fresh.state)));
    }
    if (disconnects[i] === 0) {
      expect(versionGaps(instructor), `classroom ${i}: versions delivered once, in order, with no gap`).toEqual([]);
      // A fresh snapshot on a connection that stayed up is sent only when the store went back: the
      // killed redis-server had answered writes its file did not hold yet (appendfsync everysec
      // postpones the write while the last fsync is under way), and the screens showed them.
      const fresh = instructor.snapshots.slice(1);
      if (losesWrites) expect(fresh.length, `classroom ${i}: a fresh snapshot once the store went back`).toBeGreaterThan(0);
      if (fresh.length > 0) {
        const wentBack = lines.filter((l) => l.classroom === ids[i] && l.msg.startsWith("the classroom's log went back"));
        console.info(`outage drill: classroom ${i}'s store went back; fresh snapshots at ${fresh.map((s) => s.resourceVersion).join(', ')}`);
        expect(wentBack.length, `classroom ${i}: a fresh snapshot only when the store went back`).toBeGreaterThan(0);
      }
    }
  }
  console.info(`outage drill: sockets that stayed connected: ${disconnects.filter((d) => d === 0).length}/${disconnects.length}`);
}

/**
 * Where a client's versions do not follow on (as "before → after"): every change after its
 * snapshot's version once, in order; a fresh snapshot starts again from its own version.
 */
function versionGaps(client: ClusterClient): string[] {
  const gaps: string[] = [];
  const snapshots = client.snapshots;
  let next = 0;
  let last = 0n;
  let lastWhat = '';
  // Right after a snapshot, changes it already holds may come (the feed's batch under way when it
  // was read): the reducer passes over them, as the browser's does.
  let held = -1n;
  client.batches.forEach((batch, b) => {
    while (next < snapshots.length && (snapshots[next]?.afterBatches ?? 0) <= b) {
      last = held = BigInt(snapshots[next++]?.resourceVersion ?? '0');
      lastWhat = 'snapshot';
    }
    for (const event of batch) {
      const rv = BigInt(event.resourceVersion);
      if (rv <= held) continue;
      held = -1n;
      const what = `${event.type} ${event.object.kind} ${event.object.metadata.name}`;
      if (rv !== last + 1n) gaps.push(`${last} (${lastWhat}) → ${rv} (${what}) at batch ${b}`);
      last = rv;
      lastWhat = what;
    }
  });
  return gaps;
}

/** Each classroom's store version and pending timers (job id | timer), read from Redis. */
async function pendingTimers(url: string, ids: string[]): Promise<string> {
  const client = await connectRedis(url);
  try {
    const entries = await Promise.all(
      ids.map(async (id) => `#${id} store rv ${await client.get(`cp:{${id}}:rv`)}: ${(await client.hVals(timersKey('cp', id))).map((v) => v.slice(0, 120)).join(' | ')}`),
    );
    return entries.join('\n');
  } finally {
    client.destroy();
  }
}

describe('Redis outages with classrooms running', () => {
  test('a Redis killed for 10 s and brought back by hand: prompt ServiceUnavailable, bounded memory, everything resumes', { timeout: 180_000 }, async () => {
    const dir = tempDir();
    let redis: EmbeddedRedis = await startEmbeddedRedis({ dataDir: dir });
    cleanups.push(() => redis.stop());
    const server = await start({ REDIS_URL: redis.url });
    await runDrill({
      server,
      inspectTimers: (ids) => pendingTimers(redis.url, ids),
      outage: async () => {
        process.kill(redis.pid, 'SIGKILL');
        await waitFor(() => !isProcessAlive(redis.pid), { what: 'redis-server gone' });
        await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
        redis = await startEmbeddedRedis({ dataDir: dir, port: redis.port });
        return Date.now();
      },
    });
  });

  test('a Redis restarted from a file without its last second of writes: every screen is sent a fresh snapshot and holds what the store holds', { timeout: 180_000 }, async () => {
    const dir = tempDir();
    let redis: EmbeddedRedis = await startEmbeddedRedis({ dataDir: dir });
    cleanups.push(() => redis.stop());
    const server = await start({ REDIS_URL: redis.url });
    const aof = path.join(dir, 'appendonlydir');
    const older = tempDir();
    await runDrill({
      server,
      inspectTimers: (ids) => pendingTimers(redis.url, ids),
      // Bot ticks booked after the copy are lost too: the sweep books them again after its grace period (5 s).
      recoverWithinMs: RECOVER_WITHIN_MS + 5000,
      losesWrites: true,
      // What an fsync that lagged would have left on disk: the file as it was a moment before the
      // kill, while every classroom went on writing and its screens were sent the changes.
      beforeOutage: async () => {
        cpSync(aof, older, { recursive: true });
        await new Promise((resolve) => setTimeout(resolve, LOST_WRITES_MS));
      },
      outage: async () => {
        process.kill(redis.pid, 'SIGKILL');
        await waitFor(() => !isProcessAlive(redis.pid), { what: 'redis-server gone' });
        rmSync(aof, { recursive: true, force: true });
        cpSync(older, aof, { recursive: true });
        redis = await startEmbeddedRedis({ dataDir: dir, port: redis.port });
        return Date.now();
      },
    });
  });

  test("the app's own redis-server killed: the app restarts it on the same data directory and everything resumes", { timeout: 180_000 }, async () => {
    const dir = tempDir();
    const server = await start({ REDIS_DATA_DIR: dir });
    const lockPid = (): number | null => {
      try {
        return (JSON.parse(readFileSync(path.join(dir, 'embedded-redis.json'), 'utf8')) as { pid: number }).pid;
      } catch {
        return null;
      }
    };
    const firstPid = lockPid() ?? 0;
    expect(firstPid).toBeGreaterThan(0);
    const port = (JSON.parse(readFileSync(path.join(dir, 'embedded-redis.json'), 'utf8')) as { port: number }).port;
    await runDrill({
      server,
      inspectTimers: (ids) => pendingTimers(`redis://127.0.0.1:${port}`, ids),
      // A redis-server SIGKILLed with appendfsync everysec can lose its last writes, bot ticks booked
      // in its last instant among them: the sweep books them again once they are late by its grace
      // period (5 s). A clean-clone CI run saw the first live update 5.1 s after Redis was back.
      recoverWithinMs: RECOVER_WITHIN_MS + 5000,
      outage: async () => {
        process.kill(firstPid, 'SIGKILL');
        // Nobody restarts it by hand: the app does, on the same port and data directory.
        await waitFor(
          async () => {
            const pid = lockPid();
            if (!pid || pid === firstPid || !isProcessAlive(pid)) return false;
            return (await fetch(`${server.url}/readyz`)).status === 200;
          },
          { what: 'the app to restart its redis-server', timeoutMs: 30_000, intervalMs: 50 },
        );
        return Date.now();
      },
    });
  });
});
