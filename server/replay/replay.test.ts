import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { getCondition, isPodReady, type Node, type Pod } from '@shared/model';
import {
  TimelineBuilder,
  allObjects,
  listObjects,
  logEntrySchema,
  type LogEntry,
  type ReplayMoment,
  type ReplaySummary,
} from '@shared/protocol';
import type { RunningServer } from '../app';
import { connectRedis } from '../redis/connect';
import { DEFAULT_IMPORT_LIMITS, importReplay } from './import-log';
import { Replays } from './replays';
import { classroomWith, connectCluster, type ClusterClient } from '../cluster/testing/cluster-client';
import { roundDone } from '../cluster/testing/players';
import { startTestServer } from '../testing/test-server';
import { waitFor } from '../testing/wait';

let server: RunningServer;
const clients: ClusterClient[] = [];
const prefix = `${inject('redisKeyPrefix')}-replay`;

beforeAll(async () => {
  server = await startTestServer({ JOIN_RATE_LIMIT: '100000', REDIS_KEY_PREFIX: prefix });
});

afterAll(async () => {
  for (const c of clients) c.close();
  await server?.close();
});

const auth = (token: string) => ({ authorization: `Bearer ${token}` });
const sorted = (objects: readonly unknown[]) => objects.map((o) => JSON.stringify(o)).sort();

async function getJson<T>(path: string, token: string): Promise<T> {
  const res = await fetch(`${server.url}${path}`, { headers: auth(token) });
  if (res.status !== 200) throw new Error(`${path} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as T;
}

async function upload(body: string, token: string, type = 'application/x-ndjson'): Promise<{ status: number; body: { id?: string; token?: string; code?: string; message?: string } }> {
  const res = await fetch(`${server.url}/api/replays`, { method: 'POST', headers: { ...auth(token), 'content-type': type }, body });
  return { status: res.status, body: (await res.json()) as { id?: string; token?: string; code?: string; message?: string } };
}

async function replayKeyCount(): Promise<number> {
  const redis = await connectRedis(server.redisUrl);
  let count = 0;
  for await (const keys of redis.scanIterator({ MATCH: `${prefix}:{replay:*`, COUNT: 1000 })) count += keys.length;
  await redis.close();
  return count;
}

/** A bots-only classroom: the first round done, then node-1's kubelet stopped until its pods are evicted. */
interface Recorded {
  id: string;
  instructorToken: string;
  /** Every state the live watcher held: after its first snapshot and after each watch batch. */
  held: { resourceVersion: string; objects: string[] }[];
  file: string;
}
let recorded: Recorded;

async function recordRound(): Promise<Recorded> {
  const classroom = await classroomWith(server.url, []);
  const instructor = await connectCluster(server.url, classroom.instructorToken);
  clients.push(instructor);
  const held = [{ resourceVersion: instructor.state.resourceVersion, objects: sorted(allObjects(instructor.state)) }];
  // Registered after the client's own handler: sees the state the client holds after each batch.
  instructor.socket.on('watch', () => held.push({ resourceVersion: instructor.state.resourceVersion, objects: sorted(allObjects(instructor.state)) }));
  for (const action of [{ kind: 'setTimeScale', timeScale: 50 }, { kind: 'setBotPace', secondsPerAction: 1 }, { kind: 'start' }] as const) {
    expect(await instructor.instructor(action)).toMatchObject({ ok: true });
  }
  // A room control the class cannot take is refused, and the record keeps the refusal too.
  expect(await instructor.instructor({ kind: 'start' })).toEqual({ ok: false, code: 'BadRequest', message: 'the class has already started (it is running)' });
  await waitFor(() => roundDone(instructor.state), { what: 'the bots to finish the first round', timeoutMs: 45_000, intervalMs: 100 });
  expect(await instructor.instructor({ kind: 'fault', fault: { type: 'stopKubelet', node: 'node-1' } })).toMatchObject({ ok: true });
  // 50 s grace, then 300 s of tolerationSeconds: node-1 NotReady, then its pods Terminating (the kubelet cannot confirm).
  await waitFor(
    () => {
      const pods = listObjects(instructor.state, 'Pod').filter((p) => p.spec.nodeName === 'node-1');
      return pods.length > 0 && pods.every((p) => p.metadata.deletionTimestamp !== undefined);
    },
    { what: "node-1's pods evicted", timeoutMs: 45_000, intervalMs: 100 },
  );
  expect(await instructor.instructor({ kind: 'pause' })).toMatchObject({ ok: true });
  // Whatever is in flight lands; the watcher must have it before comparing.
  const last = (await server.cluster.runtime.store.snapshot(classroom.id)).resourceVersion;
  await instructor.reached(last);
  const res = await fetch(`${server.url}/api/classrooms/${classroom.id}/log`, { headers: auth(classroom.instructorToken) });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
  return { id: classroom.id, instructorToken: classroom.instructorToken, held, file: await res.text() };
}

describe('session replay', () => {
  test('a bots-only round rebuilt from its log equals, at every version a live watcher held, what that watcher held', { timeout: 120_000 }, async () => {
    recorded = await recordRound();
    const lines = recorded.file.trimEnd().split('\n');
    const header = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
    expect(header).toMatchObject({ format: 'clusterplay-log', formatVersion: 1, clusterplayVersion: '0.1.0', classroom: { id: recorded.id } });
    expect(JSON.parse(lines.at(-1) ?? '{}')).toEqual({ t: 'end', entries: lines.length - 2 });
    const entries = lines.slice(1, -1).map((l) => logEntrySchema.parse(JSON.parse(l)) as LogEntry);
    // The record holds every kind of entry: changes, accepted and refused-or-accepted requests, room changes.
    const kinds = new Set(entries.map((e) => e.t));
    expect([...kinds].sort()).toEqual(['change', 'request', 'room']);
    expect(entries.some((e) => e.t === 'request' && e.entry.verb === 'fault' && e.actor === 'instructor')).toBe(true);
    expect(entries.some((e) => e.t === 'request' && e.actor === 'bot:scheduler' && e.entry.verb === 'bind')).toBe(true);
    expect(entries.some((e) => e.t === 'room' && e.view.phase === 'running' && e.actor === 'instructor')).toBe(true);
    expect(entries.filter((e) => e.t === 'request' && e.entry.verb === 'start').map((e) => e.t === 'request' && { actor: e.actor, outcome: e.entry.outcome, code: e.entry.code, message: e.entry.message })).toEqual([
      { actor: 'instructor', outcome: 'refused', code: 'BadRequest', message: 'the class has already started (it is running)' },
    ]);

    const created = await upload(recorded.file, recorded.instructorToken);
    expect(created.status).toBe(201);
    const { id, token } = created.body as { id: string; token: string };
    const distinct = [...new Map(recorded.held.map((h) => [h.resourceVersion, h])).values()];
    expect(distinct.length).toBeGreaterThan(20);
    for (const live of distinct) {
      const moment = await getJson<ReplayMoment>(`/api/replays/${id}/state?resourceVersion=${live.resourceVersion}`, token);
      expect(moment.resourceVersion).toBe(live.resourceVersion);
      expect(sorted(moment.objects), `objects at resourceVersion ${live.resourceVersion}`).toEqual(live.objects);
    }
    // The same with a snapshot every 16 entries: seeking from a snapshot gives the same states.
    const redis = await connectRedis(server.redisUrl);
    try {
      const small = await importReplay({ redis, keyPrefix: prefix }, [recorded.file], { ...DEFAULT_IMPORT_LIMITS, segment: 16 });
      const replays = new Replays(redis, prefix);
      const meta = await replays.open(small.id, small.token);
      expect(meta.segments.length).toBeGreaterThan(10);
      for (const live of distinct) {
        const moment = await replays.seek(meta, { resourceVersion: Number(live.resourceVersion) });
        expect(sorted(moment.objects), `objects at resourceVersion ${live.resourceVersion} (from a snapshot)`).toEqual(live.objects);
      }
    } finally {
      await redis.close();
    }
    // The last moment is the store's state, node-1 NotReady and its pods Terminating.
    const end = await getJson<ReplayMoment>(`/api/replays/${id}/state?resourceVersion=${distinct.at(-1)?.resourceVersion ?? '0'}`, token);
    const node = end.objects.find((o): o is Node => o.kind === 'Node' && o.metadata.name === 'node-1');
    expect(getCondition(node?.status?.conditions, 'Ready')?.status).toBe('Unknown');
    const evicted = end.objects.filter((o): o is Pod => o.kind === 'Pod' && o.spec.nodeName === 'node-1');
    expect(evicted.length).toBeGreaterThan(0);
    expect(evicted.every((p) => p.metadata.deletionTimestamp !== undefined && !isPodReady(p))).toBe(true);
    // Seeking by simulated time lands on the last change at or before it, on the replay's clock,
    // which never runs back: components decide side by side, so a change stamped when it was
    // decided can be committed after one stamped later, and counts at the later time.
    const changes = entries.filter((e) => e.t === 'change');
    const half = Math.floor(changes.length / 2);
    const middle = changes[half];
    const middleAt = Math.max(...changes.slice(0, half + 1).map((e) => e.simTime));
    const at = await getJson<ReplayMoment>(`/api/replays/${id}/state?at=${middleAt}`, token);
    expect(Number(at.resourceVersion)).toBeGreaterThanOrEqual(Number(middle?.resourceVersion));
    expect(at.simTime).toBeLessThanOrEqual(middleAt);
  });

  test('export, import and replay give the same timeline and the same state at every marker as the classroom replayed on the server', { timeout: 60_000 }, async () => {
    const direct = await fetch(`${server.url}/api/classrooms/${recorded.id}/replays`, { method: 'POST', headers: auth(recorded.instructorToken) });
    expect(direct.status).toBe(201);
    const a = (await direct.json()) as { id: string; token: string };
    const uploaded = await upload(recorded.file, recorded.instructorToken);
    const b = uploaded.body as { id: string; token: string };
    const [sa, sb] = await Promise.all([getJson<ReplaySummary>(`/api/replays/${a.id}`, a.token), getJson<ReplaySummary>(`/api/replays/${b.id}`, b.token)]);
    expect(sb.markers).toEqual(sa.markers);
    expect(sb.entries).toBe(sa.entries);
    // The timeline is the file's: rebuilt locally from the downloaded entries, it is the same.
    const timeline = new TimelineBuilder();
    recorded.file.trimEnd().split('\n').slice(1, -1).forEach((l, i) => timeline.add(logEntrySchema.parse(JSON.parse(l)) as LogEntry, i));
    expect(sb.markers).toEqual(timeline.markers);
    const categories = new Set(sb.markers.map((m) => m.category));
    expect(categories.has('fault')).toBe(true);
    expect(sb.markers.some((m) => m.category === 'fault' && m.label === 'node-1 Ready: Unknown')).toBe(true);
    expect(sb.markers.some((m) => m.category === 'fault' && / evicted from node-1: Terminating$/.test(m.label))).toBe(true);
    for (const marker of sb.markers) {
      const [ma, mb] = await Promise.all([
        getJson<ReplayMoment>(`/api/replays/${a.id}/state?index=${marker.index}`, a.token),
        getJson<ReplayMoment>(`/api/replays/${b.id}/state?index=${marker.index}`, b.token),
      ]);
      expect(mb.resourceVersion).toBe(marker.resourceVersion);
      expect({ ...mb, objects: sorted(mb.objects) }).toEqual({ ...ma, objects: sorted(ma.objects) });
    }
    // A replay's token reads only its own replay.
    expect((await fetch(`${server.url}/api/replays/${a.id}`, { headers: auth(b.token) })).status).toBe(404);
  });

  test('truncated, corrupted, reordered and foreign files are refused with the line and the problem, and create nothing', { timeout: 60_000 }, async () => {
    const lines = recorded.file.trimEnd().split('\n');
    const changeAt = (n: number) => lines.findIndex((l, i) => i > 0 && l.startsWith('{"t":"change"') && JSON.parse(l).resourceVersion === String(n));
    const c5 = changeAt(5);
    const c6 = changeAt(6);
    const swapped = [...lines];
    [swapped[c5], swapped[c6]] = [lines[c6] ?? '', lines[c5] ?? ''];
    const tampered = [...lines];
    const obj = JSON.parse(lines[c6] ?? '{}') as { object: { metadata: { resourceVersion: string } } };
    obj.object.metadata.resourceVersion = '999';
    tampered[c6] = JSON.stringify(obj);
    const cases: [string, string, RegExp][] = [
      ['truncated mid-line', recorded.file.slice(0, recorded.file.length / 2), /^line \d+: is not valid JSON .*truncated/],
      ['truncated at a line end', `${lines.slice(0, -1).join('\n')}\n`, new RegExp(`^line ${lines.length}: the file ends without its end line after ${lines.length - 2} entries: it is truncated`)],
      ['corrupted JSON', `${lines.slice(0, c6).join('\n')}\n${(lines[c6] ?? '').replace('{', '{#')}\n${lines.slice(c6 + 1).join('\n')}\n`, new RegExp(`^line ${c6 + 1}: is not valid JSON`)],
      ['an object altered', `${tampered.join('\n')}\n`, new RegExp(`^line ${c6 + 1}: the object's resourceVersion 999 is not its entry's 6`)],
      ['reordered', `${swapped.join('\n')}\n`, new RegExp(`^line ${Math.min(c5, c6) + 1}: the change at resourceVersion 6 follows resourceVersion 4`)],
      ['a line dropped', `${[...lines.slice(0, c5), ...lines.slice(c5 + 1)].join('\n')}\n`, new RegExp(`^line ${c5 + 1}: the change at resourceVersion 6 follows resourceVersion 4`)],
      ['foreign (a kubectl list)', '{"apiVersion":"v1","kind":"List","items":[]}\n', /^line 1: this is not a ClusterPlay log/],
      ['foreign (CSV)', 'time,actor,verb\n1,bot,bind\n', /^line 1: this is not a ClusterPlay log/],
      ['a newer format', `${JSON.stringify({ ...JSON.parse(lines[0] ?? '{}'), formatVersion: 2 })}\n${lines.slice(1).join('\n')}\n`, /^line 1: the log's format version 2 is newer than this server reads \(1\)/],
      ['empty', '', /^line 1: the file is empty/],
      ['text after the end', `${recorded.file}{"t":"end","entries":0}\n`, new RegExp(`^line ${lines.length + 1}: comes after the end line`)],
    ];
    const before = await replayKeyCount();
    for (const [what, body, message] of cases) {
      const res = await upload(body, recorded.instructorToken);
      expect({ what, status: res.status, code: res.body.code }).toEqual({ what, status: 400, code: 'BadRequest' });
      expect(res.body.message, what).toMatch(message);
    }
    // Bounded: a log over the size or entry limit is refused at the line that crosses it.
    const redis = await connectRedis(server.redisUrl);
    try {
      const target = { redis, keyPrefix: prefix };
      await expect(importReplay(target, [recorded.file], { ...DEFAULT_IMPORT_LIMITS, maxEntries: 10 })).rejects.toMatchObject({
        code: 'PayloadTooLarge',
        message: 'line 12: the log has more than 10 entries, the most a replay may hold',
      });
      await expect(importReplay(target, [recorded.file], { ...DEFAULT_IMPORT_LIMITS, maxBytes: 2 ** 20 / 10 })).rejects.toMatchObject({
        code: 'PayloadTooLarge',
        message: 'line 1: the log is larger than 0.1 MiB, the most a replay may hold',
      });
    } finally {
      await redis.close();
    }
    expect(await replayKeyCount()).toBe(before);
    // Not a log at all, or no instructor: refused before reading.
    expect((await upload(recorded.file, recorded.instructorToken, 'application/json')).status).toBe(415);
    expect((await upload(recorded.file, 'nobody.abc')).status).toBe(401);
    expect((await fetch(`${server.url}/api/classrooms/${recorded.id}/log`)).status).toBe(401);
  });
});
