/**
 * The timer sweep (issue 14, bug 1; the outage drill's stuck classroom): a running classroom whose
 * timers lost their BullMQ jobs (Redis killed between the index write and the job's add, a process
 * killed mid-fire) still finishes its round, because every process looks for such timers and
 * gives them new jobs. And one whose owner lost a world timer finishes, because the owner finds
 * the timers the stored cluster waits on.
 */
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { fromRFC3339 } from '@shared/model';
import { listObjects } from '@shared/protocol/watch-reducer';
import type { RunningServer } from '../app';
import { SIM_TIMERS_QUEUE } from '../jobs/sim-timer-service';
import { timersKey } from '../jobs/timer-index';
import { laneOfJob } from '../jobs/timer-lanes';
import { connectRedis, type RedisClient } from '../redis/connect';
import { startTestServer } from '../testing/test-server';
import { waitFor } from '../testing/wait';
import { classroomWith, connectCluster, type ClusterClient } from './testing/cluster-client';
import { roundDone } from './testing/players';
import { ROUND_TICK } from '../rounds/round-service';
import { botClassroom, roundIs } from '../rounds/testing';

const prefix = `${inject('redisKeyPrefix')}-sweep`;
let server: RunningServer;
let redis: RedisClient;
const clients: ClusterClient[] = [];

beforeAll(async () => {
  server = await startTestServer({ JOIN_RATE_LIMIT: '100000', REDIS_KEY_PREFIX: prefix, SOCKET_RATE_PER_SECOND: '1000', SOCKET_RATE_BURST: '1000' });
  redis = await connectRedis(inject('redisUrl'));
});

afterAll(async () => {
  for (const c of clients) c.close();
  await server?.close();
  await redis?.close();
});

/** The job ids the classroom's timer index points at (a firing mark stripped). */
async function indexedJobs(classroomId: string): Promise<{ key: string; jobId: string }[]> {
  const raw = await redis.hGetAll(timersKey(prefix, classroomId));
  return Object.entries(raw).map(([key, value]) => ({ key, jobId: value.slice(0, value.indexOf('|')).replace(/\+firing$/, '') }));
}

/** The state of the BullMQ job each indexed timer points at ('unknown': none). */
async function jobStates(classroomId: string): Promise<Map<string, string>> {
  const states = new Map<string, string>();
  for (const { key, jobId } of await indexedJobs(classroomId)) {
    const queue = new Queue(SIM_TIMERS_QUEUE, { connection: redis, prefix: laneOfJob(prefix, false, 1, classroomId, jobId).prefix });
    states.set(key, jobId ? await queue.getJobState(jobId).finally(() => queue.close()) : 'parked');
  }
  return states;
}

/**
 * Removes every BullMQ job the classroom's timers point at, again and again until none is left
 * (a tick firing meanwhile books a new one): what Redis does when it loses jobs the index kept.
 */
async function loseEveryJob(classroomId: string): Promise<string[]> {
  const queues = new Map<string, Queue>();
  // The shared lane (the heartbeat) or the owner's own (see timer-lanes.ts).
  const queueOf = (jobId: string): Queue => {
    const lane = laneOfJob(prefix, false, 1, classroomId, jobId).prefix;
    const queue = queues.get(lane) ?? new Queue(SIM_TIMERS_QUEUE, { connection: redis, prefix: lane });
    queues.set(lane, queue);
    return queue;
  };
  try {
    return await waitFor(
      async () => {
        const entries = await indexedJobs(classroomId);
        // A job being fired is locked: it is removed once it has booked the next.
        for (const { jobId } of entries) if (jobId) await queueOf(jobId).remove(jobId).catch(() => 0);
        const states = await Promise.all(entries.map(async ({ jobId }) => (jobId ? queueOf(jobId).getJobState(jobId) : 'parked')));
        const stranded = entries.length > 0 && states.every((s) => s === 'unknown') && entries.length === (await indexedJobs(classroomId)).length;
        return stranded && entries.map((e) => e.key);
      },
      { what: 'every timer of the classroom stranded', timeoutMs: 20_000, intervalMs: 10 },
    );
  } finally {
    await Promise.all([...queues.values()].map((queue) => queue.close()));
  }
}

describe('the timer sweep', () => {
  // The bots' ticks, the kubelets' heartbeat and the sim timers are the owner's, in memory: a round's
  // loops (its tick, its scheduled steps and traffic) are what BullMQ holds.
  test('a round whose every timer lost its job mid-round gets them back and is won by the bots', { timeout: 120_000 }, async () => {
    const { id, instructor } = await botClassroom(server.url);
    clients.push(instructor);
    for (const action of [{ kind: 'setTimeScale', timeScale: 10 }, { kind: 'setBotPace', secondsPerAction: 1 }, { kind: 'runScenario', scenario: 'first-deployment', seed: 7 }] as const) {
      expect(await instructor.instructor(action)).toMatchObject({ ok: true });
    }
    await roundIs(instructor, ['briefing'], 'the briefing');
    expect(await instructor.instructor({ kind: 'startRound' })).toMatchObject({ ok: true });
    await waitFor(async () => (await indexedJobs(id)).some((e) => e.key === ROUND_TICK), { what: "the round's tick booked", timeoutMs: 30_000 });
    const stranded = await loseEveryJob(id);
    expect(stranded).toContain(ROUND_TICK);
    expect(stranded.filter((key) => key.startsWith('botTick') || key.startsWith('kubeletHeartbeat') || key.startsWith('criCallDue'))).toEqual([]);
    expect(instructor.round?.phase).toBe('running');

    // The sweep gives the round's tick a job again, and the round goes on to be won.
    await waitFor(async () => (await jobStates(id)).get(ROUND_TICK) !== 'unknown', { what: "the round's tick to have a job again", timeoutMs: 20_000 });
    const end = await roundIs(instructor, ['won', 'lost'], 'the end of the round', 100_000);
    expect(end.phase).toBe('won');
  });
});

describe('a world timer the owner lost', () => {
  // The owner keeps the world timers in its memory, derived from the changes its cache applies. A
  // handler that met a Redis outage, or a change that never reached the cache (its watch ended
  // and the cache listed again), leaves the CRI call running in the store with no timer to finish
  // it, and the pod on that node stays Pending: the sweep books the timer again from the store.
  test('a pull whose timer the owner lost still finishes, and the pods of its node start', { timeout: 90_000 }, async () => {
    // One node: while its runtime pulls nginx, its kubelet sends nothing else (the other pods wait
    // for that pull), so the pull's timer is the only thing that can move the node on.
    const classroom = await classroomWith(server.url, [], { nodes: 1 });
    const instructor = await connectCluster(server.url, classroom.instructorToken);
    clients.push(instructor);
    const slowPulls = { kind: 'fault', fault: { type: 'slowImagePulls', node: 'node-1', extraSeconds: 60 } } as const;
    for (const action of [{ kind: 'setTimeScale', timeScale: 10 }, { kind: 'setBotPace', secondsPerAction: 1 }, slowPulls, { kind: 'start' }] as const) {
      expect(await instructor.instructor(action)).toMatchObject({ ok: true });
    }
    const pull = () => listObjects(instructor.state, 'ContainerRuntime').flatMap((rt) => rt.status.calls).find((c) => c.call === 'PullImage');
    const running = await waitFor(() => (pull()?.status === 'running' ? pull() : undefined), { what: 'the pull running', timeoutMs: 30_000, intervalMs: 10 });
    const timer = `criCallDue:node-1/${running.id}:${fromRFC3339(running.dueAt ?? '')}`;
    const { simTimers } = server.cluster.runtime;
    await waitFor(() => simTimers.has(classroom.id, timer), { what: "the pull's timer held by the owner" });
    // Still 60 simulated seconds (6 s wall) from due: lost long before it could fire.
    expect(fromRFC3339(running.dueAt ?? '') - instructor.simNow()).toBeGreaterThan(20_000);
    simTimers.cancel(classroom.id, (t) => t.id === timer);
    expect(simTimers.has(classroom.id, timer)).toBe(false);

    await waitFor(() => simTimers.has(classroom.id, timer), { what: 'the sweep to book the timer again', timeoutMs: 10_000 });
    await waitFor(() => roundDone(instructor.state), { what: 'the pull to finish and the pods of node-1 to start', timeoutMs: 60_000, intervalMs: 100 });
  });
});
