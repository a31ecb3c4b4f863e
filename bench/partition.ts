/**
 * Partitioning by classroom (issue 14): BENCH_CLASSROOMS running bots-only classrooms (time scale
 * 1, a bot move per simulated second) on one production server process, then on two sharing one
 * Redis. Once every classroom is owned the instructors disconnect (no socket is left: what remains
 * is each classroom's control work), it waits BENCH_SETTLE_S seconds for the classrooms' start to
 * settle, and over BENCH_WINDOW_S seconds it reads per process: classrooms owned (/metrics), CPU
 * share and RSS against the same process before any classroom existed, then the live V8 heap (a
 * heap snapshot collects the garbage first); and Redis commands per running classroom per simulated
 * second. A third run puts half the classrooms on one process alone: what each of two processes
 * costs is set against it. A fourth runs two processes again, each with its half on a Redis of its
 * own: nothing is shared, so it costs what two processes side by side cost on this machine (they,
 * their Redis servers and the bench share its cores), and what the second run adds to it is the cost
 * of sharing a Redis and its classrooms' partition.
 * On a shared 2-core machine one run's figures move by a third from run to run: BENCH_REPEAT=<n> plays
 * the runs n times, in turn (1 2 3 4 1 2 3 4 …, so a slow spell of the machine falls on every run
 * alike), and the summary gives each figure's median; BENCH_RUNS=1,2 plays only those runs.
 *   npm run bench -- partition      (BENCH_CLASSROOMS=100 BENCH_SETTLE_S=40 BENCH_WINDOW_S=30)
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { connectRedis } from '../server/redis/connect';
import { freePort, startEmbeddedRedis } from '../server/redis/embedded-redis';
import { waitFor } from '../server/testing/wait';
import { classroomWith, connectCluster, type ClusterClient } from '../server/cluster/testing/cluster-client';
import { commandsProcessed, gauge, liveHeap, pss, startProductionServer, usage } from './_harness';
import { commandMix, formatMix } from './_command-mix';

const CLASSROOMS = Number(process.env.BENCH_CLASSROOMS ?? 100);
/**
 * BENCH_TIME_SCALE=<x>: the classrooms' clocks run x times real time, so a classroom does x times
 * the control work a second (issue 14's own runs used 10); 1 by default.
 */
const TIME_SCALE = Number(process.env.BENCH_TIME_SCALE ?? 1);
const WINDOW_S = Number(process.env.BENCH_WINDOW_S ?? 30);
/**
 * After the last classroom is owned its bots still bring its nodes and pods up: measured every 5 s,
 * Redis commands per classroom ran at 3–4 times the steady rate for about 20 s. A window opened
 * inside that transient measured the start of the last classrooms, not running ones, and varied
 * from run to run (19–32 commands per classroom per second on one process).
 */
const SETTLE_S = Number(process.env.BENCH_SETTLE_S ?? 40);
/** BENCH_MONITOR_S=<s>: after the window, prints Redis' command mix over that many seconds of MONITOR (the first Redis's, with a Redis each). */
const MONITOR_S = Number(process.env.BENCH_MONITOR_S ?? 0);
const REPEAT = Math.max(1, Number(process.env.BENCH_REPEAT ?? 1));
/** Which of the four runs to play (1-based), e.g. `1,2`. */
const RUNS = (process.env.BENCH_RUNS ?? '1,2,3,4').split(',').map((n) => Number(n.trim()));
/** The window in which each process's CPU share is read before any classroom exists. */
const IDLE_WINDOW_S = 10;
/** Classrooms set up at once. */
const BATCH = 10;
const MB = 1048576;

interface ProcessFigures {
  owned: number;
  cpuPercent: number;
  rssMB: number;
  rssIdleMB: number;
  /** Proportional set size after the window: the RSS with the pages the processes share (the node binary) split among them. */
  pssMB: number;
  /**
   * Live V8 heap after the window (a snapshot's full collection first). Not read before any
   * classroom: a snapshot's own memory would stay in the RSS read after the window.
   */
  heapMB: number;
  /** CPU share of the same process with no classroom: what it costs to be up at all. */
  cpuIdlePercent: number;
}

async function startClassroom(url: string): Promise<ClusterClient> {
  const created = await classroomWith(url, []);
  const instructor = await connectCluster(url, created.instructorToken);
  for (const action of [{ kind: 'setTimeScale', timeScale: TIME_SCALE }, { kind: 'setBotPace', secondsPerAction: 1 }, { kind: 'start' }] as const) {
    const reply = await instructor.instructor(action);
    if (!reply.ok) throw new Error(`${action.kind} refused: ${reply.message ?? ''}`);
  }
  return instructor;
}

async function run(
  processes: number,
  classrooms: number,
  redisEach = false,
): Promise<{ perProcess: ProcessFigures[]; commandsPerClassroomSimSecond: number; mix: string }> {
  // redisEach: a Redis per process, so nothing is shared (the fourth run).
  const redisServers = await Promise.all(Array.from({ length: redisEach ? processes : 1 }, () => startEmbeddedRedis({ dataDir: null })));
  const redisServer = redisServers[0] as (typeof redisServers)[number];
  const servers: { child: ChildProcess; port: number }[] = [];
  const snapshots = mkdtempSync(path.join(tmpdir(), 'bench-partition-'));
  // One server at a time: they write their snapshots into the same folder.
  const live = async () => {
    const heaps: number[] = [];
    for (const s of servers) heaps.push(await liveHeap(s.child, s.port, snapshots));
    return heaps;
  };
  try {
    const prefix = `bench-partition-${processes}`;
    for (let i = 0; i < processes; i++) {
      const port = await freePort();
      const redis = redisServers[i % redisServers.length] as (typeof redisServers)[number];
      servers.push({ child: await startProductionServer(redis.url, port, prefix, { heapSnapshotsIn: snapshots }), port });
    }
    await new Promise((resolve) => setTimeout(resolve, 5000));
    const idleFrom = { usage: servers.map((s) => usage(s.child.pid ?? 0)), at: performance.now() };
    await new Promise((resolve) => setTimeout(resolve, IDLE_WINDOW_S * 1000));
    const idleSeconds = (performance.now() - idleFrom.at) / 1000;
    const idle = servers.map((s, i) => {
      const now = usage(s.child.pid ?? 0);
      return { rss: now.rss, cpuPercent: ((now.cpu - (idleFrom.usage[i]?.cpu ?? 0)) / idleSeconds) * 100 };
    });
    const instructors: ClusterClient[] = [];
    for (let i = 0; i < classrooms; i += BATCH) {
      const batch = Array.from({ length: Math.min(BATCH, classrooms - i) }, (_, j) => servers[(i + j) % servers.length]?.port ?? 0);
      instructors.push(...(await Promise.all(batch.map((port) => startClassroom(`http://127.0.0.1:${port}`)))));
    }
    await waitFor(async () => (await Promise.all(servers.map((s) => gauge(s.port, 'clusterplay_classrooms_owned')))).reduce((a, b) => a + b, 0) === classrooms, {
      what: 'every classroom owned',
      timeoutMs: 120_000,
      intervalMs: 1000,
    });
    for (const c of instructors) c.close();
    // Settle: the instructors' feeds close and the last classrooms' clusters come up.
    await new Promise((resolve) => setTimeout(resolve, SETTLE_S * 1000));
    const counters = await Promise.all(redisServers.map((r) => connectRedis(r.url)));
    const commands = async () => (await Promise.all(counters.map(commandsProcessed))).reduce((a, b) => a + b, 0);
    const before = { usage: servers.map((s) => usage(s.child.pid ?? 0)), commands: await commands(), at: performance.now() };
    await new Promise((resolve) => setTimeout(resolve, WINDOW_S * 1000));
    const after = { usage: servers.map((s) => usage(s.child.pid ?? 0)), commands: await commands(), at: performance.now() };
    const afterPss = servers.map((s) => pss(s.child.pid ?? 0));
    // Read before the heap snapshots: a snapshot stops its process for seconds, long enough on a
    // loaded machine for its leases to lapse and the other process to take its classrooms over,
    // which the ownership and the command mix would then show instead of the window's.
    const owned = await Promise.all(servers.map((s) => gauge(s.port, 'clusterplay_classrooms_owned')));
    const mix = MONITOR_S > 0 ? formatMix(await commandMix(redisServer.url, MONITOR_S), MONITOR_S, classrooms / redisServers.length) : '';
    const heaps = await live();
    await Promise.all(counters.map((c) => c.close()));
    const seconds = (after.at - before.at) / 1000;
    const perProcess = await Promise.all(
      servers.map(async (s, i) => ({
        owned: owned[i] ?? 0,
        cpuPercent: (((after.usage[i]?.cpu ?? 0) - (before.usage[i]?.cpu ?? 0)) / seconds) * 100,
        rssMB: (after.usage[i]?.rss ?? 0) / MB,
        rssIdleMB: (idle[i]?.rss ?? 0) / MB,
        pssMB: (afterPss[i] ?? 0) / MB,
        heapMB: (heaps[i] ?? 0) / MB,
        cpuIdlePercent: idle[i]?.cpuPercent ?? 0,
      })),
    );
    return { perProcess, commandsPerClassroomSimSecond: (after.commands - before.commands) / seconds / TIME_SCALE / classrooms, mix };
  } finally {
    for (const s of servers) s.child.kill('SIGTERM');
    await Promise.all(redisServers.map((r) => r.stop()));
    rmSync(snapshots, { recursive: true, force: true });
  }
}

console.log(`${CLASSROOMS} running bots-only classrooms (time scale ${TIME_SCALE}, a bot move per simulated second), no sockets; ${WINDOW_S} s window after ${SETTLE_S} s to settle`);
// The third run, one process with half the classrooms, tells what two processes lose by dividing
// (each runs what one process alone runs with its half) from what a process gains with density.
const runs = [
  { processes: 1, classrooms: CLASSROOMS, redisEach: false },
  { processes: 2, classrooms: CLASSROOMS, redisEach: false },
  { processes: 1, classrooms: Math.round(CLASSROOMS / 2), redisEach: false },
  { processes: 2, classrooms: CLASSROOMS, redisEach: true },
];
// results[run][repeat]: each process's figures in that repeat of that run.
const results: ProcessFigures[][][] = runs.map(() => []);
for (let repeat = 1; repeat <= REPEAT; repeat++) {
  for (const [at, { processes, classrooms, redisEach }] of runs.entries()) {
    if (!RUNS.includes(at + 1)) continue;
    const { perProcess, commandsPerClassroomSimSecond, mix } = await run(processes, classrooms, redisEach);
    const on = redisEach ? 'each on a Redis of its own' : 'on one Redis';
    const which = REPEAT > 1 ? ` (run ${at + 1}, repeat ${repeat} of ${REPEAT}, load average ${loadavg()[0]?.toFixed(1)})` : '';
    console.log(`${classrooms} classrooms on ${processes} process${processes > 1 ? 'es' : ''} ${on}${which}: ${commandsPerClassroomSimSecond.toFixed(1)} Redis commands per classroom per simulated second`);
    for (const [i, p] of perProcess.entries()) {
      console.log(
        `  process ${i + 1}: owns ${p.owned} classrooms, ${p.cpuPercent.toFixed(1)} % of a core (${p.cpuIdlePercent.toFixed(1)} % before any classroom), RSS ${p.rssMB.toFixed(0)} MB (${p.rssIdleMB.toFixed(0)} MB before any classroom), PSS ${p.pssMB.toFixed(0)} MB, ` +
          `live heap ${p.heapMB.toFixed(1)} MB`,
      );
    }
    if (mix) console.log(`  Redis commands per classroom per simulated second, by command and key (${MONITOR_S} s of MONITOR):\n${mix}`);
    results[at]?.push(perProcess);
  }
}
// Summary. RSS "before any classroom" still holds the start-up garbage V8 has not given back, so
// what a classroom costs is the difference between the runs with all and half.
const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? NaN) : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
};
/** A figure of process `i` of a run, the median over its repeats (NaN when the run was not played). */
const figure = (run: number, i: number, pick: (p: ProcessFigures) => number): number =>
  median((results[run] ?? []).flatMap((processes) => (processes[i] ? [pick(processes[i])] : [])));
const HALF = Math.round(CLASSROOMS / 2);
const line = (what: string, pick: (p: ProcessFigures) => number, digits: number) => {
  const whole = figure(0, 0, pick);
  const show = (value: number) => (Number.isNaN(value) ? 'not run' : value.toFixed(digits));
  const share = (value: number) => (Number.isNaN(value) || Number.isNaN(whole) ? '' : ` (${((value / whole) * 100).toFixed(0)} %)`);
  const each = [0, 1].map((i) => `${show(figure(1, i, pick))}${share(figure(1, i, pick))}`).join(' + ');
  const eachApart = [0, 1].map((i) => show(figure(3, i, pick))).join(' + ');
  return (
    `  ${what}: one process with ${CLASSROOMS} ${show(whole)}; two processes ${each}; one process alone with ${HALF} ${show(figure(2, 0, pick))}; ` +
    `two processes with a Redis each ${eachApart}`
  );
};
console.log(REPEAT > 1 ? `Per process (median of ${REPEAT} repeats):` : 'Per process:');
console.log(line('CPU, % of a core', (p) => p.cpuPercent, 1));
console.log(line('RSS, MB', (p) => p.rssMB, 0));
console.log(line('PSS, MB', (p) => p.pssMB, 0));
console.log(line('live heap, MB', (p) => p.heapMB, 1));
// What the classrooms add to each process: the same process's figure before any classroom taken away.
console.log(line('CPU above the process before any classroom, % of a core', (p) => p.cpuPercent - p.cpuIdlePercent, 1));
console.log(line('RSS above the process before any classroom, MB', (p) => p.rssMB - p.rssIdleMB, 0));
const perClassroom = (pick: (p: ProcessFigures) => number) => (figure(0, 0, pick) - figure(2, 0, pick)) / (CLASSROOMS - HALF);
console.log(
  `A classroom (one process with ${CLASSROOMS} against one with ${HALF}): ${perClassroom((p) => p.cpuPercent).toFixed(3)} % of a core, ` +
    `${(perClassroom((p) => p.rssMB) * 1024).toFixed(0)} KiB RSS, ${(perClassroom((p) => p.heapMB) * 1024).toFixed(0)} KiB heap`,
);
