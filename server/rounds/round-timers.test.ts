/**
 * The round's timers stand on the same net as every other loop (the timer sweep): a scenario step
 * whose BullMQ job was lost still runs (once), and a running round whose tick or traffic was lost
 * outright (job and index entry, as a Redis master's death loses a booking not yet replicated) gets
 * it booked again, so it goes on looking at its goals and its clock, and clients' requests go on.
 */
import { Queue } from 'bullmq';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import type { RunningServer } from '../app';
import { SIM_TIMERS_QUEUE } from '../jobs/sim-timer-service';
import { timersKey } from '../jobs/timer-index';
import { laneOfJob } from '../jobs/timer-lanes';
import { connectRedis, type RedisClient } from '../redis/connect';
import { startTestServer } from '../testing/test-server';
import { waitFor } from '../testing/wait';
import { ROUND_TICK, ROUND_TRAFFIC } from './round-service';
import { botClassroom, roundIs, type RoundClient } from './testing';

const prefix = `${inject('redisKeyPrefix')}-round-timers`;
let server: RunningServer;
let redis: RedisClient;
const clients: RoundClient[] = [];

beforeAll(async () => {
  server = await startTestServer({ REDIS_KEY_PREFIX: prefix, SOCKET_RATE_PER_SECOND: '1000', SOCKET_RATE_BURST: '1000' });
  redis = await connectRedis(inject('redisUrl'));
});

afterAll(async () => {
  for (const c of clients) c.close();
  await server?.close();
  await redis?.close();
});

/** Takes the classroom's timer `key`, job and index entry, again until it stays gone (a firing loop books its next first). */
async function loseTimer(classroomId: string, key: string): Promise<void> {
  const timers = server.cluster.runtime.timers;
  await waitFor(
    async () => {
      await timers.cancel(classroomId, key);
      return (await jobOf(classroomId, key)) === null;
    },
    { what: `${key} gone`, intervalMs: 20 },
  );
}

/** The BullMQ job id the classroom's timer index holds for `key` ('' while parked), or null without an entry. */
async function jobOf(classroomId: string, key: string): Promise<string | null> {
  const raw = await redis.hGet(timersKey(prefix, classroomId), key);
  return raw === null ? null : raw.slice(0, raw.indexOf('|')).replace(/\+firing$/, '');
}

test('a round whose step lost its job still runs the step once, and a round whose tick was lost gets it back and ends', { timeout: 120_000 }, async () => {
  const group = await botClassroom(server.url);
  clients.push(group.instructor);
  for (const action of [{ kind: 'setTimeScale', timeScale: 10 }, { kind: 'setBotPace', secondsPerAction: 2 }, { kind: 'runScenario', scenario: 'crashloop', seed: 7 }, { kind: 'startRound' }] as const) {
    expect(await group.instructor.instructor(action)).toMatchObject({ ok: true });
  }
  // Step 0 (shop:1.1 released, 45 s in: 4.5 s of wall time at 10x) loses its job before it is due.
  const job = (await jobOf(group.id, 'roundStep:0')) ?? '';
  expect(job).toMatch(/.+/);
  // On the owner's own timer lane (see timer-lanes.ts).
  const queue = new Queue(SIM_TIMERS_QUEUE, { connection: redis, prefix: laneOfJob(prefix, false, 1, group.id, job).prefix });
  try {
    expect(await queue.remove(job)).toBe(1);
    expect(await queue.getJobState(job)).toBe('unknown');
  } finally {
    await queue.close();
  }
  expect(group.instructor.round?.timeline.filter((m) => m.kind === 'step')).toEqual([]);
  // The tick goes too, job and index entry (a tick firing meanwhile books the next: take that too),
  // while the round still has its fix to wait for (once shop:1.1 is out it is soon won).
  await loseTimer(group.id, ROUND_TICK);
  // Two sweeps later the round has its tick again.
  await waitFor(async () => (await jobOf(group.id, ROUND_TICK)) !== null, { what: 'the sweep to book the tick again', timeoutMs: 30_000 });

  // The sweep finds it stranded and books it again: the step runs, once.
  await waitFor(() => group.instructor.round?.timeline.some((m) => m.kind === 'step'), { what: 'shop:1.1 to be released all the same', timeoutMs: 40_000 });
  const stopped = async () => (await server.cluster.store.readRequestLog(group.id, 2000)).filter((e) => e.actor === 'instructor' && e.message === 'deployment.apps/shop image updated');
  expect(await waitFor(async () => (await stopped()).length > 0 && stopped(), { what: 'the step in the request log' })).toHaveLength(1);

  // It plays to its end.
  expect((await roundIs(group.instructor, ['won', 'lost'], 'the round to end', 90_000)).phase).toBe('won');
  expect(await stopped()).toHaveLength(1);
});

test("a round whose clients' traffic lost its timer outright sends requests again, and its availability goal is met", { timeout: 120_000 }, async () => {
  const group = await botClassroom(server.url);
  clients.push(group.instructor);
  // First deployment: clients send requests to web from its first step; a goal is availability over 10 s.
  for (const action of [{ kind: 'setTimeScale', timeScale: 10 }, { kind: 'setBotPace', secondsPerAction: 2 }, { kind: 'runScenario', scenario: 'first-deployment', seed: 7 }, { kind: 'startRound' }] as const) {
    expect(await group.instructor.instructor(action)).toMatchObject({ ok: true });
  }
  const traffic = `${ROUND_TRAFFIC}:web`;
  await waitFor(async () => (await jobOf(group.id, traffic)) !== null, { what: 'the traffic flowing', timeoutMs: 30_000 });
  await loseTimer(group.id, traffic);
  const routed = async () => (await server.cluster.rounds.records.tallies(group.id)).routes;
  // The requests routed before the loss are counted (tallies are flushed every 200 ms).
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const before = await routed();

  // Two sweeps later the requests flow again: the availability goal is met on them and the round is won.
  expect((await roundIs(group.instructor, ['won', 'lost'], 'the round to end', 90_000)).phase).toBe('won');
  // The last requests' tallies are flushed up to 200 ms after them (later on a loaded machine): polled, not read once.
  await waitFor(async () => (await routed()) > before, { what: `requests routed after the loss (${before} before it)`, timeoutMs: 10_000 });
});
