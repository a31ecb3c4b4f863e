/**
 * Issue 14: a Redis Cluster master dies outright. Three masters with a replica each, two server
 * processes (the production entry point) behind haproxy, a bots-only classroom playing on every
 * master. Mid-round one master is SIGKILLed: its replica must take over, and ClusterPlay with it —
 * every round is won, no acknowledged write is lost, the timers whose queue was on that master
 * still fire (one booked in its last instant dies with it and is booked again from the store;
 * redis-failover-tail.test.ts makes that moment deterministic), requests during the failover are
 * refused with 503 (never hang, never 500), /readyz says 503 while a slot is unserved and 200
 * after, the heap does not grow, and each process logs the outage as a few state changes, not one
 * line per retry.
 */
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { classroomKeys } from '../classroom/keys';
import { timersKey } from '../jobs/timer-index';
import { laneOf } from '../jobs/timer-lanes';
import { freePort } from '../redis/embedded-redis';
import { haproxyMissing, startHaproxy, stopped, type TestHaproxy } from '../testing/haproxy';
import { redisClusterMissing, startRedisCluster, type ClusterNodeInfo, type TestRedisCluster } from '../testing/redis-cluster';
import { startServerProcess } from '../testing/server-process';
import { waitFor } from '../testing/wait';
import { classroomWith, connectCluster, type Classroom, type ClusterClient } from './testing/cluster-client';
import { heapUsed, leaseWriter, readyzWatcher, storedLeases, type Probe, type WriteAnswer } from './testing/failover-probes';
import { roundDone } from './testing/players';
import { listObjects } from '@shared/protocol/watch-reducer';
import { isPodReady, type Pod } from '@shared/model';

const PROCESSES = 2;
const TIMER_QUEUES = 6;
const prefix = `${inject('redisKeyPrefix')}-master-failover`;
const missing = haproxyMissing() ?? redisClusterMissing();
if (missing) console.log(`skipped: the Redis master failover test: ${missing}`);

let cluster: TestRedisCluster | undefined;
let haproxy: TestHaproxy | undefined;
const servers: Array<{ child: ChildProcess; port: number; logs: string[] }> = [];
const clients: ClusterClient[] = [];

beforeAll(async () => {
  if (missing) return;
  cluster = await startRedisCluster({ masters: 3, replicas: 1 });
  const env = {
    REDIS_URL: '',
    REDIS_CLUSTER_NODES: cluster.nodes.join(','),
    REDIS_CLUSTER_TIMER_QUEUES: String(TIMER_QUEUES),
    // A commit is acknowledged once the master's replica holds it (WAIT 1), so the failover loses none.
    REDIS_WRITE_REPLICAS: '1',
    REDIS_KEY_PREFIX: prefix,
    JOIN_RATE_LIMIT: '100000',
    SOCKET_RATE_PER_SECOND: '1000',
    SOCKET_RATE_BURST: '1000',
  };
  const ports = await Promise.all(Array.from({ length: PROCESSES }, () => freePort()));
  servers.push(
    ...(await Promise.all(
      ports.map(async (port) => {
        const logs: string[] = [];
        return { child: await startServerProcess(port, env, { logs }), port, logs };
      }),
    )),
  );
  haproxy = await startHaproxy(servers.map((s) => s.port));
}, 180_000);

afterAll(async () => {
  for (const c of clients) c.close();
  await haproxy?.stop();
  await Promise.all(servers.map(({ child }) => stopped(child)));
  await cluster?.stop();
});

const masterServing = (topology: ClusterNodeInfo[], slot: number): ClusterNodeInfo | undefined =>
  topology.find((node) => node.role === 'master' && !node.failed && node.slots.some(([first, last]) => slot >= first && slot <= last));

interface Placed {
  classroom: Classroom;
  /** The master holding the classroom's keys, and the one holding its timer queue. */
  data: string;
  timers: string;
}

/**
 * Classrooms until every master holds one, and one master holds both a classroom's keys and its
 * timer queue: that master is the one to kill. Returns one classroom per master, the doomed first.
 */
async function placeClassrooms(rc: TestRedisCluster, url: string): Promise<{ doomed: string; playing: Placed[] }> {
  const seed = rc.nodes[0] ?? '';
  const topology = rc.topology(seed);
  const masterOf = (key: string): string => masterServing(topology, Number(rc.ask(seed, 'cluster', 'keyslot', key)))?.address ?? '';
  const placed: Placed[] = [];
  for (let attempt = 0; attempt < 30; attempt++) {
    const classroom = await classroomWith(url, []);
    const timers = masterOf(`${prefix}:{timers-${laneOf(classroom.id, TIMER_QUEUES)}}:x`);
    placed.push({ classroom, data: masterOf(classroomKeys(prefix, classroom.id).meta), timers });
    const doomedOne = placed.find((p) => p.data === p.timers);
    const masters = topology.filter((n) => n.role === 'master').map((n) => n.address);
    const firsts = masters.map((m) => (doomedOne?.data === m ? doomedOne : placed.find((p) => p.data === m)));
    if (doomedOne && firsts.every(Boolean)) {
      const playing = firsts.filter((p): p is Placed => p !== undefined).sort((a, b) => Number(b === doomedOne) - Number(a === doomedOne));
      return { doomed: doomedOne.data, playing };
    }
  }
  throw new Error('no placement of classrooms over the masters in 30 tries');
}

const clusterOk = (rc: TestRedisCluster, node: string): boolean => {
  try {
    return rc.ask(node, 'cluster', 'info').includes('cluster_state:ok');
  } catch {
    return false;
  }
};

// No second try: the cluster it would run on has lost a master for good.
test.skipIf(missing !== null)('a Redis master is SIGKILLed mid-round: its replica takes over, every round is won and no acknowledged write is lost', { timeout: 150_000, retry: 0 }, async () => {
  const rc = cluster as TestRedisCluster;
  const url = (haproxy as TestHaproxy).url;
  const { doomed, playing } = await placeClassrooms(rc, url);
  const replica = rc.topology(doomed).find((n) => n.role === 'replica' && n.masterId === rc.topology(doomed).find((m) => m.address === doomed)?.id)?.address;
  expect(replica).toBeDefined();

  const instructors: ClusterClient[] = [];
  for (const { classroom } of playing) {
    const instructor = await connectCluster(url, classroom.instructorToken, { reconnection: true });
    clients.push(instructor);
    instructors.push(instructor);
    for (const action of [{ kind: 'setTimeScale', timeScale: 10 }, { kind: 'setBotPace', secondsPerAction: 1 }] as const) {
      expect(await instructor.instructor(action)).toMatchObject({ ok: true });
    }
  }
  // The doomed master's classroom (first) starts last, once the others are under way: a round takes
  // seconds, and a CI run once saw it won while a slower classroom was still getting under way.
  const [doomedFirst, ...others] = instructors;
  if (!doomedFirst) throw new Error('no classroom on the master to kill');
  for (const reply of await Promise.all(others.map((c) => c.instructor({ kind: 'start' })))) expect(reply).toMatchObject({ ok: true });
  await waitFor(() => others.every((c) => BigInt(c.state.resourceVersion) > 25n), { what: 'every other classroom under way', timeoutMs: 60_000 });
  expect(await doomedFirst.instructor({ kind: 'start' })).toMatchObject({ ok: true });
  await waitFor(() => BigInt(doomedFirst.state.resourceVersion) > 25n, { what: 'the classroom on the master to kill under way', timeoutMs: 60_000 });
  // It still has its round to play.
  expect(roundDone(doomedFirst.state)).toBe(false);

  const writers: Array<Probe<WriteAnswer>> = playing.map(({ classroom }, i) => leaseWriter(url, classroom.instructorToken, `probe-${i}`));
  const readyz = servers.map(({ port }) => readyzWatcher(port));
  await waitFor(() => writers.every((w) => w.seen.some((a) => a.status === 201)), { what: 'a first acknowledged write in every classroom' });
  const heapBefore = await Promise.all(servers.map(({ port }) => heapUsed(port)));
  const logsBefore = servers.map(({ logs }) => logs.length);

  const killedAt = Date.now();
  await rc.kill(doomed);
  const survivors = rc.nodes.filter((n) => n !== doomed);
  await waitFor(() => rc.topology(replica ?? '').some((n) => n.address === replica && n.role === 'master'), { what: 'the replica promoted', timeoutMs: 30_000, intervalMs: 100 });
  await waitFor(() => survivors.every((n) => clusterOk(rc, n)), { what: 'cluster_state:ok on every live node', timeoutMs: 30_000, intervalMs: 100 });
  const promotedAfterMs = Date.now() - killedAt;
  await waitFor(() => readyz.every((r) => r.seen[r.seen.length - 1]?.status === 200 && r.seen.length > 1), { what: 'every process ready again', timeoutMs: 30_000, intervalMs: 100 });
  const readyAgainAfterMs = Math.max(...readyz.map((r) => (r.seen[r.seen.length - 1]?.at ?? 0) - killedAt));
  // Writes go on after the failover in every classroom, the doomed master's included.
  const writtenBy = writers.map((w) => w.seen.length);
  await waitFor(() => writers.every((w, i) => w.seen.slice(writtenBy[i]).some((a) => a.status === 201)), { what: 'acknowledged writes after the failover', timeoutMs: 30_000 });

  await waitFor(() => instructors.every((c) => roundDone(c.state)), { what: 'every round to be won', timeoutMs: 60_000, intervalMs: 100 }).catch((error: unknown) => {
    // What a stalled round looked like (seen once in CI on a quiet machine): each classroom's pods and proxy rules as its instructor saw them, and what the servers logged since the kill.
    const seen = instructors.map((c, i) => {
      const pods = listObjects(c.state, 'Pod').map((p: Pod) => `${p.metadata.name} ${p.spec.nodeName ?? '-'} ${p.status?.phase ?? '?'} ready=${String(isPodReady(p))}${p.metadata.deletionTimestamp ? ' deleting' : ''}`);
      const rules = listObjects(c.state, 'ProxyTable').map((t) => `${t.metadata.name}:${t.status.services.find((x) => x.service === 'default/web')?.endpoints.length ?? 0}`);
      // The CRI calls still in flight, and the timers the classroom's index holds (the loops' and the round's: world timers are in the owner's memory).
      const calls = listObjects(c.state, 'ContainerRuntime').flatMap((rt) => rt.status.calls.filter((call) => call.status !== 'done' && call.status !== 'failed').map((call) => `${rt.metadata.name} ${call.id} ${call.call} ${call.pod ?? ''} ${call.status} due ${call.dueAt ?? '-'}`));
      const room = playing[i]?.classroom.id ?? '';
      const index = timersKey(prefix, room);
      const timers = ((): string => {
        try {
          const master = masterServing(rc.topology(survivors[0] ?? ''), Number(rc.ask(survivors[0] ?? '', 'cluster', 'keyslot', index)))?.address ?? '';
          return rc.ask(master, 'hkeys', index).trim().split('\n').join(' ');
        } catch (err) {
          return `unread: ${String(err)}`;
        }
      })();
      return `classroom ${i} rv ${c.state.resourceVersion}${i === 0 ? ' (on the killed master)' : ''}\n  ${pods.join('\n  ')}\n  rules ${rules.join(' ')}\n  calls ${calls.join('; ') || 'none'}\n  timers ${timers}`;
    });
    const logged = servers.flatMap(({ logs }, i) => logs.slice(logsBefore[i]).map((line) => `server ${i}: ${line.slice(0, 400)}`));
    throw new Error(`${String(error)}\n${seen.join('\n')}\n${logged.join('\n')}`, { cause: error });
  });
  await Promise.all([...writers, ...readyz].map((p) => p.stop()));
  // The watch of the failed-over classroom is notified again (SSUBSCRIBE on the new master), not
  // only caught up by the hub's 5 s safety-net read: each change reaches the instructor at once.
  const watchMs: number[] = [];
  const [doomedRoom, doomedInstructor] = [playing[0]?.classroom, instructors[0]];
  if (!doomedRoom || !doomedInstructor) throw new Error('no classroom on the failed master');
  for (let i = 0; i < 5; i++) {
    const name = `after-${i}`;
    const started = Date.now();
    const created = await fetch(`${(haproxy as TestHaproxy).url}/k8s/${doomedRoom.instructorToken}/apis/coordination.k8s.io/v1/namespaces/default/leases`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace: 'default' }, spec: { holderIdentity: 'failover-probe' } }),
    });
    expect(created.status).toBe(201);
    await waitFor(() => listObjects(doomedInstructor.state, 'Lease').some((l) => l.metadata.name === name), { what: `the instructor to see Lease ${name}`, timeoutMs: 10_000, intervalMs: 10 });
    watchMs.push(Date.now() - started);
  }
  const heapAfter = await Promise.all(servers.map(({ port }) => heapUsed(port)));

  const answers = writers.flatMap((w) => w.seen);
  const odd = answers.filter((a) => a.status !== 201 && a.status !== 503);
  const refused = answers.filter((a) => a.status === 503);
  // No acknowledged write is lost: every Lease acknowledged is in the store, at the version acknowledged.
  const lost: string[] = [];
  let acked = 0;
  for (const [i, { classroom }] of playing.entries()) {
    const stored = await storedLeases(url, classroom.instructorToken);
    for (const answer of writers[i]?.seen ?? []) {
      if (answer.status !== 201) continue;
      acked++;
      if (stored.get(answer.name) !== answer.resourceVersion) lost.push(`${answer.name}@${answer.resourceVersion} (stored: ${stored.get(answer.name) ?? 'absent'})`);
    }
  }
  // One log line per state change: a handful per process, not one per retry.
  const outageLines = servers.map(({ logs }, i) => logs.slice(logsBefore[i]).filter((line) => /"level":(40|50)/.test(line)));
  const summary = {
    promotedAfterMs,
    readyAgainAfterMs,
    requests: answers.length,
    acked,
    refusedByServer: refused.filter((a) => a.from === 'server').length,
    refusedByHaproxy: refused.filter((a) => a.from === 'load balancer').length,
    slowestAnswerMs: Math.max(...answers.map((a) => a.ms)),
    heapGrowthMB: heapAfter.map((h, i) => ((h - (heapBefore[i] ?? 0)) / 2 ** 20).toFixed(1)),
    warnLines: outageLines.map((l) => l.length),
    lines: outageLines.map((l) => l.map((line) => /"msg":"([^"]*)"/.exec(line)?.[1])),
    errors: outageLines.flatMap((l) => l.filter((line) => line.includes('"level":50')).map((line) => line.slice(0, 1200))),
    watchMs,
    readyz: readyz.map((r) => r.seen.map((c) => `${c.status}@${c.at - killedAt}`)),
    odd: odd.map((a) => `${a.name} ${a.status} at ${a.at - killedAt} in ${a.ms} ms`),
  };
  console.log(`redis master failover: ${JSON.stringify(summary)}`);
  // Every request was answered, in time, with an acknowledgement or a 503; never a 500.
  expect(odd).toEqual([]);
  expect(lost).toEqual([]);
  // /readyz: 200 when the master died, then 503 while its slots were unserved (or its node unknown),
  // then 200. (Before the kill a process may miss the check's 1 s once: a CI run at load 20 saw a
  // 503 for a second, 1.9 s before the kill. That is the machine, not the failover.)
  for (const r of readyz) {
    expect(r.seen.filter((c) => c.at < killedAt).at(-1)?.status).toBe(200);
    expect(r.seen.filter((c) => c.at >= killedAt).map((c) => c.status)).toEqual([503, 200]);
  }
  expect(Math.max(...watchMs)).toBeLessThan(2500);
  // The heap does not keep what the outage refused (no queue of pending commands).
  for (const [i, before] of heapBefore.entries()) expect(heapAfter[i] ?? Infinity).toBeLessThan(before + 128 * 1024 * 1024);
  expect(refused.length).toBeGreaterThan(0);
  // A few lines per change of state, never one per request: 7–15 seen, with "a write was acknowledged
  // before its replicas held it" up to 4 times (once a second while the replica is behind), a lease
  // or a timer taken back once. No message comes more than 5 times.
  for (const lines of outageLines) {
    const times = new Map<string, number>();
    for (const line of lines) {
      const message = /"msg":"([^"]*)"/.exec(line)?.[1] ?? line;
      times.set(message, (times.get(message) ?? 0) + 1);
    }
    expect([...times].filter(([, n]) => n > 5)).toEqual([]);
    expect(lines.length).toBeLessThanOrEqual(24);
  }
});
