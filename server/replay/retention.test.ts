import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import type { ReplayMoment, ReplaySummary } from '@shared/protocol';
import type { RunningServer } from '../app';
import { closedClassroomsKey, codesKey } from '../classroom/keys';
import { classroomWith, connectCluster, type ClusterClient } from '../cluster/testing/cluster-client';
import { connectRedis, type RedisStandalone } from '../redis/connect';
import { startTestServer } from '../testing/test-server';
import { waitFor } from '../testing/wait';
import { archiveFile } from './archive';
import { importReplay } from './import-log';

const prefix = `${inject('redisKeyPrefix')}-retention`;
/** Archived 8 s after closing: long enough to export it first, short enough to wait for. */
const RETENTION_SECONDS = 8;
const TTL_DAYS = 30;
let server: RunningServer;
let redis: RedisStandalone;
let dataDir: string;
const clients: ClusterClient[] = [];

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'clusterplay-retention-'));
  server = await startTestServer({
    REDIS_KEY_PREFIX: prefix,
    JOIN_RATE_LIMIT: '100000',
    REPLAY_DATA_DIR: dataDir,
    ARCHIVE_AFTER_DAYS: String(RETENTION_SECONDS / 86_400),
    REPLAY_SWEEP_SECONDS: '0.5',
    REPLAY_TTL_DAYS: String(TTL_DAYS),
  });
  redis = await connectRedis(server.redisUrl);
});

afterAll(async () => {
  for (const c of clients) c.close();
  await redis?.close();
  await server?.close();
  await rm(dataDir, { recursive: true, force: true });
});

const auth = (token: string) => ({ authorization: `Bearer ${token}` });
const sorted = (objects: readonly unknown[]) => objects.map((o) => JSON.stringify(o)).sort();
const withoutExportTime = (lines: string[]) => [JSON.stringify({ ...(JSON.parse(lines[0] ?? '{}') as object), exportedAt: 0 }), ...lines.slice(1)];

async function getJson<T>(url: string, token: string): Promise<T> {
  const res = await fetch(`${server.url}${url}`, { headers: auth(token) });
  if (res.status !== 200) throw new Error(`${url} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as T;
}

async function upload(body: Buffer | string, token: string, headers: Record<string, string>): Promise<{ status: number; body: { id: string; token: string; expiresAt: number; message?: string } }> {
  const res = await fetch(`${server.url}/api/replays`, { method: 'POST', headers: { ...auth(token), ...headers }, body });
  return { status: res.status, body: (await res.json()) as { id: string; token: string; expiresAt: number } };
}

async function classroomKeyCount(classroomId: string): Promise<number> {
  let count = 0;
  for await (const keys of redis.scanIterator({ MATCH: `${prefix}:{${classroomId}}:*`, COUNT: 1000 })) count += keys.length;
  return count;
}

describe('retention', () => {
  test('a classroom closed longer than its retention is archived by the BullMQ sweep and removed from Redis; the archive imports and seeks like the export', { timeout: 120_000 }, async () => {
    const classroom = await classroomWith(server.url, []);
    const instructor = await connectCluster(server.url, classroom.instructorToken);
    clients.push(instructor);
    for (const action of [{ kind: 'setTimeScale', timeScale: 50 }, { kind: 'setBotPace', secondsPerAction: 1 }, { kind: 'start' }] as const) {
      expect(await instructor.instructor(action)).toMatchObject({ ok: true });
    }
    await waitFor(() => Number(instructor.state.resourceVersion) >= 120, { what: 'the bots at work', timeoutMs: 45_000, intervalMs: 100 });
    expect(await instructor.instructor({ kind: 'fault', fault: { type: 'stopKubelet', node: 'node-1' } })).toMatchObject({ ok: true });
    await waitFor(() => Number(instructor.state.resourceVersion) >= 160, { what: 'more changes after the fault', timeoutMs: 45_000, intervalMs: 100 });
    expect(await instructor.instructor({ kind: 'closeClassroom' })).toMatchObject({ ok: true });

    const res = await fetch(`${server.url}/api/classrooms/${classroom.id}/log`, { headers: auth(classroom.instructorToken) });
    expect(res.status).toBe(200);
    const exported = (await res.text()).trimEnd().split('\n');
    // Within its retention it stays.
    expect(await classroomKeyCount(classroom.id)).toBeGreaterThan(5);
    expect(await redis.zScore(closedClassroomsKey(prefix), classroom.id)).not.toBeNull();

    const file = archiveFile(dataDir, prefix, classroom.id);
    await waitFor(async () => existsSync(file) && (await classroomKeyCount(classroom.id)) === 0, { what: 'the classroom archived and its keys gone', timeoutMs: 40_000, intervalMs: 200 });
    expect(await redis.hGet(codesKey(prefix), classroom.code)).toBeNull();
    expect(await redis.zScore(closedClassroomsKey(prefix), classroom.id)).toBeNull();
    expect((await fetch(`${server.url}/api/classrooms/${classroom.id}/log`, { headers: auth(classroom.instructorToken) })).status).toBe(401);
    // The archive is the export, gzip-compressed.
    const archive = await readFile(file);
    const archived = gunzipSync(archive).toString('utf8').trimEnd().split('\n');
    expect(withoutExportTime(archived)).toEqual(withoutExportTime(exported));

    // Imported (by another instructor: this classroom's tokens went with it) as the export, as an archive, and gzip-encoded.
    const other = await classroomWith(server.url, []);
    const fromExport = await upload(`${exported.join('\n')}\n`, other.instructorToken, { 'content-type': 'application/x-ndjson' });
    const fromArchive = await upload(archive, other.instructorToken, { 'content-type': 'application/gzip' });
    const encoded = await upload(archive, other.instructorToken, { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' });
    expect([fromExport.status, fromArchive.status, encoded.status]).toEqual([201, 201, 201]);
    const [a, b] = [fromExport.body, fromArchive.body];
    const [sa, sb, sc] = await Promise.all([a, b, encoded.body].map((r) => getJson<ReplaySummary>(`/api/replays/${r.id}`, r.token)));
    if (!sa || !sb || !sc) throw new Error('three summaries');
    expect(sb.entries).toBe(exported.length - 2);
    const same = (s: ReplaySummary) => ({ ...s, id: '', header: { ...s.header, exportedAt: 0 } });
    expect(same(sb)).toEqual(same(sa));
    expect(same(sc)).toEqual(same(sa));
    expect(sb.markers.some((m) => m.category === 'fault' && m.label.includes('node-1'))).toBe(true);
    expect(sb.markers.some((m) => m.category === 'room' && m.label === 'The class is closed')).toBe(true);
    for (const index of [...sb.markers.map((m) => m.index), sb.entries - 1]) {
      const [ma, mb] = await Promise.all([getJson<ReplayMoment>(`/api/replays/${a.id}/state?index=${index}`, a.token), getJson<ReplayMoment>(`/api/replays/${b.id}/state?index=${index}`, b.token)]);
      expect({ ...mb, objects: sorted(mb.objects) }, `the moment after entry ${index}`).toEqual({ ...ma, objects: sorted(ma.objects) });
    }
    const end = await getJson<ReplayMoment>(`/api/replays/${b.id}/state?index=${sb.entries - 1}`, b.token);
    expect(end.view?.phase).toBe('closed');
    expect(end.objects.filter((o) => o.kind === 'Pod').length).toBeGreaterThan(0);
  });

  test('a replay expires after REPLAY_TTL_DAYS, and only the instructor who imported it may delete it', { timeout: 60_000 }, async () => {
    const owner = await classroomWith(server.url, []);
    const stranger = await classroomWith(server.url, []);
    const log = await (await fetch(`${server.url}/api/classrooms/${owner.id}/log`, { headers: auth(owner.instructorToken) })).text();
    const created = await upload(log, owner.instructorToken, { 'content-type': 'application/x-ndjson' });
    expect(created.status).toBe(201);
    const { id, token, expiresAt } = created.body;
    expect(Math.abs(expiresAt - (Date.now() + TTL_DAYS * 86_400_000))).toBeLessThan(60_000);
    const meta = `${prefix}:{replay:${id}}:meta`;
    expect(Math.abs((await redis.pExpireTime(meta)) - expiresAt)).toBeLessThan(5);

    const remove = (bearer: string) => fetch(`${server.url}/api/replays/${id}`, { method: 'DELETE', headers: auth(bearer) });
    const refused = await remove(stranger.instructorToken);
    expect({ status: refused.status, body: await refused.json() }).toEqual({ status: 403, body: { code: 'Forbidden', message: 'only the instructor who imported this replay may delete it' } });
    expect((await remove(token)).status).toBe(401);
    expect((await fetch(`${server.url}/api/replays/${id}`, { headers: auth(token) })).status).toBe(200);
    expect((await remove(owner.instructorToken)).status).toBe(204);
    expect((await fetch(`${server.url}/api/replays/${id}`, { headers: auth(token) })).status).toBe(404);
    expect(await redis.exists([meta, `${prefix}:{replay:${id}}:lines`])).toBe(0);
    expect((await remove(owner.instructorToken)).status).toBe(404);

    // Redis ends a replay at its expiry: a short-lived one is gone after it.
    const brief = await importReplay({ redis, keyPrefix: prefix, ttlMs: 1500 }, [log]);
    expect((await fetch(`${server.url}/api/replays/${brief.id}`, { headers: auth(brief.token) })).status).toBe(200);
    await waitFor(async () => (await fetch(`${server.url}/api/replays/${brief.id}`, { headers: auth(brief.token) })).status === 404, { what: 'the replay expired', timeoutMs: 10_000, intervalMs: 200 });
  });
});
