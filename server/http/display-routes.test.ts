import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import type { DisplayLinkResponse, ErrorBody, Refusal, ServerConfigResponse } from '@shared/protocol';
import type { RunningServer } from '../app';
import { classroomWith, connectCluster, type Classroom, type ClusterClient } from '../cluster/testing/cluster-client';
import { connectError } from '../gateway/test-clients';
import { startTestServer } from '../testing/test-server';
import { waitFor } from '../testing/wait';

/** The host screen: a display link with its own read-only token, and the join link's address. */

const PUBLIC_URL = 'https://class.example.org';
let server: RunningServer;
let classroom: Classroom;
const clients: ClusterClient[] = [];
beforeAll(async () => {
  server = await startTestServer({ REDIS_KEY_PREFIX: `${inject('redisKeyPrefix')}-display`, JOIN_RATE_LIMIT: '100000', PUBLIC_URL });
  classroom = await classroomWith(server.url, ['ada']);
});
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});
afterAll(() => server.close());

async function displayLink(classroomId: string, token?: string, body: unknown = {}): Promise<{ status: number; body: DisplayLinkResponse & ErrorBody }> {
  const res = await fetch(`${server.url}/api/classrooms/${classroomId}/display`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as DisplayLinkResponse & ErrorBody };
}

async function connect(token: string): Promise<ClusterClient> {
  const client = await connectCluster(server.url, token);
  clients.push(client);
  return client;
}

describe('GET /api/config', () => {
  it('gives the join link base: PUBLIC_URL when it is set', async () => {
    const res = await fetch(`${server.url}/api/config`);
    expect(res.status).toBe(200);
    expect((await res.json()) as ServerConfigResponse).toEqual({ joinBaseUrl: PUBLIC_URL });
  });
});

describe('POST /api/classrooms/:id/display', () => {
  it('gives the instructor a link for the projector: 201 { url with the token in its fragment, token }', async () => {
    const res = await displayLink(classroom.id, classroom.instructorToken);
    expect(res.status).toBe(201);
    expect(res.body.url).toBe(`${PUBLIC_URL}/display/${classroom.id}#token=${encodeURIComponent(res.body.token)}`);
  });

  it('refuses anyone but this classroom\'s instructor: 401 without or with an unknown token, 403 for a student, the host screen or another instructor', async () => {
    const other = await classroomWith(server.url, []);
    const display = (await displayLink(classroom.id, classroom.instructorToken)).body.token;
    const ada = classroom.students.get('ada')?.token ?? '';
    expect(await displayLink(classroom.id)).toEqual({ status: 401, body: { code: 'Unauthorized', message: 'send the instructor token as "Authorization: Bearer <token>"' } });
    expect(await displayLink(classroom.id, `${classroom.id}.${'A'.repeat(43)}`)).toEqual({ status: 401, body: { code: 'Unauthorized', message: 'unknown or revoked token' } });
    for (const token of [ada, display, other.instructorToken]) {
      expect(await displayLink(classroom.id, token)).toEqual({ status: 403, body: { code: 'Forbidden', message: `only the instructor of classroom "${classroom.id}" may do this` } });
    }
    expect((await displayLink(classroom.id, classroom.instructorToken, { title: 'x' })).body).toEqual({ code: 'BadRequest', message: 'this request takes no fields: send {}' });
  });

  it('revokes the previous link when it gives a new one', async () => {
    const first = (await displayLink(classroom.id, classroom.instructorToken)).body.token;
    const second = (await displayLink(classroom.id, classroom.instructorToken)).body.token;
    const refused = await connectError(server.url, first);
    expect(refused.message).toBe('Unauthorized: unknown or revoked token; join the classroom again with its code');
    const display = await connect(second);
    expect(display.sessions[0]).toEqual({ kind: 'display', classroomId: classroom.id, name: 'Host screen' });
  });
});

describe('a socket with the host-screen token', () => {
  it('watches the classroom (session, view, snapshot, live changes) without becoming a member', async () => {
    const { token } = (await displayLink(classroom.id, classroom.instructorToken)).body;
    const display = await connect(token);
    const instructor = await connect(classroom.instructorToken);
    await waitFor(() => display.view, { what: 'the first classroom view' });
    expect(display.sessions).toEqual([{ kind: 'display', classroomId: classroom.id, name: 'Host screen' }]);
    expect(display.view?.members.map((m) => m.name)).toEqual(['Instructor', 'ada']);
    expect(display.state.resourceVersion).toMatch(/^\d+$/);

    expect(await instructor.instructor({ kind: 'lockRoom', locked: true })).toEqual({ ok: true });
    await waitFor(() => display.view?.locked, { what: 'the display to see the room locked' });
    expect(await instructor.instructor({ kind: 'lockRoom', locked: false })).toEqual({ ok: true });
    await waitFor(() => display.view?.locked === false, { what: 'the display to see the room unlocked' });
    expect(instructor.view?.members.map((m) => [m.name, m.connected])).toEqual([
      ['Instructor', true],
      ['ada', false],
    ]);
  });

  it('may send no action or instructor request: 403 Forbidden, acked or as a `refused` event', async () => {
    const { token } = (await displayLink(classroom.id, classroom.instructorToken)).body;
    const display = await connect(token);
    const instructor = await connect(classroom.instructorToken);
    const forbidden = (event: string): Refusal => ({
      ok: false,
      code: 'Forbidden',
      message: `the host screen is read-only: it may watch this classroom but not send "${event}" requests; the instructor console and the students' screens make changes`,
    });
    expect(await display.act({ kind: 'renewLease', node: 'node-1' })).toEqual(forbidden('action'));
    expect(await display.instructor({ kind: 'pause' })).toEqual(forbidden('instructor'));
    const refused: Array<Refusal & { event: string }> = [];
    display.socket.on('refused', (r) => refused.push(r));
    (display.socket as unknown as { emit(event: string, payload: unknown): void }).emit('instructor', { kind: 'closeClassroom' });
    await waitFor(() => refused.length === 1, { what: 'the refused event' });
    expect(refused).toEqual([{ ...forbidden('instructor'), event: 'instructor' }]);
    expect(display.socket.connected).toBe(true);
    // Nothing reached the API server: the instructor's next request is the first the log shows.
    await instructor.instructor({ kind: 'deleteObject', objectKind: 'Pod', name: 'marker' });
    await waitFor(() => instructor.requests.length > 0, { what: 'the marker request in the log' });
    expect(instructor.requests.map((e) => [e.actor, e.verb, e.target])).toEqual([['instructor', 'deleteObject', 'pods/marker']]);
  });
});
