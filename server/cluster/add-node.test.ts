import { describe, expect, test } from 'vitest';
import type { ClassroomView } from '@shared/protocol';
import { getObject } from '@shared/protocol/watch-reducer';
import { MAX_NODES } from '../classroom/repository';
import { RefusalError } from '../classroom/refusal-error';
import { nodeInternalIP, nodePodCIDR } from './bootstrap';
import { waitFor } from '../testing/wait';
import { classroomWith, type ClusterClient } from './testing/cluster-client';
import { suiteServer } from './testing/suite-server';
import { lobbySettled } from './testing/lobby-settled';

const suite = suiteServer('add-node');

async function connect(token: string): Promise<ClusterClient & { views: ClassroomView[] }> {
  const client = await suite.connect(token);
  const views: ClassroomView[] = [];
  client.socket.on('classroom', (view) => views.push(view));
  return Object.assign(client, { views });
}

const BIG_POD = `
apiVersion: v1
kind: Pod
metadata: { name: big, namespace: default }
spec: { containers: [{ name: app, image: "nginx:1.27", resources: { requests: { cpu: "3" } } }] }
`;

describe("the instructor's fault: add a node", () => {
  test('node-4 registers Ready with the asked capacity on every screen, and its kubelet, container runtime and kube-proxy become seats played by bots', async () => {
    const classroom = await classroomWith(suite.server.url, ['kim']);
    const instructor = await connect(classroom.instructorToken);
    const kim = await connect(classroom.students.get('kim')?.token ?? '');

    expect(await instructor.instructor({ kind: 'fault', fault: { type: 'addNode', cpu: '4', memory: '8Gi' } })).toMatchObject({ ok: true, message: expect.stringContaining('node/node-4 created') });

    for (const client of [instructor, kim]) {
      const node = await waitFor(() => getObject(client.state, 'Node', 'node-4'), { what: 'the new Node on every screen' });
      expect(node.status?.capacity).toMatchObject({ cpu: '4', memory: '8Gi' });
      expect(node.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
      const view = await waitFor(() => client.views.find((v) => v.nodes.includes('node-4')), { what: 'the classroom view with node-4' });
      expect(view.nodes).toEqual(['node-1', 'node-2', 'node-3', 'node-4']);
      expect(view.seats.filter((s) => s.role.endsWith(':node-4'))).toEqual([
        { role: 'kubelet:node-4', studentIds: [], leaderId: null, bot: 'playing', botHelp: true },
        { role: 'container-runtime:node-4', studentIds: [], leaderId: null, bot: 'playing', botHelp: true },
        { role: 'kube-proxy:node-4', studentIds: [], leaderId: null, bot: 'playing', botHelp: true },
      ]);
    }
    // The same objects as the first nodes': its node Lease, its container runtime, its kube-proxy table.
    await waitFor(() => getObject(instructor.state, 'Lease', 'node-4', 'kube-node-lease') && getObject(instructor.state, 'ContainerRuntime', 'node-4') && getObject(instructor.state, 'ProxyTable', 'node-4'), {
      what: "node-4's Lease, ContainerRuntime and ProxyTable",
    });
    expect(getObject(instructor.state, 'Node', 'node-4')?.spec.podCIDR).toBe('10.244.3.0/24');
    // Without a capacity the node gets the classroom's default, as the first nodes did.
    expect(await instructor.instructor({ kind: 'fault', fault: { type: 'addNode' } })).toMatchObject({ ok: true });
    const fifth = await waitFor(() => getObject(kim.state, 'Node', 'node-5'), { what: 'node-5' });
    expect(fifth.status?.capacity).toEqual(getObject(kim.state, 'Node', 'node-1')?.status?.capacity);
  });

  test('[kube-scheduler] a pod that fit nowhere (Insufficient cpu) is bound to the added node by the scheduler bot and started by its kubelet bot', { timeout: 60_000 }, async () => {
    const classroom = await classroomWith(suite.server.url, []);
    const instructor = await connect(classroom.instructorToken);
    for (const action of [{ kind: 'setTimeScale', timeScale: 20 }, { kind: 'setBotPace', secondsPerAction: 1 }, { kind: 'start' }] as const) {
      expect(await instructor.instructor(action)).toMatchObject({ ok: true });
    }
    expect(await instructor.instructor({ kind: 'apply', manifest: BIG_POD })).toMatchObject({ ok: true });
    const unschedulable = await waitFor(() => getObject(instructor.state, 'Pod', 'big', 'default')?.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False'), {
      what: 'the scheduler to find no node for the big pod',
      timeoutMs: 20_000,
    });
    expect(unschedulable.message).toContain('Insufficient cpu');

    expect(await instructor.instructor({ kind: 'fault', fault: { type: 'addNode', cpu: '4', memory: '4Gi' } })).toMatchObject({ ok: true });
    await waitFor(() => getObject(instructor.state, 'Pod', 'big', 'default')?.spec.nodeName === 'node-4', { what: 'the big pod bound to node-4', timeoutMs: 20_000 });
    await waitFor(() => getObject(instructor.state, 'Pod', 'big', 'default')?.status?.phase === 'Running', { what: "node-4's kubelet bot to run the big pod", timeoutMs: 30_000 });
  });

  test('a capacity that is not a quantity is refused with BadRequest and nothing is written', async () => {
    const classroom = await classroomWith(suite.server.url, []);
    const instructor = await connect(classroom.instructorToken);
    await lobbySettled(suite.server.cluster.runtime.store, classroom.id);
    const before = await suite.server.cluster.runtime.store.snapshot(classroom.id);
    for (const fault of [{ cpu: 'two' }, { memory: '-1Gi' }] as const) {
      expect(await instructor.instructor({ kind: 'fault', fault: { type: 'addNode', ...fault } })).toMatchObject({
        ok: false,
        code: 'BadRequest',
        message: expect.stringMatching(/status\.capacity\[(cpu|memory)\]: Invalid value/),
      });
    }
    expect((await suite.server.classrooms.view(classroom.id))?.nodes).toEqual(['node-1', 'node-2', 'node-3']);
    expect((await suite.server.cluster.runtime.store.snapshot(classroom.id)).resourceVersion).toBe(before.resourceVersion);
  });

  test('a student sending the fault is Forbidden and the cluster keeps its nodes', async () => {
    const classroom = await classroomWith(suite.server.url, ['kim']);
    const kim = await connect(classroom.students.get('kim')?.token ?? '');
    expect(await kim.instructor({ kind: 'fault', fault: { type: 'addNode' } })).toMatchObject({ ok: false, code: 'Forbidden' });
    expect((await suite.server.classrooms.view(classroom.id))?.nodes).toEqual(['node-1', 'node-2', 'node-3']);
  });

  test('two clicks at once give two distinct nodes; past the maximum the instructor is told why', async () => {
    const classroom = await classroomWith(suite.server.url, []);
    const [a, b] = [await connect(classroom.instructorToken), await connect(classroom.instructorToken)];
    const replies = await Promise.all([a, b].map((c) => c.instructor({ kind: 'fault', fault: { type: 'addNode' } })));
    expect(replies.map((r) => r.ok)).toEqual([true, true]);
    expect(new Set(replies.map((r) => /node\/(node-\d+)/.exec(r.message ?? '')?.[1]))).toEqual(new Set(['node-4', 'node-5']));
    await waitFor(() => getObject(a.state, 'Node', 'node-4') && getObject(a.state, 'Node', 'node-5'), { what: 'both new Nodes' });

    // Straight at the repository, with no per-process lock in between: the Lua step alone keeps them apart.
    const outcomes = await Promise.allSettled(Array.from({ length: MAX_NODES }, () => suite.server.classrooms.addNode(classroom.id)));
    const added = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value.name] : []));
    expect(new Set(added).size).toBe(MAX_NODES - 5);
    const refused = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as unknown] : []));
    expect(refused).toHaveLength(5);
    expect(refused[0]).toBeInstanceOf(RefusalError);
    expect(refused[0]).toMatchObject({ code: 'Forbidden', message: expect.stringContaining(`maximum of ${MAX_NODES} worker nodes`) });
    const nodes = (await suite.server.classrooms.view(classroom.id))?.nodes ?? [];
    expect(nodes).toEqual(Array.from({ length: MAX_NODES }, (_, i) => `node-${i + 1}`));
    expect(await a.instructor({ kind: 'fault', fault: { type: 'addNode' } })).toMatchObject({ ok: false, code: 'Forbidden', message: expect.stringContaining('maximum') });
  });
});

test('a classroom of up to 1,000 nodes gives every node its own pod CIDR and address (the first 250 keep 10.244.<i>.0/24 and 192.168.0.<i+2>)', () => {
  expect([nodePodCIDR(0), nodeInternalIP(0)]).toEqual(['10.244.0.0/24', '192.168.0.2']);
  expect([nodePodCIDR(249), nodeInternalIP(249)]).toEqual(['10.244.249.0/24', '192.168.0.251']);
  expect([nodePodCIDR(299), nodeInternalIP(299)]).toEqual(['10.245.43.0/24', '192.168.1.51']);
  const indexes = Array.from({ length: 1000 }, (_, i) => i);
  expect(new Set(indexes.map(nodePodCIDR)).size).toBe(1000);
  expect(new Set(indexes.map(nodeInternalIP)).size).toBe(1000);
  expect(indexes.map(nodeInternalIP).every((ip) => ip.split('.').every((part) => Number(part) <= 255))).toBe(true);
});
