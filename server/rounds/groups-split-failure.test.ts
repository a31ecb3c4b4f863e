/**
 * A split into groups is all or nothing (issue 11): Redis goes away (its redis-server stopped)
 * partway through a split into three groups, as the second group's classroom is being made, and
 * comes back on the same port with its append-only file. The instructor is answered 503 with the store's words; once Redis is back the class is not
 * split, every student still plays in the class, and splitting again gives exactly three groups,
 * while the classrooms the failed attempt made are closed (no join code leads to them).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createClient } from 'redis';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { GroupsResponse } from '@shared/protocol';
import type { RunningServer } from '../app';
import { classroomWith, connectCluster, type ClusterClient } from '../cluster/testing/cluster-client';
import { startEmbeddedRedis, type EmbeddedRedis } from '../redis/embedded-redis';
import { REDIS_UNAVAILABLE_MESSAGE } from '../redis/unavailable';
import { startTestServer } from '../testing/test-server';
import { waitFor } from '../testing/wait';

const PREFIX = 'cp-split';
const dataDir = mkdtempSync(path.join(tmpdir(), 'cp-split-'));
let redis: EmbeddedRedis;
let server: RunningServer;
let watcher: ReturnType<typeof createClient>;
const clients: ClusterClient[] = [];

beforeAll(async () => {
  // A redis-server of this test's own: stopping it must not stop the other tests' Redis.
  redis = await startEmbeddedRedis({ dataDir });
  server = await startTestServer({ REDIS_URL: redis.url, REDIS_KEY_PREFIX: PREFIX, JOIN_RATE_LIMIT: '100000' });
  watcher = createClient({ url: redis.url, socket: { reconnectStrategy: false } });
  watcher.on('error', () => undefined); // it goes down with the redis-server it watches
  await watcher.connect();
  // Keyspace events of hash writes: the test sees each classroom's meta being written.
  await watcher.configSet('notify-keyspace-events', 'Kh');
}, 60_000);

afterAll(async () => {
  for (const c of clients) c.close();
  watcher?.destroy();
  await server?.close();
  await redis?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function call(method: string, path: string, token: string, body?: object): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: await res.json() };
}

/** Where the student plays: the classroom their socket is seated in. */
async function seatOf(token: string): Promise<string | undefined> {
  const client = await connectCluster(server.url, token);
  clients.push(client);
  const id = await waitFor(() => client.view?.id, { what: 'the classroom view' });
  client.close();
  return id;
}

test('Redis goes away partway through a split: 503, nothing split, nobody moved; splitting again gives exactly the groups asked for and the half-made ones are closed', { timeout: 90_000 }, async () => {
  const names = ['ana', 'ben', 'cy', 'dee'];
  const klass = await classroomWith(server.url, names, { title: 'Period 5' });
  const path = `/api/classrooms/${klass.id}/groups`;
  const request = { groups: 3, scenario: 'node-dies', seed: 7 };

  // Redis stops as the second group's classroom is written.
  const made = new Set<string>();
  let stopped: Promise<void> | null = null;
  await watcher.pSubscribe(`__keyspace@0__:${PREFIX}:{*}:meta`, (_event, channel) => {
    const id = /:\{([^}]+)\}:meta$/.exec(channel)?.[1];
    if (!id || id === klass.id || stopped) return;
    made.add(id);
    if (made.size === 2) stopped = redis.stop();
  });
  const failed = await call('POST', path, klass.instructorToken, request);
  expect(stopped).not.toBeNull();
  expect(failed).toEqual({ status: 503, body: { code: 'ServiceUnavailable', message: REDIS_UNAVAILABLE_MESSAGE } });
  await stopped;
  redis = await startEmbeddedRedis({ dataDir, port: redis.port });
  const leftovers = [...made];

  // Back: the class is not split, and every student still plays in it.
  const listed = await waitFor(async () => {
    const res = await call('GET', path, klass.instructorToken);
    return res.status === 503 ? undefined : res;
  }, { what: 'the server to reach Redis again', timeoutMs: 20_000, intervalMs: 200 });
  expect(listed).toEqual({ status: 200, body: { groups: [] } });
  for (const name of names) expect(await seatOf(klass.students.get(name)?.token ?? '')).toBe(klass.id);

  // Splitting again (once the failed attempt has let go of the class) makes exactly three groups.
  const again = await waitFor(
    async () => {
      const res = await call('POST', path, klass.instructorToken, request);
      return res.status === 409 ? undefined : res;
    },
    { what: 'the failed split to let go of the class', timeoutMs: 20_000, intervalMs: 250 },
  );
  expect(again.status).toBe(201);
  const groups = (await call('GET', path, klass.instructorToken)).body as GroupsResponse;
  expect(groups.groups.map((g) => [g.name, g.members.map((m) => m.name), g.round?.phase])).toEqual([
    ['Group A', ['ana', 'dee'], 'briefing'],
    ['Group B', ['ben'], 'briefing'],
    ['Group C', ['cy'], 'briefing'],
  ]);
  expect(groups.groups.some((g) => leftovers.includes(g.id))).toBe(false);
  expect(await seatOf(klass.students.get('ana')?.token ?? '')).toBe(groups.groups[0]?.id);

  // What the failed attempt made is closed (or was never finished): no join code leads there.
  const open = await server.classrooms.openClassroomIds();
  expect(leftovers.filter((id) => open.includes(id))).toEqual([]);
  for (const id of leftovers) expect((await server.classrooms.read(id))?.run.phase ?? 'gone').toMatch(/^(closed|gone)$/);
});
