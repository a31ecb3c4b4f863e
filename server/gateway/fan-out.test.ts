import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { makePod } from '@shared/model';
import type { ClusterAction } from '@shared/protocol';
import { getObject } from '@shared/protocol/watch-reducer';
import type { RunningServer } from '../app';
import type { ActionReply } from '../cluster/api-server';
import { assignRoles, classroomWith, connectCluster, type Classroom, type ClusterClient } from '../cluster/testing/cluster-client';
import { startTestServer } from '../testing/test-server';
import { waitFor } from '../testing/wait';

// The class stays in the lobby: no bot writes, so the sender's own moves are the only changes.
let server: RunningServer;
let classroom: Classroom;
let instructor: ClusterClient;
let scheduler: ClusterClient;

beforeAll(async () => {
  server = await startTestServer({ JOIN_RATE_LIMIT: '100000', REDIS_KEY_PREFIX: `${inject('redisKeyPrefix')}-fan-out` });
  classroom = await classroomWith(server.url, ['ada']);
  instructor = await connectCluster(server.url, classroom.instructorToken);
  await assignRoles(instructor, classroom, { ada: 'scheduler' });
  scheduler = await connectCluster(server.url, classroom.students.get('ada')?.token ?? '');
  await waitFor(() => getObject(scheduler.state, 'Lease', 'kube-scheduler', 'kube-system')?.spec.holderIdentity === classroom.students.get('ada')?.studentId, { what: 'the scheduler Lease' });
});

afterAll(async () => {
  for (const c of [instructor, scheduler]) c?.close();
  await server?.close();
});

/** Sends a move and reads, inside its ack callback, the version the sender's own view had reached. */
function actAndLook(client: ClusterClient, action: ClusterAction): Promise<{ reply: ActionReply; seenAtAck: string }> {
  return new Promise((resolve) => {
    client.socket.timeout(10_000).emit('action', action, (error: Error | null, reply: ActionReply) => {
      if (error) throw error;
      resolve({ reply, seenAtAck: client.state.resourceVersion });
    });
  });
}

describe('the fan-out of a move', () => {
  test('its changes reach the sockets before the answer to its sender: the fan-out does not wait behind the ack', async () => {
    const store = server.cluster.runtime.store;
    for (let i = 0; i < 8; i++) {
      const pod = await store.create(classroom.id, makePod(`order-${i}`, { requests: { cpu: '10m', memory: '16Mi' } }), { actor: 'instructor', simTime: 0 });
      await scheduler.reached(pod.metadata.resourceVersion);
      const { reply, seenAtAck } = await actAndLook(scheduler, { kind: 'bind', pod: pod.metadata.name, node: 'node-1', resourceVersion: pod.metadata.resourceVersion });
      expect(reply).toMatchObject({ ok: true, resourceVersion: expect.any(String) });
      const written = reply.ok ? (reply.resourceVersion ?? '') : '';
      // On one socket frames arrive in the order they were sent: the watch message came first.
      expect({ move: i, seenAtAck: BigInt(seenAtAck) >= BigInt(written) }).toEqual({ move: i, seenAtAck: true });
      await instructor.reached(written);
      expect(getObject(instructor.state, 'Pod', pod.metadata.name)?.spec.nodeName).toBe('node-1');
    }
  });

  test('a request whose log entry is noted after its change (an instructor\'s apply) still reaches every socket in one message with it', async () => {
    const messages: Array<{ kinds: string[]; verbs: string[] }> = [];
    const capture = (events: Array<{ object: { kind: string } }>, requests?: Array<{ verb: string }>) => messages.push({ kinds: events.map((e) => e.object.kind), verbs: (requests ?? []).map((r) => r.verb) });
    scheduler.socket.on('watch', capture);
    const manifest = 'apiVersion: v1\nkind: Service\nmetadata: { name: api }\nspec:\n  selector: { app: api }\n  ports: [{ port: 8080 }]\n';
    expect(await instructor.instructor({ kind: 'apply', manifest })).toEqual({ ok: true, message: 'service/api created' });
    await waitFor(() => messages.some((m) => m.verbs.includes('apply')), { what: 'the apply entry to reach the student' });
    scheduler.socket.off('watch', capture);
    expect(messages).toEqual([{ kinds: ['Service'], verbs: ['apply'] }]);
  });
});
