import { describe, expect, test } from 'vitest';
import { fromRFC3339, getCondition, type ProxyTable } from '@shared/model';
import type { ApiRequestEntry, ClusterAction } from '@shared/protocol';
import { allObjects, getObject } from '@shared/protocol/watch-reducer';
import { ClusterState, legalMoves, sameMove } from '@shared/sim';
import { waitFor } from '../testing/wait';
import { assignRoles, classroomWith, type ClusterClient } from './testing/cluster-client';
import { suiteServer, WIDE_SOCKET_BUDGET } from './testing/suite-server';

const suite = suiteServer('api', WIDE_SOCKET_BUDGET);

const connect = (token: string): Promise<ClusterClient> => suite.connect(token);

/** What must be equal whoever made the move: everything but who, and when. */
const sansActor = ({ id: _id, wallTime: _w, simTime: _s, actor: _a, actorName: _n, ...rest }: ApiRequestEntry): Omit<ApiRequestEntry, 'id' | 'wallTime' | 'simTime' | 'actor' | 'actorName'> => rest;

describe('one API server path for students, bots and the instructor', () => {
  test('the same move made by a student and by a bot gives the same request-log entry, but for the actor', { timeout: 60_000 }, async () => {
    const classroom = await classroomWith(suite.server.url, ['kim'], { nodes: 2 });
    const instructor = await connect(classroom.instructorToken);
    const kim = await connect(classroom.students.get('kim')?.token ?? '');
    // Bots far apart: between this test's own moves nobody else acts.
    for (const action of [{ kind: 'setBotPace', secondsPerAction: 120 }, { kind: 'start' }] as const) expect(await instructor.instructor(action)).toMatchObject({ ok: true });
    await assignRoles(instructor, classroom, { kim: 'kube-proxy:node-1' });
    const move: ClusterAction = { kind: 'syncProxyRules', node: 'node-1', service: 'web' };
    // As kim's screen would: the button is enabled once the rulebook lists the move (minSyncPeriod passed).
    await waitFor(() => legalMoves('kube-proxy:node-1', ClusterState.from(allObjects(kim.state)), kim.simNow()).some((m) => sameMove(m.action, move)), { what: 'the sync to be a legal move' });
    const store = suite.server.cluster.store;
    const before = await store.get(classroom.id, { kind: 'ProxyTable', name: 'node-1' });
    const byStudent = await kim.act(move);
    expect(byStudent).toMatchObject({ ok: true, message: 'program default/web -> [] on node-1' });
    const student = await waitFor(() => instructor.requests.find((r) => r.actor.startsWith('student:') && r.verb === 'syncProxyRules'), { what: "kim's entry" });

    // Back to the table as it was, and the seat back to the bot: the same move is legal again.
    const current = await store.get(classroom.id, { kind: 'ProxyTable', name: 'node-1' });
    await store.update(classroom.id, { ...before, metadata: { ...before.metadata, resourceVersion: current.metadata.resourceVersion } } as ProxyTable, { actor: 'test', simTime: 0 });
    await assignRoles(instructor, classroom, { kim: null as unknown as 'kube-proxy:node-1' });
    await waitFor(() => instructor.view?.seats.find((s) => s.role === 'kube-proxy:node-1')?.bot === 'playing', { what: 'the bot to play kube-proxy on node-1 again' });
    const { reply, entry: bot } = await suite.server.cluster.api.act({ kind: 'bot', classroomId: classroom.id, role: 'kube-proxy:node-1' }, move);
    expect(reply).toMatchObject({ ok: true });

    expect([student.actor.split(':')[0], bot.actor, bot.actorName]).toEqual(['student', 'bot:kube-proxy:node-1', 'bot']);
    expect(sansActor(bot)).toEqual(sansActor(student));
    expect(sansActor(bot)).toEqual({ role: 'kube-proxy:node-1', verb: 'syncProxyRules', target: 'services/web', outcome: 'accepted', message: 'program default/web -> [] on node-1' });
  });

  test("the instructor's cluster requests are in the request log too", async () => {
    const classroom = await classroomWith(suite.server.url, [], { nodes: 2 });
    const instructor = await connect(classroom.instructorToken);
    expect(await instructor.instructor({ kind: 'fault', fault: { type: 'stopKubelet', node: 'node-2' } })).toMatchObject({ ok: true });
    const entry = await waitFor(() => instructor.requests.find((r) => r.verb === 'fault'), { what: 'the fault in the request log' });
    expect(entry).toMatchObject({ actor: 'instructor', role: null, target: 'nodes/node-2', outcome: 'accepted', message: 'the kubelet on node-2 is stopped' });
    const stored = await suite.server.cluster.store.readRequestLog(classroom.id, 100);
    expect(stored.map((r) => r.id)).toContain(entry.id);
  });

  test('a refused move explains what the role can do instead, and writes nothing', async () => {
    const classroom = await classroomWith(suite.server.url, ['kim'], { nodes: 2 });
    const instructor = await connect(classroom.instructorToken);
    const kim = await connect(classroom.students.get('kim')?.token ?? '');
    await assignRoles(instructor, classroom, { kim: 'kubelet:node-1' });
    const rv = (await suite.server.cluster.store.snapshot(classroom.id)).resourceVersion;
    expect(await kim.act({ kind: 'pullImage', node: 'node-1', pod: 'nope', container: 'app' })).toEqual({ ok: false, code: 'NotFound', message: 'pods "nope" not found on node-1' });
    expect(await kim.act({ kind: 'renewLease', node: 'node-1' })).toMatchObject({ ok: false, code: 'Invalid', message: expect.stringContaining('renews its Lease by itself every 10 s') });
    expect((await suite.server.cluster.store.snapshot(classroom.id)).resourceVersion).toBe(rv);
  });
});

describe('who reads the request log live', () => {
  test('a refusal goes to its sender and the instructor only; an accepted request to the whole class', async () => {
    const classroom = await classroomWith(suite.server.url, ['kim', 'sam'], { nodes: 1 });
    const instructor = await connect(classroom.instructorToken);
    const kim = await connect(classroom.students.get('kim')?.token ?? '');
    const sam = await connect(classroom.students.get('sam')?.token ?? '');
    await assignRoles(instructor, classroom, { kim: 'kubelet:node-1', sam: 'scheduler' });
    expect(await kim.act({ kind: 'pullImage', node: 'node-1', pod: 'nope', container: 'app' })).toMatchObject({ ok: false, code: 'NotFound' });
    const refused = (c: ClusterClient) => c.requests.find((r) => r.outcome === 'refused' && r.verb === 'pullImage');
    await waitFor(() => refused(kim) && refused(instructor), { what: 'the refusal at kim and the instructor' });
    // An accepted request after it reaches sam; the refusal never did.
    expect(await instructor.instructor({ kind: 'fault', fault: { type: 'manualHeartbeat', node: 'node-1', manual: true } })).toMatchObject({ ok: true });
    await waitFor(() => sam.requests.find((r) => r.verb === 'fault'), { what: 'the accepted fault at sam' });
    expect(refused(sam)).toBeUndefined();
  });
});

describe("the kubelet's heartbeat is its own loop", () => {
  test('a connected student who never clicks keeps the node Ready; a stopped kubelet goes Unknown however the controller manager is played', { timeout: 90_000 }, async () => {
    const classroom = await classroomWith(suite.server.url, ['kim', 'cem'], { nodes: 2 });
    const instructor = await connect(classroom.instructorToken);
    await connect(classroom.students.get('kim')?.token ?? '');
    await connect(classroom.students.get('cem')?.token ?? '');
    // cem plays the controller manager and never marks anything: after one missed prompt the bot's node lifecycle loop does.
    await assignRoles(instructor, classroom, { kim: 'kubelet:node-1', cem: 'controller-manager' });
    // Time scale 10: a 40 s Lease is 4 s of wall time, more than a loaded machine stalls a process.
    for (const action of [{ kind: 'setTimeScale', timeScale: 10 }, { kind: 'start' }] as const) expect(await instructor.instructor(action)).toMatchObject({ ok: true });
    const renewed = (node: string): number => fromRFC3339(getObject(instructor.state, 'Lease', node, 'kube-node-lease')?.spec.renewTime ?? '1970-01-01T00:00:00.000000Z');
    const first = renewed('node-1');
    // 80 simulated seconds: the Lease is renewed every 10 s by the kubelet's loop, by system:node:node-1.
    await waitFor(() => renewed('node-1') >= first + 70_000, { what: 'node-1 renewing its Lease for 80 simulated seconds', timeoutMs: 60_000, intervalMs: 100 });
    const log = await suite.server.cluster.store.readLog(classroom.id, '0', 100_000);
    // Renewed by the kubelet's loop (never the student), always before the 40 s Lease ran out. How many
    // renewals fit in 80 s depends on how late a loaded machine fires the 10 s timer, so no count.
    const renewals = log.filter((e) => e.actor === 'system:node:node-1' && e.object.kind === 'Lease').map((e) => e.simTime);
    expect(renewals.length).toBeGreaterThanOrEqual(3);
    const gaps = renewals.slice(1).map((t, i) => t - (renewals[i] ?? t));
    expect(Math.max(...gaps)).toBeLessThan(40_000);
    expect(getCondition(getObject(instructor.state, 'Node', 'node-1')?.status?.conditions, 'Ready')?.status).toBe('True');

    expect(await instructor.instructor({ kind: 'fault', fault: { type: 'stopKubelet', node: 'node-1' } })).toMatchObject({ ok: true });
    const node = await waitFor(
      () => {
        const n = getObject(instructor.state, 'Node', 'node-1');
        return getCondition(n?.status?.conditions, 'Ready')?.status === 'Unknown' && n;
      },
      { what: 'node-1 to be marked Unknown', timeoutMs: 60_000, intervalMs: 100 },
    );
    const marked = getCondition(node.status?.conditions, 'Ready');
    expect([marked?.reason, marked?.message]).toEqual(['NodeStatusUnknown', 'Kubelet stopped posting node status.']);
    // One missed prompt: not before the grace period (50 s) and one more have passed since the last
    // renewal (lastTransitionTime is RFC 3339 to the second, the Lease's renewTime to the microsecond).
    expect(fromRFC3339(marked?.lastTransitionTime ?? '') - renewed('node-1')).toBeGreaterThan(99_000);
    // The request log is appended off the request's path, so it may trail the change the class saw.
    const marking = await waitFor(
      async () => (await suite.server.cluster.store.readRequestLog(classroom.id, 1000)).find((r) => r.verb === 'setNodeCondition' && r.outcome === 'accepted'),
      { what: "the accepted setNodeCondition in the classroom's request log", timeoutMs: 10_000, intervalMs: 100 },
    );
    expect(marking).toMatchObject({ actor: 'bot:controller-manager', target: 'nodes/node-1' });
  });
});
