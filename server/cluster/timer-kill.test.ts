/**
 * Issue 14, bug 1: two server processes on one Redis fire the classrooms' timers; one is SIGKILLed
 * while it fires them (a tick between writing the timer index and adding its job, a handler
 * mid-way). Every classroom's bots-only round still finishes on the survivor: no bot's timer is
 * lost for good.
 */
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { isPodReady } from '@shared/model';
import { listObjects } from '@shared/protocol/watch-reducer';
import type { RunningServer } from '../app';
import { freePort } from '../redis/embedded-redis';
import { sigkill, startServerProcess } from '../testing/server-process';
import { startTestServer } from '../testing/test-server';
import { waitFor } from '../testing/wait';
import { classroomWith, connectCluster, type ClusterClient } from './testing/cluster-client';
import { roundDone } from './testing/players';

const CLASSROOMS = 5;
const env = { JOIN_RATE_LIMIT: '100000', SOCKET_RATE_PER_SECOND: '1000', SOCKET_RATE_BURST: '1000', REDIS_KEY_PREFIX: `${inject('redisKeyPrefix')}-timer-kill` };
let survivor: RunningServer;
let doomed: ChildProcess | null = null;
const clients: ClusterClient[] = [];

beforeAll(async () => {
  survivor = await startTestServer(env);
  doomed = await startServerProcess(await freePort(), { ...env, REDIS_URL: inject('redisUrl') });
}, 90_000);

afterAll(async () => {
  for (const c of clients) c.close();
  if (doomed && doomed.exitCode === null && doomed.signalCode === null) await sigkill(doomed);
  await survivor?.close();
});

test('a process SIGKILLed while it fires the timers of five bots-only classrooms: every round still finishes on the other', { timeout: 150_000 }, async () => {
  const instructors: ClusterClient[] = [];
  const ids: string[] = [];
  for (let i = 0; i < CLASSROOMS; i++) {
    const classroom = await classroomWith(survivor.url, []);
    ids.push(classroom.id);
    const instructor = await connectCluster(survivor.url, classroom.instructorToken);
    clients.push(instructor);
    instructors.push(instructor);
    for (const action of [{ kind: 'setTimeScale', timeScale: 10 }, { kind: 'setBotPace', secondsPerAction: 1 }] as const) {
      expect(await instructor.instructor(action)).toMatchObject({ ok: true });
    }
  }
  for (const reply of await Promise.all(instructors.map((c) => c.instructor({ kind: 'start' })))) expect(reply).toMatchObject({ ok: true });
  // Mid-round everywhere: both processes' workers are taking the classrooms' timers.
  await waitFor(() => instructors.every((c) => BigInt(c.state.resourceVersion) > 25n), { what: 'every classroom under way', timeoutMs: 60_000 });
  expect(instructors.filter((c) => !roundDone(c.state)).length).toBeGreaterThanOrEqual(CLASSROOMS - 1);
  if (doomed) await sigkill(doomed);

  // Where a round that did not finish stands: its objects, and its pending timers (job id | timer).
  const progress = () =>
    Promise.all(
      instructors.map(async (c, i) => {
        const pods = listObjects(c.state, 'Pod');
        if (roundDone(c.state)) return `#${i} rv ${c.state.resourceVersion}, done`;
        const { timers, store } = survivor.cluster.runtime;
        const pending = (await timers.pending(ids[i] ?? '')).map((t) => `${t.key}@${t.dueAt}`);
        const requests = (await store.readRequestLog(ids[i] ?? '', 12)).map((r) => `${r.actor} ${r.verb} ${r.target} ${r.outcome} ${r.message.slice(0, 80)}`);
        return `#${i} rv ${c.state.resourceVersion}, ${pods.filter(isPodReady).length}/${pods.length} pods ready; timers ${pending.join(' ')}; last requests:\n  ${requests.join('\n  ')}`;
      }),
    );
  await waitFor(() => instructors.every((c) => roundDone(c.state)), { what: 'every round to finish', timeoutMs: 90_000, intervalMs: 100 }).catch(async (error: unknown) => {
    throw new Error(`${String(error)}\n${(await progress()).join('\n')}`, { cause: error });
  });
});
