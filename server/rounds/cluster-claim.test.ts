/**
 * Two server processes on one Redis build a classroom's cluster at once: one starts a round (the
 * scenario's cluster) while the other bootstraps the default one for a socket's first look, or
 * both start the round. The build is claimed (SET NX), so the store ends with exactly one cluster:
 * the scenario's objects, once each, and nothing of the default cluster.
 */
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { simNow } from '@shared/protocol';
import type { RunningServer } from '../app';
import { createClassroom } from '../gateway/test-clients';
import { startTestServer } from '../testing/test-server';

let a: RunningServer;
let b: RunningServer;
const env = { REDIS_KEY_PREFIX: `${inject('redisKeyPrefix')}-cluster-claim` };

beforeAll(async () => {
  a = await startTestServer(env);
  b = await startTestServer(env);
});

afterAll(async () => {
  await a?.close();
  await b?.close();
});

// "crashloop": node-1 and node-2, Deployment shop; the default cluster has node-3 and `web` besides.
const SCENARIO = 'crashloop';
const EXPECTED = [
  'ContainerRuntime/node-1',
  'ContainerRuntime/node-2',
  'Deployment/default/shop',
  'Lease/kube-node-lease/node-1',
  'Lease/kube-node-lease/node-2',
  'Node/node-1',
  'Node/node-2',
  'ProxyTable/node-1',
  'ProxyTable/node-2',
];

async function objectsOf(server: RunningServer, classroomId: string): Promise<string[]> {
  const { objects } = await server.cluster.store.snapshot(classroomId);
  return objects
    .filter((o) => !(o.kind === 'Lease' && o.metadata.namespace === 'kube-system'))
    .map((o) => [o.kind, o.metadata.namespace, o.metadata.name].filter((p) => p !== undefined).join('/'))
    .sort();
}

async function now(server: RunningServer, classroomId: string): Promise<number> {
  const record = await server.classrooms.read(classroomId);
  return Math.floor(simNow(record?.run.clock ?? { simAtWall: 0, wall: 0, timeScale: 1, paused: true }, Date.now()));
}

test('a round started in one process while another bootstraps the classroom, or in both at once: exactly one cluster, the scenario\'s', { timeout: 60_000 }, async () => {
  const races = await Promise.all(
    Array.from({ length: 8 }, async (_, i) => {
      const { id } = await createClassroom(a.url, {});
      const at = await now(a, id);
      const other = i % 2 === 0 ? b.cluster.ensureCluster(id) : b.cluster.rounds.runScenario(id, SCENARIO, 7, at).then(() => undefined);
      const [picked] = await Promise.all([a.cluster.rounds.runScenario(id, SCENARIO, 7, at), other]);
      expect(picked).toMatchObject({ ok: true });
      return id;
    }),
  );
  for (const id of races) {
    expect(await objectsOf(a, id)).toEqual(EXPECTED);
    // The bootstrap that came late (or again) writes nothing over the scenario's cluster.
    await b.cluster.ensureCluster(id);
    await a.cluster.ensureCluster(id);
    expect(await objectsOf(b, id)).toEqual(EXPECTED);
  }
});
