/**
 * Groups (issue 11): the instructor splits the class over REST; each group is a classroom of its
 * own (cluster, clock, timers, round), its students play there with their class token, and two
 * groups play "node-dies" side by side without either touching the other's state.
 */
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import type { GroupsResponse } from '@shared/protocol';
import type { RunningServer } from '../app';
import { classroomWith, connectCluster, storeObjects, type ClusterClient } from '../cluster/testing/cluster-client';
import { startTestServer } from '../testing/test-server';
import { waitFor } from '../testing/wait';
import { botClassroom, roundClient, roundIs, type RoundClient } from './testing';

let server: RunningServer;
const clients: (RoundClient | ClusterClient)[] = [];

beforeAll(async () => {
  server = await startTestServer({ JOIN_RATE_LIMIT: '100000', REDIS_KEY_PREFIX: `${inject('redisKeyPrefix')}-groups`, SOCKET_RATE_PER_SECOND: '1000', SOCKET_RATE_BURST: '1000' });
});

afterAll(async () => {
  for (const c of clients) c.close();
  await server?.close();
});

interface SplitGroup {
  id: string;
  name: string;
  instructorToken: string;
  members: { id: string; name: string }[];
}

async function call(method: string, path: string, token: string | null, body?: object): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: await res.json() };
}

const groupsOf = async (id: string, token: string): Promise<GroupsResponse['groups']> => ((await call('GET', `/api/classrooms/${id}/groups`, token)).body as GroupsResponse).groups;

describe('splitting the class', () => {
  test('bad requests are refused with the field named and change nothing; students are dealt round-robin, get roles in their group, and play there with their own token; dissolving brings them back', { timeout: 60_000 }, async () => {
    const names = ['ana', 'ben', 'cy', 'dee', 'eli'];
    const klass = await classroomWith(server.url, names);
    const ana = klass.students.get('ana')?.token ?? '';
    const path = `/api/classrooms/${klass.id}/groups`;
    expect(await call('POST', path, null, { groups: 2, scenario: 'node-dies' })).toMatchObject({ status: 401, body: { code: 'Unauthorized' } });
    expect(await call('POST', path, ana, { groups: 2, scenario: 'node-dies' })).toMatchObject({ status: 403, body: { code: 'Forbidden' } });
    expect(await call('POST', path, klass.instructorToken, { groups: 1, scenario: 'node-dies' })).toEqual({ status: 400, body: { code: 'BadRequest', message: 'groups: Too small: expected number to be >=2' } });
    expect(await call('POST', path, klass.instructorToken, { groups: 2, scenario: 'node-dies', colour: 'red' })).toMatchObject({ status: 400, body: { code: 'BadRequest', message: expect.stringContaining('colour') } });
    expect(await call('POST', path, klass.instructorToken, { groups: 2, scenario: 'no-such-scenario' })).toMatchObject({ status: 404, body: { code: 'NotFound', message: expect.stringContaining('"no-such-scenario"') } });
    expect(await call('POST', `${path}/round`, klass.instructorToken, { action: 'start' })).toMatchObject({ status: 400, body: { message: expect.stringContaining('not split into groups') } });
    expect(await groupsOf(klass.id, klass.instructorToken)).toEqual([]);

    const split = await call('POST', path, klass.instructorToken, { groups: 2, scenario: 'node-dies', seed: 7 });
    expect(split.status).toBe(201);
    const [a, b] = (split.body as { groups: SplitGroup[] }).groups;
    expect([a?.name, a?.members.map((m) => m.name), b?.name, b?.members.map((m) => m.name)]).toEqual(['Group A', ['ana', 'cy', 'eli'], 'Group B', ['ben', 'dee']]);
    expect(await call('POST', path, klass.instructorToken, { groups: 2, scenario: 'node-dies' })).toMatchObject({ status: 409, body: { code: 'Conflict' } });

    // The host screen's view: each group in its briefing, its students with a role of the group's cluster.
    const compared = await groupsOf(klass.id, klass.instructorToken);
    expect(compared.map((g) => [g.name, g.round?.scenario, g.round?.phase, g.nodes.map((n) => `${n.name}:${n.ready}`).join(' ')])).toEqual([
      ['Group A', 'node-dies', 'briefing', 'node-1:true node-2:true node-3:true'],
      ['Group B', 'node-dies', 'briefing', 'node-1:true node-2:true node-3:true'],
    ]);
    expect(compared.flatMap((g) => g.members.map((m) => m.role)).every((role) => role !== null)).toBe(true);

    // ana's token (issued by the class) seats her in Group A's classroom.
    const seated = await connectCluster(server.url, ana);
    clients.push(seated);
    // As the app's client does: a socket the server disconnected connects again.
    seated.socket.on('disconnect', (reason) => void (reason === 'io server disconnect' && seated.socket.connect()));
    await waitFor(() => seated.view?.id === a?.id, { what: "ana's socket in Group A" });
    expect(seated.view?.members.filter((m) => m.kind === 'student').map((m) => m.name)).toEqual(['ana', 'cy', 'eli']);
    // She still reads her class's groups; another classroom's token does not.
    expect((await groupsOf(klass.id, ana)).map((g) => g.name)).toEqual(['Group A', 'Group B']);
    const stranger = await classroomWith(server.url, []);
    expect(await call('GET', path, stranger.instructorToken)).toMatchObject({ status: 403, body: { code: 'Forbidden' } });

    // Dissolved: the groups close, ana's socket comes back to the class.
    expect(await call('DELETE', path, klass.instructorToken)).toEqual({ status: 200, body: { dissolved: 2 } });
    await waitFor(() => seated.view?.id === klass.id, { what: "ana's socket back in the class", timeoutMs: 20_000 });
    expect(await groupsOf(klass.id, klass.instructorToken)).toEqual([]);
  });
});

describe('a group is a group of its class only', () => {
  test('a group cannot be split into groups of its own: 409 Conflict naming why, and nothing changes', { timeout: 60_000 }, async () => {
    const klass = await classroomWith(server.url, ['ana', 'ben'], { title: 'Period 4' });
    const split = await call('POST', `/api/classrooms/${klass.id}/groups`, klass.instructorToken, { groups: 2, scenario: 'node-dies', seed: 7 });
    expect(split.status).toBe(201);
    const [a] = (split.body as { groups: SplitGroup[] }).groups;
    if (!a) throw new Error('two groups expected');
    const before = { open: (await server.classrooms.openClassroomIds()).sort(), klass: await groupsOf(klass.id, klass.instructorToken), a: await server.classrooms.read(a.id) };

    expect(await call('POST', `/api/classrooms/${a.id}/groups`, a.instructorToken, { groups: 2, scenario: 'node-dies', seed: 7 })).toEqual({
      status: 409,
      body: { code: 'Conflict', message: `"Period 4 · Group A" is a group of a class split into groups, and a group cannot be split again: split the class from its own console (POST /api/classrooms/${klass.id}/groups)` },
    });
    // No classroom made, the class's groups as they were, Group A's students, roles and clock untouched, and no groups of its own.
    expect((await server.classrooms.openClassroomIds()).sort()).toEqual(before.open);
    expect(await groupsOf(klass.id, klass.instructorToken)).toEqual(before.klass);
    expect(await server.classrooms.read(a.id)).toEqual(before.a);
    expect(await groupsOf(a.id, a.instructorToken)).toEqual([]);
    // The class's own lock was never taken: it still dissolves at once.
    expect(await call('DELETE', `/api/classrooms/${klass.id}/groups`, klass.instructorToken)).toEqual({ status: 200, body: { dissolved: 2 } });
  });

  test('GET …/rounds/current with the class’s id and a grouped student’s class token answers with their group’s round', { timeout: 60_000 }, async () => {
    const klass = await classroomWith(server.url, ['ana', 'ben']);
    const ana = klass.students.get('ana')?.token ?? '';
    const current = `/api/classrooms/${klass.id}/rounds/current`;
    expect(await call('POST', `/api/classrooms/${klass.id}/groups`, klass.instructorToken, { groups: 2, scenario: 'node-dies', seed: 7 })).toMatchObject({ status: 201 });
    const [a] = await groupsOf(klass.id, klass.instructorToken);
    const answer = await call('GET', current, ana);
    expect(answer).toMatchObject({ status: 200, body: { scenario: 'node-dies', phase: 'briefing', startedAt: null, elapsedSeconds: 0 } });
    // Group A's round, exactly as asked at the group's own URL (the class itself has none: see below).
    expect(answer.body).toEqual((await call('GET', `/api/classrooms/${a?.id ?? ''}/rounds/current`, ana)).body);
    // The class itself has no round (it was never given one), as its instructor hears; a stranger is still refused.
    expect(await call('GET', current, klass.instructorToken)).toMatchObject({ status: 404, body: { code: 'NotFound' } });
    const stranger = await classroomWith(server.url, ['eve']);
    expect(await call('GET', current, stranger.students.get('eve')?.token ?? '')).toEqual({ status: 403, body: { code: 'Forbidden', message: `this token is for another classroom, not "${klass.id}"` } });
    // Back in the class, her token answers for the class again.
    expect(await call('DELETE', `/api/classrooms/${klass.id}/groups`, klass.instructorToken)).toMatchObject({ status: 200 });
    expect(await call('GET', current, ana)).toMatchObject({ status: 404, body: { code: 'NotFound' } });
  });
});

describe('two groups play side by side', () => {
  test('[acceptance] two bots-only groups play "node-dies" to won at once, and neither cluster is touched by the other', { timeout: 150_000 }, async () => {
    const klass = await botClassroom(server.url);
    clients.push(klass.instructor);
    expect(await klass.instructor.instructor({ kind: 'setBotPace', secondsPerAction: 2 })).toMatchObject({ ok: true });
    const split = await call('POST', `/api/classrooms/${klass.id}/groups`, klass.instructorToken, { groups: 2, scenario: 'node-dies', seed: 7, timeScale: 10, start: true });
    expect(split.status).toBe(201);
    const groups = (split.body as { groups: SplitGroup[] }).groups;
    const watchers = await Promise.all(groups.map((g) => roundClient(server.url, g.instructorToken)));
    clients.push(...watchers);

    // Whichever group wins first stops (its class pauses with the round): its cluster must stay
    // exactly as it is while the other group plays on to its own win.
    const first = await waitFor(() => watchers.findIndex((w) => w.round?.phase === 'won' || w.round?.phase === 'lost') + 1 || undefined, { what: 'a group to finish', timeoutMs: 120_000, intervalMs: 100 });
    const firstFinishedAt = Date.now();
    const [done, other] = first === 1 ? [groups[0], groups[1]] : [groups[1], groups[0]];
    const otherWatcher = watchers[first === 1 ? 1 : 0];
    if (!done || !other || !otherWatcher) throw new Error('two groups expected');
    const otherAtFinish = BigInt((await storeObjects(server.cluster.store, other.id)).resourceVersion);
    let settled = await storeObjects(server.cluster.store, done.id);
    // A move that was under way when the round ended may still land: wait until the store is still.
    await waitFor(
      async () => {
        const again = await storeObjects(server.cluster.store, done.id);
        const still = again.resourceVersion === settled.resourceVersion;
        settled = again;
        return still;
      },
      { what: 'the finished group to be still', intervalMs: 1000 },
    );
    // On a quick machine the other group may win within moments of the first: then there is no
    // "plays on" to watch (its goals may be met, and its writes over, a little before its win is
    // announced), but its own cluster still must not have touched the finished one's. Won 3 s or more
    // after the first (30 simulated s at 10x: its kubelets renew their Leases every 10), it wrote since.
    expect((await roundIs(otherWatcher, ['won', 'lost'], 'the other group to finish', 120_000)).phase).toBe('won');
    const otherPlayedOn = Date.now() - firstFinishedAt >= 3000;
    // The other group kept writing to its own cluster; not one object of the finished group's changed.
    if (otherPlayedOn) expect(BigInt((await storeObjects(server.cluster.store, other.id)).resourceVersion)).toBeGreaterThan(otherAtFinish);
    expect(await storeObjects(server.cluster.store, done.id)).toEqual(settled);

    // Both won, each in its own request log: exactly its own two scenario steps.
    const compared = await groupsOf(klass.id, klass.instructorToken);
    expect(compared.map((g) => [g.name, g.round?.phase, g.round?.goals.every((goal) => goal.met)])).toEqual([
      ['Group A', 'won', true],
      ['Group B', 'won', true],
    ]);
    for (const group of groups) {
      const faults = (await server.cluster.store.readRequestLog(group.id, 5000)).filter((e) => e.actor === 'instructor' && e.verb === 'fault').map((e) => e.message);
      expect(faults).toEqual(['the kubelet on node-2 is stopped', 'node/node-4 created: its kubelet, container runtime and kube-proxy are new roles']);
    }
    // No object is shared: every uid of one cluster is absent from the other.
    const uids = async (id: string) => new Set((await server.cluster.store.snapshot(id)).objects.map((o) => o.metadata.uid));
    const [uidsA, uidsB] = await Promise.all(groups.map((g) => uids(g.id)));
    expect([...(uidsA ?? [])].filter((uid) => uidsB?.has(uid))).toEqual([]);
  });
});
