/**
 * The ground groups stand on: a group is its own classroom (its own cluster, clock, timers and
 * round), so two groups can play the same scenario side by side on one server and one Redis
 * without either touching the other's state.
 */
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import type { RunningServer } from '../app';
import { startTestServer } from '../testing/test-server';
import { waitFor } from '../testing/wait';
import { botClassroom, roundIs, type RoundClient } from './testing';

let server: RunningServer;
const clients: RoundClient[] = [];

beforeAll(async () => {
  server = await startTestServer({ REDIS_KEY_PREFIX: `${inject('redisKeyPrefix')}-groups`, SOCKET_RATE_PER_SECOND: '1000', SOCKET_RATE_BURST: '1000' });
});

afterAll(async () => {
  for (const c of clients) c.close();
  await server?.close();
});

test('two groups play "node-dies" side by side: each wins on its own cluster, and a fault in one never reaches the other', { timeout: 120_000 }, async () => {
  const [a, b] = await Promise.all([botClassroom(server.url), botClassroom(server.url)]);
  if (!a || !b) throw new Error('no classrooms');
  clients.push(a.instructor, b.instructor);
  for (const group of [a, b]) {
    for (const action of [{ kind: 'setTimeScale', timeScale: 10 }, { kind: 'setBotPace', secondsPerAction: 2 }, { kind: 'runScenario', scenario: 'node-dies', seed: 7 }] as const) {
      expect(await group.instructor.instructor(action)).toMatchObject({ ok: true });
    }
  }
  // Group A starts first; B is still in its briefing when A's node-2 goes down.
  expect(await a.instructor.instructor({ kind: 'startRound' })).toMatchObject({ ok: true });
  await waitFor(() => a.instructor.round?.timeline.some((m) => m.kind === 'fault'), { what: "group A's node-2 to go down", timeoutMs: 30_000 });
  const nodeOf = async (id: string) => (await server.cluster.store.snapshot(id)).objects.find((o) => o.kind === 'Node' && o.metadata.name === 'node-2');
  expect((await nodeOf(a.id))?.metadata.annotations?.['clusterplay.dev/kubelet-stopped']).toBe('true');
  expect((await nodeOf(b.id))?.metadata.annotations?.['clusterplay.dev/kubelet-stopped']).toBeUndefined();
  expect(b.instructor.round?.phase).toBe('briefing');

  expect(await b.instructor.instructor({ kind: 'startRound' })).toMatchObject({ ok: true });
  const [endA, endB] = await Promise.all([roundIs(a.instructor, ['won', 'lost'], 'group A to finish', 100_000), roundIs(b.instructor, ['won', 'lost'], 'group B to finish', 100_000)]);
  expect([endA.phase, endB.phase]).toEqual(['won', 'won']);
  // Each group's request log holds its own requests only: B's instructor made exactly its own two step faults.
  const faultsOf = async (id: string) => (await server.cluster.store.readRequestLog(id, 2000)).filter((e) => e.actor === 'instructor' && e.verb === 'fault').map((e) => e.message);
  expect(await faultsOf(a.id)).toEqual(['the kubelet on node-2 is stopped', 'node/node-4 created: its kubelet, container runtime and kube-proxy are new roles']);
  expect(await faultsOf(b.id)).toEqual(['the kubelet on node-2 is stopped', 'node/node-4 created: its kubelet, container runtime and kube-proxy are new roles']);
});
