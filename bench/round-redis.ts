/**
 * What a round costs Redis: a bots-only round of scenario 1 ("first-deployment", seed 7, time at
 * 10x) played on the production server in its own process, every command it sends counted with
 * MONITOR from the round's start to its end. Prints commands per accepted API request, all of them
 * and those of the round itself (its record, tallies and change channel), and the round updates
 * the instructor's socket received. Starts a private redis-server unless REDIS_URL is set.
 *   npm run bench -- round-redis
 */
import type { ChildProcess } from 'node:child_process';
import { createClient } from 'redis';
import { startEmbeddedRedis, freePort, type EmbeddedRedis } from '../server/redis/embedded-redis';
import { botClassroom, roundIs } from '../server/rounds/testing';
import { startProductionServer } from './_harness';

const SCENARIO = process.env.BENCH_SCENARIO ?? 'first-deployment';

let redis: EmbeddedRedis | null = null;
let server: ChildProcess | null = null;
try {
  let redisUrl = process.env.REDIS_URL;
  if (!redisUrl) {
    redis = await startEmbeddedRedis({ dataDir: null });
    redisUrl = redis.url;
  }
  const port = await freePort();
  const prefix = `benchround${Date.now()}`;
  server = await startProductionServer(redisUrl, port, prefix);
  const url = `http://127.0.0.1:${port}`;
  const { instructor } = await botClassroom(url);
  for (const action of [{ kind: 'setTimeScale', timeScale: 10 }, { kind: 'setBotPace', secondsPerAction: 2 }, { kind: 'runScenario', scenario: SCENARIO, seed: 7 }] as const) {
    const reply = await instructor.instructor(action);
    if (!reply.ok) throw new Error(`${action.kind} refused: ${reply.message}`);
  }
  await roundIs(instructor, ['briefing'], 'the briefing');

  const counts = { all: 0, round: 0 };
  const byCommand = new Map<string, number>();
  const everything = new Map<string, number>();
  const connected = createClient({ url: redisUrl });
  await connected.connect();
  await connected.monitor((line: string) => {
    // `<time> [<db> <addr>] "CMD" "arg"…`: the round's own keys are `…:round`, `…:round-tally`, `…:round-changes`.
    const command = /\] "([^"]+)"/.exec(line)?.[1]?.toUpperCase() ?? '?';
    counts.all++;
    const key = /\] "[^"]+" "([^"]*)"/.exec(line)?.[1]?.replace(/^[^:]*:\{[^}]*\}:?/, '').replace(/[0-9a-f-]{8,}/g, '*') ?? '';
    const what = `${command} ${key}`;
    everything.set(what, (everything.get(what) ?? 0) + 1);
    if (/:round(-tally|-changes)?"/.test(line)) {
      counts.round++;
      byCommand.set(command, (byCommand.get(command) ?? 0) + 1);
    }
  });
  const requestsBefore = instructor.requests.length;
  const roundsBefore = instructor.rounds.length;
  const started = performance.now();
  const reply = await instructor.instructor({ kind: 'startRound' });
  if (!reply.ok) throw new Error(`startRound refused: ${reply.message}`);
  const end = await roundIs(instructor, ['won', 'lost'], 'the end of the round', 120_000);
  const seconds = (performance.now() - started) / 1000;
  await connected.disconnect().catch(() => undefined);
  const decided = instructor.requests.slice(requestsBefore);
  const accepted = decided.filter((e) => e.outcome === 'accepted').length;
  const updates = instructor.rounds.length - roundsBefore;
  const per = (n: number) => (accepted ? n / accepted : NaN).toFixed(2);
  console.log(`${SCENARIO}: ${end.phase} in ${end.elapsedSeconds} simulated s (${seconds.toFixed(1)} wall s); ${decided.length} API requests decided, ${accepted} accepted`);
  console.log(`Redis commands during the round: ${counts.all} (${per(counts.all)} per accepted request)`);
  console.log(`  of which the round's own keys: ${counts.round} (${per(counts.round)} per accepted request): ${[...byCommand].sort((a, b) => b[1] - a[1]).map(([c, n]) => `${c} ${n}`).join(', ')}`);
  if (process.env.BENCH_VERBOSE) console.log([...everything].sort((a, b) => b[1] - a[1]).slice(0, 40).map(([c, n]) => `${String(n).padStart(6)} ${c}`).join('\n'));
  console.log(`round updates sent to the instructor's socket: ${updates} (${(updates / seconds).toFixed(1)} per wall s, ${per(updates)} per accepted request)`);
  instructor.close();
} finally {
  server?.kill('SIGTERM');
  await redis?.stop();
}
