import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { makePod, type Pod } from '@shared/model';
import { getObject, listObjects } from '@shared/protocol/watch-reducer';
import type { RunningServer } from '../app';
import { assignRoles, classroomWith, connectCluster, type Classroom, type ClusterClient } from '../cluster/testing/cluster-client';
import { startTestServer } from '../testing/test-server';
import { waitFor } from '../testing/wait';

// The class stays in the lobby: no bot moves, no timer fires, so the store's resourceVersion only
// moves when a request is accepted.
let server: RunningServer;
let classroom: Classroom;
let instructor: ClusterClient;
let kubelet1: ClusterClient;
let scheduler: ClusterClient;
const rvOf = async () => (await server.cluster.runtime.store.list(classroom.id, 'Node')).resourceVersion;

beforeAll(async () => {
  server = await startTestServer({ JOIN_RATE_LIMIT: '100000', REDIS_KEY_PREFIX: `${inject('redisKeyPrefix')}-actions` });
  classroom = await classroomWith(server.url, ['ada', 'bob']);
  instructor = await connectCluster(server.url, classroom.instructorToken);
  await assignRoles(instructor, classroom, { ada: 'kubelet:node-1', bob: 'scheduler' });
  kubelet1 = await connectCluster(server.url, classroom.students.get('ada')?.token ?? '');
  scheduler = await connectCluster(server.url, classroom.students.get('bob')?.token ?? '');
  // bob is the only scheduler: the election gives him the kube-scheduler Lease.
  await waitFor(() => getObject(scheduler.state, 'Lease', 'kube-scheduler', 'kube-system')?.spec.holderIdentity === classroom.students.get('bob')?.studentId, { what: 'the scheduler Lease' });
  const big: Pod = makePod('big', { requests: { cpu: '3', memory: '64Mi' } });
  const created = await server.cluster.runtime.store.create(classroom.id, big, { actor: 'instructor', simTime: 0 });
  await scheduler.reached(created.metadata.resourceVersion);
});

afterAll(async () => {
  for (const c of [instructor, kubelet1, scheduler]) c?.close();
  await server?.close();
});

describe('refused requests write nothing and say why', () => {
  test('[NodeAuthorizer] a kubelet acting for another node is Forbidden', async () => {
    const before = await rvOf();
    const reply = await kubelet1.act({ kind: 'renewLease', node: 'node-2' });
    expect(reply).toEqual({ ok: false, code: 'Forbidden', message: expect.stringContaining('acts only for its own node node-1, not for node-2') });
    expect(await rvOf()).toBe(before);
    await waitFor(() => kubelet1.requests.some((r) => r.verb === 'renewLease' && r.outcome === 'refused' && r.code === 'Forbidden'), { what: 'the refusal in the request log' });
    const log = await server.cluster.runtime.store.readRequestLog(classroom.id, 10);
    expect(log.at(-1)).toMatchObject({ verb: 'renewLease', target: 'leases/node-2', outcome: 'refused', code: 'Forbidden', actorName: 'ada', role: 'kubelet:node-1' });
  });

  test('[RBAC] a student sending an instructor request is Forbidden', async () => {
    const before = await rvOf();
    const reply = await scheduler.instructor({ kind: 'apply', manifest: 'kind: Pod' });
    expect(reply).toMatchObject({ ok: false, code: 'Forbidden' });
    expect(await rvOf()).toBe(before);
  });

  test('[RBAC] a kubelet sending the scheduler\'s bind is Forbidden', async () => {
    const pod = getObject(kubelet1.state, 'Pod', 'big');
    const reply = await kubelet1.act({ kind: 'bind', pod: 'big', node: 'node-1', resourceVersion: pod?.metadata.resourceVersion ?? '0' });
    expect(reply).toMatchObject({ ok: false, code: 'Forbidden', message: expect.stringContaining('only the scheduler sends that request') });
  });

  test('[NodeResourcesFit] a bind to a node without room is Unschedulable with the scheduler\'s reason', async () => {
    const before = await rvOf();
    const pod = getObject(scheduler.state, 'Pod', 'big');
    const reply = await scheduler.act({ kind: 'bind', pod: 'big', node: 'node-1', resourceVersion: pod?.metadata.resourceVersion ?? '0' });
    expect(reply).toEqual({
      ok: false,
      code: 'Unschedulable',
      message: expect.stringContaining('0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.'),
    });
    expect(await rvOf()).toBe(before);
  });

  test('[optimistic concurrency] a bind carrying a stale resourceVersion is a Conflict', async () => {
    const store = server.cluster.runtime.store;
    const small = await store.create(classroom.id, makePod('small', { requests: { cpu: '100m', memory: '64Mi' } }), { actor: 'instructor', simTime: 0 });
    const seen = small.metadata.resourceVersion;
    const moved = await store.update(classroom.id, { ...small, metadata: { ...small.metadata, labels: { tier: 'web' } } }, { actor: 'instructor', simTime: 0 });
    await scheduler.reached(moved.metadata.resourceVersion);
    const before = await rvOf();
    const reply = await scheduler.act({ kind: 'bind', pod: 'small', node: 'node-1', resourceVersion: seen });
    expect(reply).toEqual({
      ok: false,
      code: 'Conflict',
      message: 'Operation cannot be fulfilled on pods "small": the object has been modified; please apply your changes to the latest version and try again',
    });
    expect(await rvOf()).toBe(before);
  });

  test('a malformed action is a BadRequest naming the field', async () => {
    const reply = await scheduler.act({ kind: 'bind', pod: 'Not A Name', node: 'node-1', resourceVersion: '1' });
    expect(reply).toMatchObject({ ok: false, code: 'BadRequest', message: expect.stringContaining('pod') });
  });

  test('[pods/binding] the same bind with the version the scheduler saw is accepted and every client sees it', async () => {
    const pod = getObject(scheduler.state, 'Pod', 'small');
    const reply = await scheduler.act({ kind: 'bind', pod: 'small', node: 'node-1', resourceVersion: pod?.metadata.resourceVersion ?? '0' });
    expect(reply).toMatchObject({ ok: true, resourceVersion: expect.stringMatching(/^\d+$/) });
    if (!reply.ok) return;
    await instructor.reached(reply.resourceVersion ?? '');
    const bound = listObjects(instructor.state, 'Pod').find((p) => p.metadata.name === 'small');
    expect(bound?.spec.nodeName).toBe('node-1');
    expect(bound?.status?.conditions?.find((c) => c.type === 'PodScheduled')?.status).toBe('True');
  });

  test('an accepted move\'s change reaches its sender before its ack: the screen holds it when the move is known accepted', async () => {
    const store = server.cluster.runtime.store;
    const names = Array.from({ length: 5 }, (_, i) => `first-${i}`);
    let last = '0';
    for (const name of names) last = (await store.create(classroom.id, makePod(name), { actor: 'instructor', simTime: 0 })).metadata.resourceVersion;
    await scheduler.reached(last);
    for (const name of names) {
      const pod = getObject(scheduler.state, 'Pod', name);
      const action = { kind: 'bind', pod: name, node: 'node-1', resourceVersion: pod?.metadata.resourceVersion ?? '0' } as const;
      // The ack's callback runs as its frame is read: the version the sender's state holds then.
      const { reply, heldAtAck } = await new Promise<{ reply: { ok: boolean; resourceVersion?: string }; heldAtAck: string }>((resolve) =>
        scheduler.socket.emit('action', action, (answer) => resolve({ reply: answer, heldAtAck: scheduler.state.resourceVersion })),
      );
      expect(reply).toMatchObject({ ok: true, resourceVersion: expect.stringMatching(/^\d+$/) });
      expect(BigInt(heldAtAck)).toBeGreaterThanOrEqual(BigInt(reply.resourceVersion ?? 'x'));
    }
  });

  test('a move\'s request-log entry reaches every client in the watch message of its last change, not in a message of its own', async () => {
    const store = server.cluster.runtime.store;
    const names = Array.from({ length: 8 }, (_, i) => `together-${i}`);
    let last = '0';
    for (const name of names) last = (await store.create(classroom.id, makePod(name), { actor: 'instructor', simTime: 0 })).metadata.resourceVersion;
    await scheduler.reached(last);
    const messages: Array<{ events: string[]; entries: string[] }> = [];
    const record = (events: { object: { metadata: { name?: string } } }[], entries?: { target: string }[]) =>
      messages.push({ events: events.map((e) => `pods/${e.object.metadata.name ?? ''}`), entries: (entries ?? []).map((e) => e.target) });
    instructor.socket.on('watch', record);
    try {
      for (const name of names) {
        const pod = getObject(scheduler.state, 'Pod', name);
        const reply = await scheduler.act({ kind: 'bind', pod: name, node: 'node-2', resourceVersion: pod?.metadata.resourceVersion ?? '0' });
        expect(reply).toMatchObject({ ok: true });
        await waitFor(() => instructor.requests.some((r) => r.target === `pods/${name}`) && messages.some((m) => m.events.includes(`pods/${name}`)), { what: `${name}'s change and entry at the instructor` });
      }
    } finally {
      instructor.socket.off('watch', record);
    }
    // Every entry arrived once, in order; a bind writes the Pod, then its Scheduled Event, and
    // its entry (decided after both) mostly rides with the Event (a loaded machine may split a turn).
    expect(messages.flatMap((m) => m.entries)).toEqual(names.map((n) => `pods/${n}`));
    const alone = messages.filter((m) => m.entries.length && !m.events.length);
    expect(alone.length).toBeLessThan(names.length / 2);
    expect(messages.filter((m) => m.entries.length && m.events.length).every((m) => m.entries.every((target) => m.events.some((e) => e.startsWith(`${target}.`))))).toBe(true);
  });
});
