import { afterAll, beforeAll, describe, expect, inject, test, vi } from 'vitest';
import { isPodReady } from '@shared/model';
import { getObject, listObjects } from '@shared/protocol/watch-reducer';
import type { RunningServer } from '../app';
import { assignRoles, classroomWith, clientObjects, connectCluster, storeObjects, type ClusterClient } from '../cluster/testing/cluster-client';
import { moveOnce, roundDone } from '../cluster/testing/players';
import { DEMO_APP, DEMO_REPLICAS } from '../cluster/bootstrap';
import { monitorKey } from '../testing/key-monitor';
import { startTestServer } from '../testing/test-server';
import { SimLoops } from '../jobs/sim-loops';
import { BotPlayers } from './bot-players';
import { waitFor } from '../testing/wait';

let server: RunningServer;
const clients: ClusterClient[] = [];

beforeAll(async () => {
  server = await startTestServer({ JOIN_RATE_LIMIT: '100000', REDIS_KEY_PREFIX: `${inject('redisKeyPrefix')}-bots`, SEAT_GRACE_SECONDS: '1', SOCKET_RATE_PER_SECOND: '1000', SOCKET_RATE_BURST: '1000' });
});

afterAll(async () => {
  for (const c of clients) c.close();
  await server?.close();
});

async function instructorOf(url: string, token: string): Promise<ClusterClient> {
  const instructor = await connectCluster(url, token);
  clients.push(instructor);
  return instructor;
}

type StartAction = { kind: 'setTimeScale'; timeScale: number } | { kind: 'setBotPace'; secondsPerAction: number };

/** A classroom of bots only, its instructor connected, and the class started after `settings`. */
async function botsOnlyClassroom(...settings: StartAction[]): Promise<{ classroom: Awaited<ReturnType<typeof classroomWith>>; instructor: ClusterClient }> {
  const classroom = await classroomWith(server.url, []);
  const instructor = await instructorOf(server.url, classroom.instructorToken);
  for (const action of [...settings, { kind: 'start' } as const]) {
    expect(await instructor.instructor(action)).toMatchObject({ ok: true });
  }
  return { classroom, instructor };
}

describe('bots play every role nobody plays', () => {
  test('with bots in every role a classroom runs by itself to a Ready, reachable Deployment', { timeout: 60_000 }, async () => {
    const { classroom, instructor } = await botsOnlyClassroom({ kind: 'setTimeScale', timeScale: 20 }, { kind: 'setBotPace', secondsPerAction: 1 });
    await waitFor(() => roundDone(instructor.state), { what: 'the bots to bring the Deployment up', timeoutMs: 45_000, intervalMs: 100 });
    // The bots hold the control-plane Leases while nobody else does.
    expect(getObject(instructor.state, 'Lease', 'kube-scheduler', 'kube-system')?.spec.holderIdentity).toBe('bot:scheduler');
    const log = await server.cluster.runtime.store.readLog(classroom.id, '0', 10_000);
    expect(new Set(log.map((e) => e.actor.split(':')[0]))).toEqual(new Set(['system', 'bot']));
    // The bots' requests are in the API request log like anyone's, and reach the class as they happen.
    const requests = await server.cluster.runtime.store.readRequestLog(classroom.id, 2000);
    const binds = requests.filter((r) => r.actor === 'bot:scheduler' && r.verb === 'bind' && r.outcome === 'accepted');
    expect(binds.map((r) => r.target)).toHaveLength(3);
    expect(instructor.requests.some((r) => r.actor === 'bot:kubelet:node-1' && r.role === 'kubelet:node-1')).toBe(true);
    await waitFor(async () => JSON.stringify(clientObjects(instructor.state)) === JSON.stringify(await storeObjects(server.cluster.runtime.store, classroom.id)), {
      what: 'the instructor to hold the store\'s objects',
    });
  });

  test('a student taking a kubelet mid pod-start stops its bot at once, and the bot finishes after the seat is handed back, with no action lost or doubled', { timeout: 90_000 }, async () => {
    const classroom = await classroomWith(server.url, ['kim']);
    const instructor = await instructorOf(server.url, classroom.instructorToken);
    const kim = await connectCluster(server.url, classroom.students.get('kim')?.token ?? '');
    clients.push(kim);
    for (const action of [{ kind: 'setTimeScale', timeScale: 5 }, { kind: 'setBotPace', secondsPerAction: 2 }, { kind: 'start' }] as const) {
      expect(await instructor.instructor(action)).toMatchObject({ ok: true });
    }
    // Mid-way: the kubelet bot of node-1 has sent the runtime a call, and no pod of node-1 is Ready yet.
    await waitFor(
      () => {
        const calls = getObject(instructor.state, 'ContainerRuntime', 'node-1')?.status.calls.length ?? 0;
        const ready = listObjects(instructor.state, 'Pod').some((p) => p.spec.nodeName === 'node-1' && isPodReady(p));
        return calls > 0 && !ready;
      },
      { what: 'node-1 mid-way through starting a pod', timeoutMs: 30_000, intervalMs: 20 },
    );
    await assignRoles(instructor, classroom, { kim: 'kubelet:node-1' });
    // kim makes one move of the pod start herself, on the state the bot left, then holds the seat
    // for 10 simulated seconds (the bot's 2 s pace would have acted several times meanwhile).
    const move = await moveOnce(kim, 'kubelet:node-1');
    expect(['pullImage', 'createContainer', 'startContainer', 'syncPodStatus']).toContain(move.kind);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const heldUntil = (await server.cluster.runtime.store.snapshot(classroom.id)).resourceVersion;
    kim.close();

    await waitFor(() => roundDone(instructor.state), { what: 'the bot to finish the pods after the grace period', timeoutMs: 60_000, intervalMs: 100 });
    const log = await server.cluster.runtime.store.readLog(classroom.id, move.resourceVersion, 100_000);
    const bot = log.filter((e) => e.actor === 'bot:kubelet:node-1').map((e) => BigInt(e.resourceVersion));
    expect(bot.filter((rv) => rv <= BigInt(heldUntil))).toEqual([]);
    expect(bot.length).toBeGreaterThan(0);

    // Each pod of node-1 has exactly one container, created once and never restarted.
    const runtime = getObject(instructor.state, 'ContainerRuntime', 'node-1');
    const pods = listObjects(instructor.state, 'Pod').filter((p) => p.spec.nodeName === 'node-1');
    for (const pod of pods) {
      const containers = runtime?.status.containers.filter((c) => c.podUid === pod.metadata.uid) ?? [];
      expect(containers.map((c) => [c.name, c.attempt, c.state])).toEqual([[pod.spec.containers[0]?.name, 0, 'running']]);
    }
  });

  test('[ReplicaSet] the controller manager\'s bot creates every missing pod of a ReplicaSet in one pass, one create request each, none twice', { timeout: 60_000 }, async () => {
    // The server's own bot ticks are 120 simulated seconds apart: the pass below is the only one meanwhile.
    const { classroom } = await botsOnlyClassroom({ kind: 'setBotPace', secondsPerAction: 120 });
    const { runtime, api } = server.cluster;
    const loops = new SimLoops(runtime.logger);
    const players = new BotPlayers(runtime, api, loops, (id) => id === classroom.id);
    try {
      await players.wake(classroom.id, 'controller-manager');
      // Each create is a move of the same kind on the same ReplicaSet; every one is made in this pass.
      const requests = await runtime.store.readRequestLog(classroom.id, 2000);
      const creates = requests.filter((r) => r.actor === 'bot:controller-manager' && r.verb === 'createPod');
      expect(creates.map((r) => r.outcome)).toEqual(Array.from({ length: DEMO_REPLICAS }, () => 'accepted'));
      const pods = [...(await runtime.state(classroom.id)).list('Pod')].filter((p) => p.metadata.labels?.['app'] === DEMO_APP);
      expect(new Set(pods.map((p) => p.metadata.name)).size).toBe(DEMO_REPLICAS);
    } finally {
      loops.stopAll(classroom.id);
    }
  });

  test('[Priority] the pods the controller manager\'s bot creates are admitted on the PriorityClasses of the API server\'s cache, with no read of them', { timeout: 60_000 }, async () => {
    const { classroom } = await botsOnlyClassroom({ kind: 'setBotPace', secondsPerAction: 120 });
    const { runtime, api } = server.cluster;
    // As `kubectl create` would (the instructor's apply takes workloads only).
    const priorityClass = { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'classroom-default' }, value: 1000, globalDefault: true };
    await runtime.store.create(classroom.id, priorityClass, { actor: 'instructor', simTime: 0 });
    await waitFor(async () => [...(await runtime.state(classroom.id)).list('PriorityClass')].length === 1, { what: 'the API server\'s cache to hold the PriorityClass' });
    const loops = new SimLoops(runtime.logger);
    const players = new BotPlayers(runtime, api, loops, (id) => id === classroom.id);
    const monitor = await monitorKey(inject('redisUrl'), runtime.store.keys(classroom.id).objects('PriorityClass'));
    try {
      await players.wake(classroom.id, 'controller-manager');
      await monitor.sync();
      expect(monitor.calls('HGETALL')).toBe(0);
      const pods = [...(await runtime.state(classroom.id)).list('Pod')].filter((p) => p.metadata.labels?.['app'] === DEMO_APP);
      expect(pods.map((p) => [p.spec.priorityClassName, p.spec.priority])).toEqual(Array.from({ length: DEMO_REPLICAS }, () => ['classroom-default', 1000]));
    } finally {
      await monitor.close();
      loops.stopAll(classroom.id);
    }
  });

  test('bots of a classroom deciding at the same moment share one read of the room', { timeout: 60_000 }, async () => {
    const { classroom, instructor } = await botsOnlyClassroom({ kind: 'setBotPace', secondsPerAction: 1 });
    await waitFor(() => roundDone(instructor.state), { what: 'the bots to bring the Deployment up', timeoutMs: 45_000, intervalMs: 100 });
    // A classroom's five component loops fall due at the same moment; a player that has no room
    // cached yet (as after its TTL lapsed) is asked by all of them at once.
    const { runtime, api } = server.cluster;
    const loops = new SimLoops(runtime.logger);
    const players = new BotPlayers(runtime, api, loops, (id) => id === classroom.id);
    const repository = runtime.classrooms;
    const read = repository.view.bind(repository);
    let reads = 0;
    const spy = vi.spyOn(repository, 'view').mockImplementation((id) => {
      if (id === classroom.id && new Error().stack?.includes('BotPlayers')) reads++;
      return read(id);
    });
    try {
      const roles = ['scheduler', 'controller-manager', 'kubelet:node-1', 'container-runtime:node-1', 'kube-proxy:node-1'] as const;
      await Promise.all(roles.map((role) => players.wake(classroom.id, role)));
      // The server's own players may have read it in that moment, too: at most one more.
      expect(reads).toBeGreaterThanOrEqual(1);
      expect(reads).toBeLessThanOrEqual(2);
    } finally {
      spy.mockRestore();
      loops.stopAll(classroom.id);
    }
  });
});
