import { describe, expect, test } from 'vitest';
import { fromRFC3339, getCondition, type ContainerRuntime, type Deployment, type Pod, type ProxyTable } from '@shared/model';
import type { ApiRequestEntry, ClusterAction } from '@shared/protocol';
import { allObjects, getObject } from '@shared/protocol/watch-reducer';
import { ClusterState, isApiRequest, legalMoves, nextMove, planAction, sameMove, seededRng } from '@shared/sim';
import { isApiError, type WriteContext } from '../store';
import { waitFor } from '../testing/wait';
import { assignRoles, classroomWith, type ClusterClient } from './testing/cluster-client';
import { suiteServer, WIDE_SOCKET_BUDGET } from './testing/suite-server';
import { TIMER_SWEEP_MS } from './timer-sweep';

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

    // Once more, the bot asking the API server for its next move (decided and planned there, once): the same move and entry.
    const last = await store.get(classroom.id, { kind: 'ProxyTable', name: 'node-1' });
    await store.update(classroom.id, { ...before, metadata: { ...before.metadata, resourceVersion: last.metadata.resourceVersion } } as ProxyTable, { actor: 'test', simTime: 0 });
    const caller = { kind: 'bot' as const, classroomId: classroom.id, role: 'kube-proxy:node-1' as const };
    // 'idle' until the server's cache holds the table as it was.
    const next = await waitFor(async () => {
      const made = await suite.server.cluster.api.actNext(caller, 0, () => false);
      return made === 'idle' ? undefined : made;
    }, { what: "the bot's next move" });
    if (next === 'repeated') throw new Error('no move was made before: nothing to repeat');
    expect([next.action, next.reply.ok, next.entry.actor]).toEqual([move, true, 'bot:kube-proxy:node-1']);
    expect(sansActor(next.entry)).toEqual(sansActor(student));
    // Its entry is the one logged, once; the move made, the role has nothing left to do and logs nothing more.
    await waitFor(() => instructor.requests.some((r) => r.id === next.entry.id), { what: "the next move's entry at the instructor" });
    expect(await suite.server.cluster.api.actNext(caller, 1, () => false)).toBe('idle');
    // The same move on the same copy, once made: not made again.
    await store.update(classroom.id, { ...before, metadata: { ...before.metadata, resourceVersion: (await store.get(classroom.id, { kind: 'ProxyTable', name: 'node-1' })).metadata.resourceVersion } } as ProxyTable, { actor: 'test', simTime: 0 });
    expect(await waitFor(async () => {
      const made = await suite.server.cluster.api.actNext(caller, 2, (action) => sameMove(action, move));
      return made === 'idle' ? undefined : made;
    }, { what: 'the move to be the next again' })).toBe('repeated');
    expect(instructor.requests.filter((r) => r.verb === 'syncProxyRules' && r.actor === 'bot:kube-proxy:node-1')).toHaveLength(2);
  });

  test("the instructor's cluster requests are in the request log too", async () => {
    const classroom = await classroomWith(suite.server.url, [], { nodes: 2 });
    const instructor = await connect(classroom.instructorToken);
    expect(await instructor.instructor({ kind: 'fault', fault: { type: 'stopKubelet', node: 'node-2' } })).toMatchObject({ ok: true });
    const entry = await waitFor(() => instructor.requests.find((r) => r.verb === 'fault'), { what: 'the fault in the request log' });
    expect(entry).toMatchObject({ actor: 'instructor', role: null, target: 'nodes/node-2', outcome: 'accepted', message: 'the kubelet on node-2 is stopped' });
    // The entry reaches the watchers with its change; the stored log is appended off the request's path.
    await waitFor(async () => (await suite.server.cluster.store.readRequestLog(classroom.id, 100)).some((r) => r.id === entry.id), { what: 'the fault in the stored request log' });
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

  test("a request refused before it was decided (another role's move, a bad payload) is logged at the classroom's simulated now, not at 0", async () => {
    const classroom = await classroomWith(suite.server.url, ['kim'], { nodes: 1 });
    const instructor = await connect(classroom.instructorToken);
    const kim = await connect(classroom.students.get('kim')?.token ?? '');
    expect(await instructor.instructor({ kind: 'start' })).toMatchObject({ ok: true });
    await assignRoles(instructor, classroom, { kim: 'kubelet:node-1' });
    const before = kim.simNow();
    expect(await kim.act({ kind: 'bind', pod: 'web-1', node: 'node-1', resourceVersion: '1' })).toMatchObject({ ok: false, code: 'Forbidden' });
    expect(await kim.act({ kind: 'noSuchMove' } as unknown as ClusterAction)).toMatchObject({ ok: false, code: 'BadRequest' });
    const refused = await waitFor(() => {
      const found = kim.requests.filter((r) => r.outcome === 'refused');
      return found.length === 2 ? found : undefined;
    }, { what: "kim's two refusals" });
    const after = kim.simNow();
    expect(refused.map((r) => [r.verb, r.code, r.simTime >= before - 1000 && r.simTime <= after + 1000])).toEqual([
      ['bind', 'Forbidden', true],
      ['noSuchMove', 'BadRequest', true],
    ]);
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

describe("a write that meets another component's write is decided again on the object as it is now, as a controller requeues", () => {
  const TIME_SCALE = 20;
  const startFast = async (instructor: ClusterClient): Promise<void> => {
    for (const action of [{ kind: 'setTimeScale', timeScale: TIME_SCALE }, { kind: 'setBotPace', secondsPerAction: 1 }, { kind: 'start' }] as const) {
      expect(await instructor.instructor(action)).toMatchObject({ ok: true });
    }
  };

  /**
   * kim plays node-1's kubelet, following the highlighted moves until one of them is a status
   * report that also reads the runtime's answers: two writes, the pod's status, then the ContainerRuntime.
   */
  async function reportWithAnswers() {
    const classroom = await classroomWith(suite.server.url, ['kim'], { nodes: 1 });
    const instructor = await connect(classroom.instructorToken);
    const kim = await connect(classroom.students.get('kim')?.token ?? '');
    const actor = `student:${classroom.students.get('kim')?.studentId ?? ''}`;
    await assignRoles(instructor, classroom, { kim: 'kubelet:node-1' });
    await startFast(instructor);
    const report = await waitFor(
      async () => {
        const state = ClusterState.from(allObjects(kim.state));
        const now = kim.simNow();
        for (const move of legalMoves('kubelet:node-1', state, now)) {
          if (move.action.kind !== 'syncPodStatus') continue;
          const plan = planAction(state, move.action, now, seededRng(1));
          const writes = plan.ok ? plan.steps.filter(isApiRequest) : [];
          const rt = state.runtime('node-1');
          const answers = writes[1];
          // No call of the pod's still under way: the server knows no answer of it kim's screen does not.
          const uid = state.pod(`default/${move.action.pod}`)?.metadata.uid;
          const settled = rt?.status.calls.every((c) => c.podUid !== uid || c.status === 'done' || c.status === 'failed');
          if (writes[0]?.verb === 'updateStatus' && writes[0].kind === 'Pod' && rt && settled && answers?.kind === 'ContainerRuntime' && 'object' in answers) {
            const left = new Set((answers.object as ContainerRuntime).status.calls.map((c) => c.id));
            return { action: move.action, pod: move.action.pod, consumed: rt.status.calls.map((c) => c.id).filter((id) => !left.has(id)), writes: writes.map((w) => w.kind) };
          }
        }
        const next = nextMove('kubelet:node-1', state, now);
        if (next) {
          const reply = await kim.act(next.action);
          if (reply.ok) await kim.reached(reply.resourceVersion ?? '0');
        }
        return false;
      },
      { what: "a status report of kim's that reads the runtime's answers", timeoutMs: 40_000, intervalMs: 50 },
    );
    expect(report.consumed.length).toBeGreaterThan(0);
    const store = suite.server.cluster.store;
    return { classroom, kim, actor, report, logFrom: await store.resourceVersion(classroom.id), requestsBefore: (await store.readRequestLog(classroom.id, 2000)).filter((r) => r.actor === actor).length };
  }

  type Store = typeof suite.server.cluster.store;
  type WriteArgs = Parameters<Store['apply']>;
  const annotate = { metadata: { annotations: { 'test.clusterplay.dev/interposed': 'true' } } };
  /** Another component's write to node-1's ContainerRuntime, made by the test. */
  const annotateRuntime = (store: Store, classroomId: string, simTime: number) =>
    store.patch(classroomId, { kind: 'ContainerRuntime', name: 'node-1' }, annotate, { actor: 'system:test', simTime });

  /**
   * Wraps the real store's write until `done`: the first write matching `match` gets `between`
   * written right before it (`before`) or right after it lands (`after`), so a write made with the
   * version its writer read meets it. Resolves `caught` to the matched write's arguments.
   */
  function interpose(when: 'before' | 'after', match: (...args: WriteArgs) => boolean, between: (store: Store, ...args: WriteArgs) => Promise<unknown>) {
    const store = suite.server.cluster.store;
    const apply = store.apply.bind(store);
    let caught: WriteArgs | null = null;
    // The test's own write failing is the test's failure, never a refusal of the write it wraps.
    let failed: unknown = null;
    const write = (args: WriteArgs) => between(store, ...args).catch((error: unknown) => void (failed = error));
    store.apply = async (...args) => {
      const armed = caught === null && match(...args);
      if (armed) caught = args;
      if (armed && when === 'before') await write(args);
      const written = await apply(...args);
      if (armed && when === 'after') await write(args);
      return written;
    };
    return {
      caught: () => {
        if (failed !== null) throw failed;
        return caught;
      },
      done: () => {
        store.apply = apply;
      },
    };
  }

  /** Sends the report with the runtime's write (`between`) landing right after its pod status write. */
  async function sendWithWriteBetween(setup: Awaited<ReturnType<typeof reportWithAnswers>>, between: (store: Store, simTime: number) => Promise<unknown>) {
    const store = suite.server.cluster.store;
    const hook = interpose(
      'after',
      (classroomId, request, context) => classroomId === setup.classroom.id && request.verb === 'updateStatus' && request.kind === 'Pod' && request.name === setup.report.pod && context.actor === setup.actor,
      (s, _classroomId, _request, context) => between(s, context.simTime),
    );
    const reply = await setup.kim.act(setup.report.action).finally(hook.done);
    expect(hook.caught()).not.toBeNull();
    const log = (await store.readLog(setup.classroom.id, setup.logFrom, 100_000)).filter((e) => e.actor === setup.actor || e.actor === 'system:test');
    return { reply, log, sequence: log.map((e) => [e.actor === setup.actor ? 'kim' : 'runtime', e.object.kind]) };
  }

  const requestsOf = async (setup: Awaited<ReturnType<typeof reportWithAnswers>>): Promise<ApiRequestEntry[]> =>
    (await suite.server.cluster.store.readRequestLog(setup.classroom.id, 2000)).filter((r) => r.actor === setup.actor).slice(setup.requestsBefore);

  test("the runtime wrote in between: ok, the status and the consumed answers both stored, one request-log entry", { timeout: 60_000 }, async () => {
    const setup = await reportWithAnswers();
    const { report } = setup;
    const { reply, log, sequence } = await sendWithWriteBetween(setup, (store, simTime) => annotateRuntime(store, setup.classroom.id, simTime));
    expect(reply).toMatchObject({ ok: true, message: expect.stringContaining(`report ${report.pod}:`) });
    // kim's status write, the runtime's write, then kim's runtime write on top of it (and the report's events after it, once each).
    expect(sequence).toEqual([['kim', 'Pod'], ['runtime', 'ContainerRuntime'], ...report.writes.slice(1).map((kind) => ['kim', kind])]);
    expect(log.at(-1)?.resourceVersion).toBe(reply.ok ? reply.resourceVersion : '');
    // The pod's status stands as reported; the runtime object holds both writes: the annotation, and the answers read.
    const [status, , answers] = log;
    const pod = await suite.server.cluster.store.get(setup.classroom.id, { kind: 'Pod', name: report.pod, namespace: 'default' });
    expect(pod.status).toEqual((status?.object as Pod).status);
    const runtime = answers?.object as ContainerRuntime;
    expect(runtime.metadata.annotations?.['test.clusterplay.dev/interposed']).toBe('true');
    expect(runtime.status.calls.filter((c) => report.consumed.includes(c.id))).toEqual([]);
    // One request-log entry for the request, accepted, written with its last write.
    expect(await requestsOf(setup)).toMatchObject([{ verb: 'syncPodStatus', target: `pods/${report.pod}`, outcome: 'accepted', message: reply.ok ? reply.message : '' }]);
  });

  test('what was left was done in between: ok with the version the status was written at, one request-log entry', { timeout: 60_000 }, async () => {
    const setup = await reportWithAnswers();
    const { report } = setup;
    // The answers the report reads (every finished call of the pod's: the server may know more of
    // them than kim's screen did) are gone from the runtime object by the time its second write comes.
    const { reply, log, sequence } = await sendWithWriteBetween(setup, async (store, simTime) => {
      const pod = await store.get(setup.classroom.id, { kind: 'Pod', name: report.pod, namespace: 'default' });
      // Read and written again when a bot or timer wrote the object in between.
      for (;;) {
        const rt = await store.get(setup.classroom.id, { kind: 'ContainerRuntime', name: 'node-1' });
        const calls = rt.status.calls.filter((c) => c.podUid !== pod.metadata.uid || c.status === 'pending' || c.status === 'running');
        try {
          return await store.update(setup.classroom.id, { ...rt, status: { ...rt.status, calls } }, { actor: 'system:test', simTime });
        } catch (error) {
          if (!isApiError(error, 'Conflict')) throw error;
        }
      }
    });
    expect(sequence).toEqual([['kim', 'Pod'], ['runtime', 'ContainerRuntime']]);
    expect(reply).toEqual({ ok: true, resourceVersion: log[0]?.resourceVersion, message: expect.stringContaining(`report ${report.pod}:`) });
    const entries = await waitFor(async () => {
      const found = await requestsOf(setup);
      return found.length > 0 && found;
    }, { what: "the report's request-log entry" });
    expect(entries).toMatchObject([{ verb: 'syncPodStatus', target: `pods/${report.pod}`, outcome: 'accepted', message: reply.ok ? reply.message : '' }]);
  });


  test("a CRI call's timer whose write meets the kubelet's: the call finishes at its time on the object as it is now", { timeout: 60_000 }, async () => {
    const store = suite.server.cluster.store;
    const classroom = await classroomWith(suite.server.url, [], { nodes: 1 });
    // The first runtime write of a CRI call's timer gets another write right before it.
    const hook = interpose(
      'before',
      (classroomId, request, context) => classroomId === classroom.id && context.actor === 'system:criCallDue' && request.kind === 'ContainerRuntime',
      (s, classroomId, _request, context) => annotateRuntime(s, classroomId, context.simTime),
    );
    try {
      const instructor = await connect(classroom.instructorToken);
      await startFast(instructor);
      const [, refused, context] = await waitFor(() => hook.caught() ?? undefined, { what: "a CRI call's timer to write", timeoutMs: 30_000 });
      const finished = 'object' in refused ? (refused.object as ContainerRuntime).status.calls.filter((c) => c.status === 'done' || c.status === 'failed') : [];
      expect(finished.length).toBeGreaterThan(0);
      // The timer's next write comes on top of the runtime's, at once: the timer looked again. A
      // timer lost to the Conflict is booked again only by the sweep, at its second pass after the
      // loss: TIMER_SWEEP_MS of wall time, 20 times that in simulated time, later.
      const retried = await waitFor(
        async () => {
          const log = await store.readLog(classroom.id, '0', 100_000);
          const at = log.findIndex((e) => e.actor === 'system:test');
          return at >= 0 && log.slice(at + 1).find((e) => e.actor === 'system:criCallDue');
        },
        { what: "the timer's write after the runtime's", timeoutMs: 20_000 },
      );
      expect(retried.simTime - context.simTime).toBeGreaterThanOrEqual(0);
      expect(retried.simTime - context.simTime).toBeLessThan(TIMER_SWEEP_MS * TIME_SCALE);
      const runtime = retried.object as ContainerRuntime;
      expect(runtime.metadata.annotations?.['test.clusterplay.dev/interposed']).toBe('true');
      for (const call of finished) expect(runtime.status.calls.find((c) => c.id === call.id)).toMatchObject({ status: call.status });
    } finally {
      hook.done();
    }
  });

  test("the instructor's crash fault whose write meets the runtime's: the container crashes on the object as it is now", { timeout: 60_000 }, async () => {
    const store = suite.server.cluster.store;
    const classroom = await classroomWith(suite.server.url, [], { nodes: 1 });
    const instructor = await connect(classroom.instructorToken);
    await startFast(instructor);
    const running = await waitFor(() => getObject(instructor.state, 'ContainerRuntime', 'node-1')?.status.containers.find((c) => c.state === 'running'), {
      what: 'a container running on node-1',
      timeoutMs: 40_000,
    });
    const from = await store.resourceVersion(classroom.id);
    const hook = interpose(
      'before',
      (classroomId, request, context) => classroomId === classroom.id && context.actor === 'instructor' && request.kind === 'ContainerRuntime',
      (s, classroomId, _request, context) => annotateRuntime(s, classroomId, context.simTime),
    );
    const reply = await instructor.instructor({ kind: 'fault', fault: { type: 'crashPod', pod: running.pod } }).finally(hook.done);
    expect(hook.caught()).not.toBeNull();
    expect(reply).toEqual({ ok: true, message: `the container of ${running.pod} crashed` });
    const log = (await store.readLog(classroom.id, from, 100_000)).filter((e) => e.actor === 'instructor' || e.actor === 'system:test');
    expect(log.map((e) => [e.actor, e.object.kind])).toEqual([
      ['system:test', 'ContainerRuntime'],
      ['instructor', 'ContainerRuntime'],
    ]);
    const runtime = log[1]?.object as ContainerRuntime;
    expect(runtime.metadata.annotations?.['test.clusterplay.dev/interposed']).toBe('true');
    expect(runtime.status.containers.find((c) => c.id === running.id)).toMatchObject({ state: 'exited', exitCode: 137, reason: 'Error' });
  });

  test("the instructor's scale whose write meets the deployment controller's: the Deployment is scaled on the version as it is now", { timeout: 60_000 }, async () => {
    const store = suite.server.cluster.store;
    const classroom = await classroomWith(suite.server.url, [], { nodes: 1 });
    const instructor = await connect(classroom.instructorToken);
    const from = await store.resourceVersion(classroom.id);
    // The Deployment is written (as its controller writes its revision) right before the instructor's update.
    const update = store.update.bind(store);
    let interposed = false;
    store.update = (async (classroomId: string, object: unknown, context: WriteContext) => {
      if (!interposed && context.actor === 'instructor' && (object as { kind?: string }).kind === 'Deployment') {
        interposed = true;
        await store.patch(classroomId, { kind: 'Deployment', name: 'web', namespace: 'default' }, annotate, { actor: 'system:test', simTime: context.simTime });
      }
      return update(classroomId, object, context);
    }) as typeof store.update;
    const reply = await instructor.instructor({ kind: 'fault', fault: { type: 'scaleDeployment', deployment: 'web', replicas: 5 } }).finally(() => {
      store.update = update;
    });
    expect(interposed).toBe(true);
    expect(reply).toEqual({ ok: true, message: 'deployment.apps/web scaled' });
    const log = (await store.readLog(classroom.id, from, 100_000)).filter((e) => e.object.kind === 'Deployment' && (e.actor === 'instructor' || e.actor === 'system:test'));
    expect(log.map((e) => e.actor)).toEqual(['system:test', 'instructor']);
    const scaled = log[1]?.object as Deployment;
    expect([scaled.spec.replicas, scaled.metadata.annotations?.['test.clusterplay.dev/interposed']]).toEqual([5, 'true']);
  });
});
