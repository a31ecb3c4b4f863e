/**
 * Owner-local timers (issue 14: a second process divides the work): each process's workers take
 * only the jobs of the classrooms it owns, and a classroom taken over, from a live owner or from a
 * SIGKILLed one, has its timers moved by the new owner's repair, each fired once.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { simNow, type SimClock } from '@shared/protocol';
import { connectRedis, type RedisClient } from '../redis/connect';
import { waitFor } from '../testing/wait';
import { SIM_TIMERS_QUEUE, SimTimerService } from './sim-timer-service';
import { firings, recordFiring, redisOwners, RedisClocks, setAlive, setOwner } from './testing/timer-fixtures';

let redis: RedisClient;
let prefix: string;
let clocks: RedisClocks;
const services: SimTimerService[] = [];
const killAtEnd: (() => void)[] = [];

beforeEach(async () => {
  prefix = `${inject('redisKeyPrefix')}-owned-${randomBytes(3).toString('hex')}`;
  redis = await connectRedis(inject('redisUrl'));
  clocks = new RedisClocks(redis, prefix);
});

afterEach(async () => {
  for (const kill of killAtEnd.splice(0)) kill();
  await Promise.all(services.splice(0).map((service) => service.close()));
  await redis.close();
});

/** A process `serverId` with owner-local timers, recording its `tick` and `hang` firings under its id. */
async function timerProcess(serverId: string): Promise<SimTimerService> {
  const service = new SimTimerService({ redis, keyPrefix: prefix, clocks, owners: redisOwners(redis, prefix, serverId), lockDurationMs: 1000, stalledIntervalMs: 500 });
  services.push(service);
  service.onTimer('tick', recordFiring(redis, prefix, serverId));
  service.onTimer('hang', recordFiring(redis, prefix, serverId));
  await setAlive(redis, prefix, serverId, true);
  await service.start();
  return service;
}

const running = (timeScale: number): SimClock => ({ simAtWall: 1_000_000, wall: Date.now(), timeScale, paused: false });
const tick = (key: string, dueAt: number) => ({ kind: 'tick', key, dueAt, payload: null });
const fired = () => firings(redis, prefix);

/** Jobs not yet finished (or failed) in a lane: `{timers@<id>}` or the shared `{bull}`. */
async function jobsIn(hashTag: string): Promise<number> {
  const queue = new Queue(SIM_TIMERS_QUEUE, { connection: redis, prefix: `${prefix}:{${hashTag}}` });
  try {
    return Object.values(await queue.getJobCounts('active', 'wait', 'delayed', 'prioritized', 'failed')).reduce((a, b) => a + b, 0);
  } finally {
    await queue.close();
  }
}

describe('owner-local timers', () => {
  it("a process's workers never take a job of a classroom another live process owns, whichever process booked it", async () => {
    const a = await timerProcess('a');
    const b = await timerProcess('b');
    const owners = new Map([['c1', 'a'], ['c2', 'b'], ['c3', 'a'], ['c4', 'b']]);
    const sims = new Map<string, number>();
    for (const [id, owner] of owners) {
      await setOwner(redis, prefix, id, owner);
      sims.set(id, simNow(await clocks.set(id, running(10)), Date.now()));
    }
    const ids = [...owners.keys()];
    await Promise.all(
      Array.from({ length: 40 }, (_, i) => {
        const id = ids[i % 4] ?? 'c1';
        // Booked by either process: a student's request is served where their socket is.
        return (i % 3 ? a : b).schedule(id, tick(`t${i}`, (sims.get(id) ?? 0) + 500 + (i % 5) * 200));
      }),
    );
    await waitFor(async () => (await fired()).length >= 40, { what: '40 firings' });
    const all = await fired();
    expect(all).toHaveLength(40);
    expect(new Set(all.map((f) => `${f.classroomId}/${f.key}`)).size).toBe(40);
    const misplaced = all.filter((f) => f.by !== owners.get(f.classroomId));
    expect(misplaced.map((f) => `${f.classroomId}/${f.key} by ${f.by}`)).toEqual([]);
    await waitFor(async () => (await jobsIn('timers@a')) + (await jobsIn('timers@b')) + (await jobsIn('bull')) === 0, { what: 'every lane drained' });
  });

  it('a classroom taken over from a live owner: the new owner moves its pending timers to its own lanes, and each fires once, there', async () => {
    const a = await timerProcess('a');
    const b = await timerProcess('b');
    await setOwner(redis, prefix, 'c1', 'a');
    const clock = await clocks.set('c1', running(10));
    const sim = simNow(clock, Date.now());
    // Due in 3 to 6 s of wall time: none fires before the lease moves.
    for (let i = 0; i < 10; i++) await a.schedule('c1', tick(`t${i}`, sim + 30_000 + i * 3000));
    expect(await jobsIn('timers@a')).toBe(10);

    await setOwner(redis, prefix, 'c1', 'b');
    expect((await b.repair('c1', clock)).repaired).toBe(10);
    expect(await jobsIn('timers@a')).toBe(0);
    expect((await b.repair('c1', clock)).repaired).toBe(0);
    await waitFor(async () => (await fired()).length >= 10, { what: 'ten firings', timeoutMs: 20_000 });
    const all = await fired();
    expect(all.map((f) => f.key).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `t${i}`).sort());
    expect(all.every((f) => f.by === 'b')).toBe(true);
  });

  it("a classroom whose owner was SIGKILLed mid-handler: the new owner moves every timer off the dead process's lanes, the hung one too, and each fires once", async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./testing/timer-process.ts', import.meta.url))], {
      env: { ...process.env, REDIS_URL: inject('redisUrl'), REDIS_KEY_PREFIX: prefix, TIMER_SERVER_ID: 'doomed' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    killAtEnd.push(() => child.kill('SIGKILL'));
    await new Promise<void>((resolve, reject) => {
      child.stdout?.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
      child.on('exit', (code) => reject(new Error(`timer process exited early (${code})`)));
    });
    await setAlive(redis, prefix, 'doomed', true);
    await setOwner(redis, prefix, 'c1', 'doomed');
    const survivor = await timerProcess('survivor');
    const clock = await clocks.set('c1', running(10));
    const sim = simNow(clock, Date.now());
    // Booked by the survivor, on the owner's lanes.
    await survivor.schedule('c1', { kind: 'hang', key: 'hung', dueAt: sim, payload: null });
    for (let i = 0; i < 5; i++) await survivor.schedule('c1', tick(`later-${i}`, sim + 5000 + i * 1000));
    expect(await jobsIn('timers@doomed')).toBe(6);
    await waitFor(async () => (await redis.lLen(`${prefix}:test-hanging`)) === 1, { what: 'the owner to be inside the hung handler' });

    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    // Its heartbeat lapses, then the survivor takes the lease and repairs.
    await setAlive(redis, prefix, 'doomed', false);
    await setOwner(redis, prefix, 'c1', 'survivor');
    expect((await survivor.repair('c1', await clocks.getClock('c1'))).repaired).toBe(6);
    await survivor.forgetProcess('doomed');
    expect(await jobsIn('timers@doomed')).toBe(0);

    await waitFor(async () => (await fired()).length >= 6, { what: 'six firings', timeoutMs: 20_000 });
    const all = await fired();
    expect(all.map((f) => f.key).sort()).toEqual(['hung', 'later-0', 'later-1', 'later-2', 'later-3', 'later-4']);
    expect(all.every((f) => f.by === 'survivor')).toBe(true);
    expect(all.filter((f) => f.key.startsWith('later')).every((f) => f.simAt >= f.dueAt - 1)).toBe(true);
    expect(await survivor.pending('c1')).toEqual([]);
  });
  it('a process taken for dead that beats again keeps its lanes; a timer booked for an owner that stopped beating goes on the booking process\'s lanes', async () => {
    const a = await timerProcess('a');
    await timerProcess('b');
    await setOwner(redis, prefix, 'c1', 'a');
    await clocks.set('c1', running(1));
    const sim = simNow(await clocks.getClock('c1'), Date.now());
    await a.schedule('c1', tick('far', sim + 600_000));
    expect(await jobsIn('timers@a')).toBe(1);
    // A survivor reaped it after a pause, but it is beating again by the time its lanes would go.
    const survivor = await timerProcess('survivor');
    await survivor.forgetProcess('a');
    expect(await jobsIn('timers@a')).toBe(1);

    // 'b' still holds its classroom's lease for a moment after it stopped beating and was reaped:
    // a timer booked now must not bring its deleted lanes back.
    await setOwner(redis, prefix, 'c2', 'b');
    await clocks.set('c2', running(1));
    await setAlive(redis, prefix, 'b', false);
    await survivor.forgetProcess('b');
    await survivor.schedule('c2', tick('after-reap', simNow(await clocks.getClock('c2'), Date.now()) + 600_000));
    expect([await jobsIn('timers@b'), await jobsIn('timers@survivor')]).toEqual([0, 1]);
    expect((await survivor.pending('c2')).map((t) => t.key)).toEqual(['after-reap']);
  });
  it('a lost connection after another process\'s queue was let go is reported, not thrown (it ended the process)', async () => {
    const survivor = await timerProcess('survivor');
    await survivor.forgetProcess('gone');
    const errors: unknown[] = [];
    const onUncaught = (error: unknown) => errors.push(error);
    process.on('uncaughtException', onUncaught);
    try {
      // The queues' connection is dropped by Redis, as a restart or failover drops it.
      const queueClient = (survivor as unknown as { queueClient: RedisClient }).queueClient;
      const id = await queueClient.clientId();
      await redis.clientKill({ filter: 'ID', id });
      await waitFor(async () => queueClient.isReady && (await queueClient.clientId()) !== id, { what: 'the queue connection to reconnect' });
      await new Promise((resolve) => setTimeout(resolve, 100));
    } finally {
      process.off('uncaughtException', onUncaught);
    }
    expect(errors).toEqual([]);
    await clocks.set('c1', running(1));
    await setOwner(redis, prefix, 'c1', 'survivor');
    await survivor.schedule('c1', tick('still-works', simNow(await clocks.getClock('c1'), Date.now())));
    await waitFor(async () => (await fired()).some((f) => f.key === 'still-works'), { what: 'a timer to fire after the reconnect' });
  });
});
