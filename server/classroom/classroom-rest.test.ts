import { createClient } from 'redis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { JOIN_CODE_ALPHABET, type ErrorBody, type JoinClassroomResponse } from '@shared/protocol';
import type { RunningServer } from '../app';
import { connectMember, createClassroom, joinClassroom, post, type TestClient } from '../gateway/test-clients';
import { startTestServer } from '../testing/test-server';
import { hashToken, TOKEN_SECRET_BYTES } from './secrets';

let server: RunningServer;
const clients: TestClient[] = [];
beforeAll(async () => {
  server = await startTestServer({ JOIN_RATE_LIMIT: '100000', MAX_STUDENTS: '3' });
});
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});
afterAll(() => server.close());

const join = (code: string, name: string) => post<JoinClassroomResponse & ErrorBody>(server.url, '/api/classrooms/join', { code, name });

describe('POST /api/classrooms and /api/classrooms/join', () => {
  it('creates a classroom (201 id, 6-character code from the unambiguous alphabet, instructor token) and lets a student join (201)', async () => {
    const created = await post<{ id: string; code: string; instructorToken: string }>(server.url, '/api/classrooms', { title: 'Period 3', nodes: 2 });
    expect(created.status).toBe(201);
    expect(created.body.code).toMatch(new RegExp(`^[${JOIN_CODE_ALPHABET}]{6}$`));
    expect(created.body.instructorToken).toEqual(expect.any(String));

    // Codes are read off a projector: lower case and stray spaces are accepted.
    const joined = await join(` ${created.body.code.toLowerCase()} `, 'Ada');
    expect(joined.status).toBe(201);
    expect(joined.body).toEqual({ classroomId: created.body.id, studentId: expect.any(String), token: expect.any(String) });

    const instructor = await connectMember(server.url, created.body.instructorToken);
    clients.push(instructor);
    expect(instructor.views.at(-1)).toMatchObject({ id: created.body.id, title: 'Period 3', phase: 'lobby', locked: false, nodes: ['node-1', 'node-2'] });
    expect(instructor.views.at(-1)?.members.map((m) => [m.name, m.kind])).toEqual([
      ['Instructor', 'instructor'],
      ['Ada', 'student'],
    ]);
  });

  it('answers an unknown join code with 404 NotFound and a message naming the code', async () => {
    const res = await join('ZZZZZZ', 'Ada');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ code: 'NotFound', message: 'no open classroom has the join code ZZZZZZ; check the code on the projector' });
  });

  it('answers bad bodies with 400 BadRequest naming the field, before touching any classroom', async () => {
    const { code } = await createClassroom(server.url);
    const cases: Array<[unknown, string]> = [
      [{ code }, 'name'],
      [{ code, name: 'x'.repeat(41) }, 'at most 40 characters'],
      [{ code, name: '<script>' }, 'control characters or < >'],
      [{ code: 'ABC10O', name: 'Ada' }, 'a join code is 6 characters'],
      [{ code, name: 'Ada', admin: true }, 'admin'],
    ];
    for (const [body, mentions] of cases) {
      const res = await post<ErrorBody>(server.url, '/api/classrooms/join', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.code).toBe('BadRequest');
      expect(res.body.message).toContain(mentions);
    }
    const create = await post<ErrorBody>(server.url, '/api/classrooms', { nodes: 99 });
    expect(create).toMatchObject({ status: 400, body: { code: 'BadRequest', message: 'a classroom has at most 12 worker nodes on this server' } });
    expect(await post<ErrorBody>(server.url, '/api/classrooms', { nodes: 1001 })).toMatchObject({ status: 400, body: { code: 'BadRequest' } });

    const notJson = await fetch(`${server.url}/api/classrooms/join`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"code":' });
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toEqual({ code: 'BadRequest', message: 'the request body is not valid JSON' });
  });

  it('refuses a body over the size cap with 413 PayloadTooLarge, and unknown API routes with 404 NotFound', async () => {
    const big = await post<ErrorBody>(server.url, '/api/classrooms/join', { code: 'ABCDEF', name: 'x'.repeat(20_000) });
    expect(big).toMatchObject({ status: 413, body: { code: 'PayloadTooLarge' } });
    const unknown = await post<ErrorBody>(server.url, '/api/classrooms/nope', {});
    expect(unknown).toMatchObject({ status: 404, body: { code: 'NotFound' } });
  });

  it('stops joins at the students cap with 403 Forbidden, even when the joins arrive at once', async () => {
    const { code } = await createClassroom(server.url);
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => join(code, `Student ${i}`)));
    expect(results.filter((r) => r.status === 201)).toHaveLength(3);
    const refused = results.filter((r) => r.status !== 201);
    expect(refused.every((r) => r.status === 403 && r.body.code === 'Forbidden')).toBe(true);
    expect(refused[0]?.body.message).toBe('this classroom is full: it has the maximum of 3 students');
  });

  it('refuses late joiners with 403 Forbidden once the instructor locks the room, and admits them again after unlocking', async () => {
    const { code, instructorToken } = await createClassroom(server.url);
    const instructor = await connectMember(server.url, instructorToken);
    clients.push(instructor);
    expect(await instructor.instructor({ kind: 'lockRoom', locked: true })).toEqual({ ok: true });
    const locked = await join(code, 'Late');
    expect(locked.status).toBe(403);
    expect(locked.body).toEqual({ code: 'Forbidden', message: 'this classroom is locked: the instructor is not letting more students join' });
    await instructor.instructor({ kind: 'lockRoom', locked: false });
    expect((await join(code, 'Late')).status).toBe(201);
  });

  it('closing a classroom frees its code (404 for joins) but keeps its members for the instructor', async () => {
    const { code, instructorToken } = await createClassroom(server.url);
    await joinClassroom(server.url, code, 'Ada');
    const instructor = await connectMember(server.url, instructorToken);
    clients.push(instructor);
    expect(await instructor.instructor({ kind: 'closeClassroom' })).toEqual({ ok: true });
    expect((await join(code, 'Late')).status).toBe(404);
    const again = await connectMember(server.url, instructorToken);
    clients.push(again);
    expect(again.views.at(-1)).toMatchObject({ phase: 'closed' });
    expect(again.views.at(-1)?.members.map((m) => m.name)).toEqual(['Instructor', 'Ada']);
  });

  it('a join retried with its attempt and a corrected name (the first answer lost) is one student under the corrected name; once that student has connected, 409 Conflict', async () => {
    const { code, instructorToken } = await createClassroom(server.url);
    const attempt = 'typo-corrected'.padEnd(32, '0');
    const retry = (name: string) => post<JoinClassroomResponse & ErrorBody>(server.url, '/api/classrooms/join', { code, name, attempt });
    const lost = await retry('Grce');
    const again = await retry('Grace');
    expect(again).toMatchObject({ status: 201, body: { classroomId: lost.body.classroomId, studentId: lost.body.studentId } });
    const instructor = await connectMember(server.url, instructorToken);
    clients.push(instructor);
    expect(instructor.views.at(-1)?.members.map((m) => m.name)).toEqual(['Instructor', 'Grace']);

    clients.push(await connectMember(server.url, again.body.token));
    const late = await retry('Gracie');
    expect(late.status).toBe(409);
    expect(late.body).toEqual({
      code: 'Conflict',
      message: 'an earlier try of this join made the student "Grace", who has connected or been placed in a group since and cannot be renamed: join as "Grace" to take that seat, or ask the instructor to remove it first',
    });
    expect(instructor.views.at(-1)?.members.map((m) => m.name)).toEqual(['Instructor', 'Grace']);
  });

  it('sends security headers (helmet) on API answers and pages', async () => {
    const res = await fetch(`${server.url}/healthz`);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(res.headers.get('x-powered-by')).toBeNull();
  });
});

describe('tokens', () => {
  it(`carry ${TOKEN_SECRET_BYTES * 8} random bits (at least 128), never repeat, and only their SHA-256 is stored`, async () => {
    const { id, code, instructorToken } = await createClassroom(server.url);
    const tokens = [instructorToken];
    // The cap is 3 students per classroom on this server, so gather tokens over several classrooms.
    for (let i = 0; i < 10; i++) {
      const other = await createClassroom(server.url);
      tokens.push(other.instructorToken, (await joinClassroom(server.url, other.code, `S${i}`)).token);
    }
    tokens.push((await joinClassroom(server.url, code, 'Ada')).token);
    expect(new Set(tokens).size).toBe(tokens.length);
    for (const token of tokens) {
      const secret = token.split('.')[1] ?? '';
      expect(Buffer.from(secret, 'base64url').length * 8).toBeGreaterThanOrEqual(128);
    }
    // Bits vary across tokens: every byte position takes many values.
    const secrets = tokens.map((t) => Buffer.from(t.split('.')[1] ?? '', 'base64url'));
    for (let byte = 0; byte < TOKEN_SECRET_BYTES; byte++) expect(new Set(secrets.map((s) => s[byte])).size).toBeGreaterThan(8);

    const redis = createClient({ url: inject('redisUrl') });
    await redis.connect();
    try {
      const keys = await redis.keys(`${inject('redisKeyPrefix')}:{${id}}:*`);
      // Hashes, and the seat version (a counter).
      const dump = (await Promise.all(keys.map(async (k) => ((await redis.type(k)) === 'hash' ? JSON.stringify(await redis.hGetAll(k)) : await redis.get(k))))).join('\n');
      expect(dump).not.toContain(instructorToken.split('.')[1]);
      expect(dump).toContain(hashToken(instructorToken));
    } finally {
      await redis.close();
    }
  });
});
