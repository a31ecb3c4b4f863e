import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunningServer } from '../app';
import { freePort, startEmbeddedRedis, type EmbeddedRedis } from '../redis/embedded-redis';
import { startTestServer } from '../testing/test-server';
import { waitFor } from '../testing/wait';
import { HANDSHAKE_REDIS_UNAVAILABLE } from './auth';
import { connectClient, connectError, connectMember, createClassroom, joinClassroom, type TestClient } from './test-clients';

const servers: RunningServer[] = [];
const clients: TestClient[] = [];
const redises: EmbeddedRedis[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const s of servers.splice(0)) await s.close();
  for (const r of redises.splice(0)) await r.stop();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
async function start(): Promise<RunningServer> {
  const server = await startTestServer({ JOIN_RATE_LIMIT: '100000' });
  servers.push(server);
  return server;
}

describe('socket handshake auth: { token }', () => {
  it('refuses an unknown token with a connect_error that says why', async () => {
    const server = await start();
    const { id } = await createClassroom(server.url);
    for (const token of ['not-a-token', `${id}.${'A'.repeat(43)}`]) {
      const error = await connectError(server.url, token);
      expect(error.message).toBe('Unauthorized: unknown or revoked token; join the classroom again with its code');
      expect(error.data?.code).toBe('Unauthorized');
    }
  });

  it('gives a tokenless connection (the landing page) only hello, and refuses its requests with Unauthorized', async () => {
    const server = await start();
    const anonymous = connectClient(server.url);
    clients.push(anonymous);
    await new Promise((resolve) => anonymous.socket.once('hello', resolve));
    expect(await anonymous.instructor({ kind: 'lockRoom', locked: true })).toEqual({
      ok: false,
      code: 'Unauthorized',
      message: 'this connection has no token: join a classroom first',
    });
    expect(anonymous.sessions).toEqual([]);
  });

  it('sends the identity as session: the instructor and a student with their role', async () => {
    const server = await start();
    const { id, code, instructorToken } = await createClassroom(server.url);
    const { studentId, token } = await joinClassroom(server.url, code, 'Ada');
    const instructor = await connectMember(server.url, instructorToken);
    const student = await connectMember(server.url, token);
    clients.push(instructor, student);
    expect(instructor.sessions[0]).toEqual({ kind: 'instructor', classroomId: id, memberId: expect.any(String), name: 'Instructor' });
    expect(student.sessions[0]).toEqual({ kind: 'student', classroomId: id, memberId: studentId, name: 'Ada', role: null });
  });

  it('restores the same identity and role when the token reconnects to a new server process after a restart', async () => {
    const first = await start();
    const { code, instructorToken } = await createClassroom(first.url);
    const { studentId, token } = await joinClassroom(first.url, code, 'Ada');
    const instructor = await connectMember(first.url, instructorToken);
    const student = await connectMember(first.url, token);
    clients.push(instructor, student);
    await instructor.instructor({ kind: 'assignRole', studentId, role: 'kubelet:node-2' });
    const before = await student.session((s) => s.kind === 'student' && s.role === 'kubelet:node-2');

    await first.close();
    servers.splice(servers.indexOf(first), 1);
    await waitFor(() => !student.socket.connected, { what: 'the old connection to drop' });

    const second = await start();
    const again = await connectMember(second.url, token);
    clients.push(again);
    expect(again.sessions[0]).toEqual(before);
    expect(again.views.at(-1)?.seats.find((s) => s.role === 'kubelet:node-2')).toMatchObject({ studentIds: [studentId], leaderId: studentId, bot: 'standby' });
  });

  it('refuses a handshake for now (ServiceUnavailable) while Redis is down, and lets the same token in once it is back', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'cp-handshake-'));
    dirs.push(dataDir);
    const port = await freePort();
    const redis = await startEmbeddedRedis({ dataDir, port });
    redises.push(redis);
    const server = await startTestServer({ REDIS_URL: `redis://127.0.0.1:${port}`, JOIN_RATE_LIMIT: '100000' });
    servers.push(server);
    const { code } = await createClassroom(server.url);
    const { token } = await joinClassroom(server.url, code, 'Rui');

    await redis.stop();
    const error = await waitFor(async () => {
      const refused = await connectError(server.url, token);
      return refused.data?.code === 'ServiceUnavailable' && refused;
    }, { what: 'a handshake refused while Redis is down' });
    // The client retries exactly this code, keeping its token (client/src/lib/handshake-refusal.ts).
    expect({ message: error.message, data: error.data }).toEqual({ message: HANDSHAKE_REDIS_UNAVAILABLE, data: { code: 'ServiceUnavailable' } });

    redises.push(await startEmbeddedRedis({ dataDir, port }));
    const back = await waitFor(() => connectMember(server.url, token).catch(() => undefined), { what: 'the token let in again', timeoutMs: 15_000 });
    clients.push(back);
    expect(back.sessions[0]).toMatchObject({ kind: 'student', name: 'Rui' });
  });
});
