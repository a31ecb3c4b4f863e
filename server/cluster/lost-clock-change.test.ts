/**
 * A clock announcement lost by the owner process (Redis pub/sub drops what is published while a
 * subscriber reconnects): every listener of the process misses it, as with a real loss. The owner's
 * in-memory timers must not stay on the old clock: the timer sweep's view of the room, read again
 * every 30 s, sets them right (review of the in-memory sim timers: a CRI call never finished).
 */
import { afterAll, beforeAll, expect, inject, test, vi } from 'vitest';
import { fromRFC3339, type ContainerRuntime } from '@shared/model';
import { listObjects } from '@shared/protocol/watch-reducer';
import type { RunningServer } from '../app';
import { startTestServer } from '../testing/test-server';
import { waitFor } from '../testing/wait';
import { classroomWith, connectCluster, type ClusterClient } from './testing/cluster-client';

const lose = { clock: false, lost: 0 };
vi.mock('../classroom/changes', async (importOriginal) => {
  const mod = await importOriginal<typeof import('../classroom/changes')>();
  return {
    ...mod,
    createClassroomChanges: async (...args: Parameters<typeof mod.createClassroomChanges>) => {
      const changes = await mod.createClassroomChanges(...args);
      return {
        ...changes,
        subscribe: (listener: Parameters<typeof changes.subscribe>[0]) =>
          changes.subscribe((change) => {
            if (lose.clock && change.reasons.includes('clock')) return void lose.lost++;
            listener(change);
          }),
      };
    },
  };
});

const prefix = `${inject('redisKeyPrefix')}-lost-clock`;
let server: RunningServer;
const clients: ClusterClient[] = [];

beforeAll(async () => {
  server = await startTestServer({ JOIN_RATE_LIMIT: '100000', REDIS_KEY_PREFIX: prefix, SOCKET_RATE_PER_SECOND: '1000', SOCKET_RATE_BURST: '1000' });
});

afterAll(async () => {
  for (const c of clients) c.close();
  await server?.close();
});

async function slowPullRunning() {
  const classroom = await classroomWith(server.url, [], { nodes: 1 });
  const instructor = await connectCluster(server.url, classroom.instructorToken);
  clients.push(instructor);
  const slowPulls = { kind: 'fault', fault: { type: 'slowImagePulls', node: 'node-1', extraSeconds: 60 } } as const;
  for (const action of [{ kind: 'setTimeScale', timeScale: 10 }, { kind: 'setBotPace', secondsPerAction: 1 }, slowPulls, { kind: 'start' }] as const) {
    expect(await instructor.instructor(action)).toMatchObject({ ok: true });
  }
  const pull = () => listObjects(instructor.state, 'ContainerRuntime').flatMap((rt) => rt.status.calls).find((c) => c.call === 'PullImage');
  const running = await waitFor(() => (pull()?.status === 'running' ? pull() : undefined), { what: 'the pull running', timeoutMs: 30_000, intervalMs: 10 });
  const stored = async () => (await server.classrooms.view(classroom.id))?.clock;
  return { classroom, instructor, pull, dueAt: fromRFC3339(running.dueAt ?? ''), stored };
}

async function finishedAt(classroomId: string): Promise<number | undefined> {
  const log = await server.cluster.runtime.store.readLog(classroomId, '0', 100_000);
  return log.find((e) => e.object.kind === 'ContainerRuntime' && (e.object as ContainerRuntime).status.calls.some((c) => c.call === 'PullImage' && c.status === 'done'))?.simTime;
}

test('a lost resume: a CRI call running on the owner still finishes while the class runs', { timeout: 120_000 }, async () => {
  const { classroom, instructor, pull, dueAt, stored } = await slowPullRunning();
  expect(await instructor.instructor({ kind: 'pause' })).toMatchObject({ ok: true });
  await waitFor(() => instructor.view?.clock.paused === true, { what: 'the pause seen' });
  await new Promise((r) => setTimeout(r, 500));
  lose.clock = true;
  expect(await instructor.instructor({ kind: 'resume' })).toMatchObject({ ok: true });
  await waitFor(async () => (await stored())?.paused === false, { what: 'the resume stored' });
  await new Promise((r) => setTimeout(r, 500));
  lose.clock = false;
  expect(lose.lost).toBeGreaterThan(0); // one message, each of the process's listeners missed it
  // The sweep's view is at most 30 s old (plus a pass): the pull finishes at the latest then.
  await waitFor(() => pull()?.status === 'done', { what: 'the pull done while the class runs', timeoutMs: 45_000, intervalMs: 200 });
  const at = await finishedAt(classroom.id);
  expect(at).toBeGreaterThanOrEqual(dueAt);
  expect((await stored())?.paused).toBe(false);
});
