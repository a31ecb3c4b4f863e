import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Queue, type Worker } from 'bullmq';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { simNow, type SimClock } from '@shared/protocol';
import { connectRedis, type RedisClient } from '../redis/connect';
import { waitFor } from '../testing/wait';
import { SIM_TIMERS_QUEUE, SimTimerService, type SimTimerServiceOptions } from './sim-timer-service';
import { timersKey } from './timer-index';
import { firings, recordFiring, RedisClocks, type Firing } from './testing/timer-fixtures';

let redis: RedisClient;
let prefix: string;
let clocks: RedisClocks;
const services: SimTimerService[] = [];
const children: ChildProcess[] = [];

beforeEach(async () => {
  // A prefix per test: its own queue and index, so tests never see each other's jobs.
  prefix = `${inject('redisKeyPrefix')}-jobs-${randomBytes(3).toString('hex')}`;
  redis = await connectRedis(inject('redisUrl'));
  clocks = new RedisClocks(redis, prefix);
});

afterEach(async () => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  await Promise.all(services.splice(0).map((service) => service.close()));
  await redis.close();
});

/** A service with the recording handler for `tick`, started unless asked not to. */
async function timerService(by = 'main', options: Partial<SimTimerServiceOptions> & { start?: boolean } = {}): Promise<SimTimerService> {
  const service = new SimTimerService({ redis, keyPrefix: prefix, clocks, ...options });
  services.push(service);
  service.onTimer('tick', recordFiring(redis, prefix, by));
  if (options.start !== false) await service.start();
  return service;
}

const running = (timeScale: number, sim = 1_000_000): SimClock => ({ simAtWall: sim, wall: Date.now(), timeScale, paused: false });
const tick = (key: string, dueAt: number, payload: Firing['payload'] = null) => ({ kind: 'tick', key, dueAt, payload });
const fired = () => firings(redis, prefix);
const firedKeys = async () => (await fired()).map((f) => f.key);

/** Counts the queue's unfinished and failed jobs, to prove nothing is left to fire and no handler failed. */
async function jobsLeft(): Promise<number> {
  const queue = new Queue(SIM_TIMERS_QUEUE, { connection: redis, prefix: `${prefix}:{bull}` });
  try {
    const counts = await queue.getJobCounts('active', 'wait', 'delayed', 'prioritized', 'failed');
    return Object.values(counts).reduce((a, b) => a + b, 0);
  } finally {
    await queue.close();
  }
}

describe('SimTimerService: timers in simulated time', () => {
  it('fires each timer once, in due order, when the simulated clock reaches it (scale 10: 5 s simulated ≈ 0.5 s wall)', async () => {
    const timers = await timerService();
    const clock = await clocks.set('c1', running(10));
    const start = Date.now();
    const sim = simNow(clock, start);
    await timers.schedule('c1', tick('pull/node-1/web/nginx', sim + 5000, { image: 'nginx' }));
    await timers.schedule('c1', tick('ready/web', sim + 2000));
    await timers.schedule('c1', tick('heartbeat/node-2', sim + 8000));

    const all = await waitFor(async () => ((await fired()).length === 3 ? fired() : false), { what: 'three firings' });
    expect(all.map((f) => f.key)).toEqual(['ready/web', 'pull/node-1/web/nginx', 'heartbeat/node-2']);
    for (const f of all) {
      expect(f.simAt).toBeGreaterThanOrEqual(f.dueAt - 1);
      expect(f.firedAt).toBeGreaterThanOrEqual(f.dueAt);
      // Not before its scaled wall time; well before the unscaled one (8 s).
      expect(f.wall - start).toBeGreaterThanOrEqual((f.dueAt - sim) / 10 - 5);
      expect(f.wall - start).toBeLessThan(5000);
    }
    expect(all[1]?.payload).toEqual({ image: 'nginx' });
    expect(await timers.pending('c1')).toEqual([]);
    expect(await jobsLeft()).toBe(0);
  });

  it('fires on start a timer whose due time passed before any worker ran', async () => {
    const producer = await timerService('producer', { start: false });
    const clock = await clocks.set('c1', running(1));
    await producer.schedule('c1', tick('backoff/web', simNow(clock, Date.now()) - 30_000));
    await timerService('worker');
    await waitFor(async () => (await firedKeys()).includes('backoff/web'), { what: 'the overdue timer' });
  });

  it('holds every timer while the classroom is paused and fires them after resume', async () => {
    const timers = await timerService();
    const clock = await clocks.set('c1', running(1));
    await clocks.set('other', running(1));
    const sim = simNow(clock, Date.now());
    for (const key of ['a', 'b', 'c']) await timers.schedule('c1', tick(key, sim + 300));
    await timers.onClockChanged('c1', await clocks.change('c1', { paused: true }));

    // A timer of a running classroom, due well after the paused ones would have fired.
    const other = await clocks.getClock('other');
    await timers.schedule('other', tick('sentinel', simNow(other, Date.now()) + 800));
    await waitFor(async () => (await firedKeys()).includes('sentinel'), { what: 'the sentinel' });
    expect(await firedKeys()).toEqual(['sentinel']);
    expect((await timers.pending('c1')).map((t) => t.key).sort()).toEqual(['a', 'b', 'c']);

    const resumed = await clocks.change('c1', { paused: false });
    await timers.onClockChanged('c1', resumed);
    const all = await waitFor(async () => ((await fired()).length === 4 ? fired() : false), { what: 'the resumed timers' });
    for (const f of all.filter((f) => f.classroomId === 'c1')) {
      // The simulated time spent paused does not count: they fire 300 ms after the pause point.
      expect(f.simAt).toBeGreaterThanOrEqual(sim + 300 - 1);
    }
  });

  it('parks a timer scheduled while paused (the lobby) until the class starts', async () => {
    const timers = await timerService();
    await clocks.set('c1', { simAtWall: 0, wall: Date.now(), timeScale: 1, paused: true });
    await timers.schedule('c1', tick('scenario/step-1', 100));
    expect(await jobsLeft()).toBe(0);
    await timers.onClockChanged('c1', await clocks.change('c1', { paused: false }));
    const [f] = await waitFor(async () => ((await fired()).length === 1 ? fired() : false), { what: 'the scenario step' });
    expect(f?.simAt).toBeGreaterThanOrEqual(100 - 1);
  });

  it('reschedules pending timers when the time scale rises (60 s simulated at scale 1 → 100)', async () => {
    const timers = await timerService();
    const clock = await clocks.set('c1', running(1));
    const sim = simNow(clock, Date.now());
    await timers.schedule('c1', tick('grace/web-abc', sim + 60_000));
    const changedAt = Date.now();
    await timers.onClockChanged('c1', await clocks.change('c1', { timeScale: 100 }));
    const [f] = await waitFor(async () => ((await fired()).length === 1 ? fired() : false), { what: 'the rescaled timer' });
    expect(f?.simAt).toBeGreaterThanOrEqual(sim + 60_000 - 1);
    expect((f?.wall ?? Infinity) - changedAt).toBeLessThan(10_000);
    expect(await jobsLeft()).toBe(0);
  });

  it('does not fire early when the time scale drops (scale 10 → 1)', async () => {
    const timers = await timerService();
    const clock = await clocks.set('c1', running(10));
    await clocks.set('other', running(1));
    const sim = simNow(clock, Date.now());
    await timers.schedule('c1', tick('slow', sim + 3000)); // 0.3 s wall at scale 10, 3 s at scale 1
    await timers.onClockChanged('c1', await clocks.change('c1', { timeScale: 1 }));
    const other = await clocks.getClock('other');
    await timers.schedule('other', tick('sentinel', simNow(other, Date.now()) + 1000));
    await waitFor(async () => (await firedKeys()).includes('sentinel'), { what: 'the sentinel' });
    expect(await firedKeys()).toEqual(['sentinel']);
    const all = await waitFor(async () => ((await fired()).length === 2 ? fired() : false), { what: 'the slowed timer' });
    expect(all[1]?.simAt).toBeGreaterThanOrEqual(sim + 3000 - 1);
  });

  it('catches a clock change the service was not told about: a job that finds the clock paused does not fire', async () => {
    const timers = await timerService();
    const clock = await clocks.set('c1', running(1));
    await timers.schedule('c1', tick('a', simNow(clock, Date.now()) + 200));
    await clocks.change('c1', { paused: true }); // no onClockChanged
    await waitFor(async () => (await jobsLeft()) === 0, { what: 'the job to run and park its timer' });
    expect(await fired()).toEqual([]);
    await timers.onClockChanged('c1', await clocks.change('c1', { paused: false }));
    await waitFor(async () => (await firedKeys()).includes('a'), { what: 'the parked timer after resume' });
  });

  it('catches a slow-down the service was not told about: a job that finds its timer not yet due waits again', async () => {
    const timers = await timerService();
    const clock = await clocks.set('c1', running(10));
    const sim = simNow(clock, Date.now());
    await timers.schedule('c1', tick('a', sim + 2000)); // 0.2 s wall at scale 10
    await clocks.change('c1', { timeScale: 2 }); // no onClockChanged: now about 1 s wall
    const [f] = await waitFor(async () => ((await fired()).length === 1 ? fired() : false), { what: 'the slowed timer' });
    expect(f?.simAt).toBeGreaterThanOrEqual(sim + 2000 - 1);
    expect(await jobsLeft()).toBe(0);
  });

  it('replaces a pending timer scheduled again with the same key (one firing, the newer one)', async () => {
    const timers = await timerService();
    const clock = await clocks.set('c1', running(1));
    const sim = simNow(clock, Date.now());
    await timers.schedule('c1', tick('nodeMonitor:node-1:60000', sim + 100_000, 'old'));
    await timers.schedule('c1', tick('nodeMonitor:node-1:60000', sim + 200, 'new'));
    await waitFor(async () => (await fired()).length === 1, { what: 'the replacing timer' });
    await waitFor(async () => (await jobsLeft()) === 0, { what: 'no job left' });
    expect((await fired()).map((f) => f.payload)).toEqual(['new']);
    expect(await timers.pending('c1')).toEqual([]);
  });

  it('cancels a pending timer: it never fires and leaves no job', async () => {
    const timers = await timerService();
    const clock = await clocks.set('c1', running(1));
    const sim = simNow(clock, Date.now());
    await timers.schedule('c1', tick('cancelled', sim + 300));
    await timers.schedule('c1', tick('sentinel', sim + 800));
    expect(await timers.cancel('c1', 'cancelled')).toBe(true);
    expect(await timers.cancel('c1', 'never-scheduled')).toBe(false);
    await waitFor(async () => (await firedKeys()).includes('sentinel'), { what: 'the sentinel' });
    expect(await firedKeys()).toEqual(['sentinel']);
    expect(await jobsLeft()).toBe(0);
  });

  it('cancels every timer of a closed classroom and only of it', async () => {
    const timers = await timerService();
    const clock = await clocks.set('c1', running(1));
    await clocks.set('c2', running(1));
    const sim = simNow(clock, Date.now());
    for (const key of ['a', 'b']) await timers.schedule('c1', tick(key, sim + 300));
    await timers.schedule('c2', tick('kept', sim + 600));
    expect(await timers.cancelAll('c1')).toBe(2);
    await waitFor(async () => (await firedKeys()).includes('kept'), { what: "c2's timer" });
    expect(await firedKeys()).toEqual(['kept']);
  });

  it('lets a handler reschedule its own key (a recurring bot tick) and keeps the new timer', async () => {
    const timers = new SimTimerService({ redis, keyPrefix: prefix, clocks });
    services.push(timers);
    const record = recordFiring(redis, prefix, 'bot');
    timers.onTimer('botTick', async (classroomId, timer, firedAt) => {
      await record(classroomId, timer, firedAt);
      if ((await fired()).length < 3) await timers.schedule(classroomId, { ...timer, dueAt: firedAt + 500 });
    });
    await timers.start();
    const clock = await clocks.set('c1', running(5));
    await timers.schedule('c1', { kind: 'botTick', key: 'bot/scheduler', dueAt: simNow(clock, Date.now()) + 500, payload: null });
    await waitFor(async () => (await fired()).length === 3, { what: 'three bot ticks' });
    await waitFor(async () => (await jobsLeft()) === 0, { what: 'the last tick to finish' });
    expect(await timers.pending('c1')).toEqual([]);
    expect((await fired()).length).toBe(3);
  });

  it('runs each timer exactly once with two server processes (two worker sets on one Redis), 50 timers', async () => {
    const a = await timerService('a', { concurrency: 4 });
    const b = await timerService('b', { concurrency: 4 });
    const classrooms = ['c1', 'c2', 'c3', 'c4', 'c5'];
    const sims = new Map<string, number>();
    for (const id of classrooms) sims.set(id, simNow(await clocks.set(id, running(10)), Date.now()));
    await Promise.all(
      Array.from({ length: 50 }, (_, i) => {
        const id = classrooms[i % 5] ?? 'c1';
        return (i % 2 ? a : b).schedule(id, tick(`t${i}`, (sims.get(id) ?? 0) + 1000 + (i % 7) * 300));
      }),
    );
    await waitFor(async () => (await fired()).length >= 50, { what: '50 firings' });
    await waitFor(async () => (await jobsLeft()) === 0, { what: 'both queues drained' });
    const all = await fired();
    expect(all).toHaveLength(50);
    expect(new Set(all.map((f) => `${f.classroomId}/${f.key}`)).size).toBe(50);
    for (const id of classrooms) expect(await a.pending(id)).toEqual([]);
  });

  it('fires pending timers after the server process is killed with SIGKILL and another starts, including one killed mid-handler', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./testing/timer-process.ts', import.meta.url))], {
      env: { ...process.env, REDIS_URL: inject('redisUrl'), REDIS_KEY_PREFIX: prefix },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(child);
    await new Promise<void>((resolve, reject) => {
      child.stdout?.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
      child.on('exit', (code) => reject(new Error(`timer process exited early (${code})`)));
    });

    const producer = await timerService('producer', { start: false });
    const clock = await clocks.set('c1', running(1));
    const sim = simNow(clock, Date.now());
    await producer.schedule('c1', { kind: 'hang', key: 'hung', dueAt: sim, payload: null });
    for (let i = 0; i < 5; i++) await producer.schedule('c1', tick(`before-restart-${i}`, sim + 300));
    for (let i = 0; i < 5; i++) await producer.schedule('c1', tick(`after-restart-${i}`, sim + 3000));

    await waitFor(async () => (await redis.lLen(`${prefix}:test-hanging`)) === 1, { what: 'the child to be inside the hung handler' });
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    // Down past the first five due times.
    await waitFor(async () => simNow(await clocks.getClock('c1'), Date.now()) > sim + 500, { what: 'simulated time to pass' });

    const restarted = new SimTimerService({ redis, keyPrefix: prefix, clocks, lockDurationMs: 1000, stalledIntervalMs: 500 });
    services.push(restarted);
    restarted.onTimer('tick', recordFiring(redis, prefix, 'restarted'));
    restarted.onTimer('hang', recordFiring(redis, prefix, 'restarted'));
    await restarted.start();

    await waitFor(async () => (await fired()).length === 11, { what: 'all eleven timers', timeoutMs: 20_000 });
    await waitFor(async () => (await jobsLeft()) === 0, { what: 'the queue drained' });
    const all = await fired();
    expect(all).toHaveLength(11);
    expect(all.every((f) => f.by === 'restarted')).toBe(true);
    expect(all.filter((f) => f.key.startsWith('before-restart')).every((f) => f.simAt >= sim + 300 - 1)).toBe(true);
    expect(all.filter((f) => f.key.startsWith('after-restart')).every((f) => f.simAt >= sim + 3000 - 1)).toBe(true);
    expect(await restarted.pending('c1')).toEqual([]);
  });
});

describe('SimTimerService.repair: timers whose jobs will never fire', () => {
  it('gives a new job to a timer whose job vanished or was delayed far past its due time; each fires once though two processes repair at once', async () => {
    const a = await timerService('a', { start: false, repairGraceMs: 300 });
    const b = await timerService('b', { start: false, repairGraceMs: 300 });
    const clock = await clocks.set('c1', running(10));
    // Due a minute (wall) ahead: no worker runs yet, so each job is still delayed when the test
    // postpones it, and none is late when the first repair looks, however slow the machine.
    const due = simNow(clock, Date.now()) + 600_000;
    await a.schedule('c1', tick('vanished', due));
    await a.schedule('c1', tick('postponed', due));
    await a.schedule('c1', tick('later', due + 6_000_000));
    // Redis lost one job (killed between the index write and the add), and one sits delayed an hour.
    const jobOf = async (key: string): Promise<string> => (await redis.hGet(timersKey(prefix, 'c1'), key))?.split('|')[0] ?? '';
    const queue = new Queue(SIM_TIMERS_QUEUE, { connection: redis, prefix: `${prefix}:{bull}` });
    try {
      expect(await queue.remove(await jobOf('vanished'))).toBe(1);
      await (await queue.getJob(await jobOf('postponed')))?.changeDelay(3_600_000);
    } finally {
      await queue.close();
    }
    // Not late by the grace period yet: nothing is looked up, nothing changes.
    expect((await a.repair('c1', clock)).repaired).toBe(0);

    // Simulated time moves on to 1 s (wall) past their due time, more than the grace period: the
    // clock is set there rather than waited for (neither process heard of the change).
    const late = await clocks.set('c1', running(10, due + 10_000));
    const [byA, byB] = await Promise.all([a.repair('c1', late), b.repair('c1', late)]);
    expect(byA.repaired + byB.repaired).toBe(2);
    expect(byA.timers.map((t) => t.key).sort()).toEqual(['later', 'postponed', 'vanished']);
    await Promise.all([a.start(), b.start()]);

    await waitFor(async () => (await fired()).length >= 2, { what: 'the two repaired timers to fire' });
    // Both workers are up and the repaired jobs are taken: nothing else fires.
    await waitFor(async () => (await jobsLeft()) === 1, { what: 'only the later timer left in the queue' });
    expect((await firedKeys()).sort()).toEqual(['postponed', 'vanished']);
    expect((await a.pending('c1')).map((t) => t.key)).toEqual(['later']);
    // A healthy classroom: nothing to repair.
    expect((await b.repair('c1', clock)).repaired).toBe(0);
  });

  it('gives a new job to a timer left parked while its clock runs', async () => {
    const timers = await timerService('main', { repairGraceMs: 300 });
    await clocks.set('c1', { simAtWall: 5000, wall: Date.now(), timeScale: 1, paused: true });
    await timers.schedule('c1', tick('parked', 5000));
    // The clock starts, and this process never heard of it.
    const clock = await clocks.change('c1', { paused: false, timeScale: 10 });
    expect((await timers.repair('c1', clock)).repaired).toBe(1);
    await waitFor(async () => (await firedKeys()).length === 1, { what: 'the parked timer to fire' });
    expect(await firedKeys()).toEqual(['parked']);
  });
});

describe('SimTimerService: workers that stopped taking jobs', () => {
  it('starts its workers again when a due job waits untaken past the limit, and the timer fires once', async () => {
    const warnings: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(String(JSON.parse(line).msg)) });
    const timers = await timerService('main', { logger, repairGraceMs: 300, stuckWorkerMs: 1000 });
    // What a Redis Cluster failover left once: workers whose fetch never came back. A paused
    // BullMQ worker takes no job either, and says nothing. Paused without `doNotWaitActive`: that
    // also ends the blocking fetch on its way (a fetch blocked when the worker was paused still took
    // the next job, and a CI run saw the timer fire on the "stuck" workers).
    const stuck = (timers as unknown as { workers: Worker[] }).workers;
    await Promise.all(stuck.map((worker) => worker.pause()));
    const clock = await clocks.set('c1', running(10));
    // Due already: its job goes straight to the waiting list, where no worker takes it.
    await timers.schedule('c1', tick('due', simNow(clock, Date.now())));
    // Late, but not by the limit yet: the job waits, nothing restarts.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await timers.repair('c1', clock)).repaired).toBe(0);
    expect(await firedKeys()).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect((await timers.repair('c1', clock)).repaired).toBe(0);
    await waitFor(async () => (await firedKeys()).length > 0, { what: 'the timer to fire on the new workers' });
    expect(await firedKeys()).toEqual(['due']);
    expect(warnings).toEqual(['sim-timers worker: jobs wait past their due time and no worker takes them; starting the workers again']);
    await waitFor(async () => (await jobsLeft()) === 0, { what: 'the queue to empty' });
  });
});

describe('SimTimerService: jobs left behind', () => {
  it('drops a job whose record is gone without failing it, and still fires the timers that are due', async () => {
    // What a SIGKILLed Redis and then a SIGKILLed server left in the lead's trial: job ids in the
    // queue's lists with no job record; the next process ran each and failed it with a ZodError.
    const queue = new Queue(SIM_TIMERS_QUEUE, { connection: redis, prefix: `${prefix}:{bull}` });
    try {
      const orphan = await queue.add('tick', { classroomId: 'c1', key: 'orphan' }, { jobId: 'orphan-job' });
      await redis.del(`${prefix}:{bull}:${SIM_TIMERS_QUEUE}:${orphan.id ?? ''}`);
      const errors: string[] = [];
      const logger = pino({ level: 'warn' }, { write: (line: string) => void errors.push(line) });
      const timers = await timerService('main', { logger });
      const clock = await clocks.set('c1', running(10));
      await timers.schedule('c1', tick('due', simNow(clock, Date.now()) + 1000));
      await waitFor(async () => (await firedKeys()).includes('due'), { what: 'the due timer to fire' });
      await waitFor(async () => (await jobsLeft()) === 0, { what: 'the queue to empty' });
      expect(await queue.getFailedCount()).toBe(0);
      expect(await firedKeys()).toEqual(['due']);
      expect(errors).toEqual([]);
    } finally {
      await queue.close();
    }
  });
});
