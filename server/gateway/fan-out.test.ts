import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import type { RunningServer } from '../app';
import { classroomWith, connectCluster, type Classroom, type ClusterClient } from '../cluster/testing/cluster-client';
import { lobbySettled } from '../cluster/testing/lobby-settled';
import { startTestServer } from '../testing/test-server';
import { waitFor } from '../testing/wait';

// The class stays in the lobby: no bot writes, so the requests below make the only changes.
let server: RunningServer;
let classroom: Classroom;
let instructor: ClusterClient;
let student: ClusterClient;

beforeAll(async () => {
  server = await startTestServer({ JOIN_RATE_LIMIT: '100000', REDIS_KEY_PREFIX: `${inject('redisKeyPrefix')}-fan-out` });
  classroom = await classroomWith(server.url, ['ada']);
  instructor = await connectCluster(server.url, classroom.instructorToken);
  await lobbySettled(server.cluster.runtime.store, classroom.id);
  student = await connectCluster(server.url, classroom.students.get('ada')?.token ?? '');
});

afterAll(async () => {
  for (const c of [instructor, student]) c?.close();
  await server?.close();
});

describe('the fan-out of a request', () => {
  test('a request whose log entry is noted after its change (an instructor\'s apply) still reaches every socket, once, after its change', async () => {
    const messages: Array<{ kinds: string[]; verbs: string[] }> = [];
    const capture = (events: Array<{ object: { kind: string } }>, requests?: Array<{ verb: string }>) => messages.push({ kinds: events.map((e) => e.object.kind), verbs: (requests ?? []).map((r) => r.verb) });
    student.socket.on('watch', capture);
    const manifest = 'apiVersion: v1\nkind: Service\nmetadata: { name: api }\nspec:\n  selector: { app: api }\n  ports: [{ port: 8080 }]\n';
    expect(await instructor.instructor({ kind: 'apply', manifest })).toEqual({ ok: true, message: 'service/api created' });
    await waitFor(() => messages.some((m) => m.verbs.includes('apply')), { what: 'the apply entry to reach the student' });
    student.socket.off('watch', capture);
    // Other writes of the lobby may share a message. The Service comes once and the entry once, not
    // before it: usually in one message, but the entry is appended off the request's path, and a CI
    // run under load saw it reach the student in the next message.
    const relevant = messages.filter((m) => m.kinds.includes('Service') || m.verbs.includes('apply'));
    expect(relevant.flatMap((m) => m.kinds.filter((k) => k === 'Service'))).toEqual(['Service']);
    expect(relevant.flatMap((m) => m.verbs.filter((v) => v === 'apply'))).toEqual(['apply']);
    expect(relevant[0]?.kinds).toContain('Service');
  });
});
