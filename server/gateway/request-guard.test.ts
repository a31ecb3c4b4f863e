import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Refusal, ResyncReply } from '@shared/protocol';
import type { RunningServer } from '../app';
import { classroomWith, connectCluster, type Classroom, type ClusterClient } from '../cluster/testing/cluster-client';
import { startTestServer } from '../testing/test-server';
import { waitFor } from '../testing/wait';
import { MAX_SOCKET_MESSAGE_BYTES } from './socket-server';

/** Every socket request gets an answer: to its ack, or as a `refused` event when it has none. */

let server: RunningServer;
let classroom: Classroom;
const clients: ClusterClient[] = [];
beforeAll(async () => {
  server = await startTestServer({ REDIS_KEY_PREFIX: `${inject('redisKeyPrefix')}-guard`, JOIN_RATE_LIMIT: '100000' });
  classroom = await classroomWith(server.url, ['ada']);
});
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});
afterAll(() => server.close());

async function instructor(): Promise<ClusterClient> {
  const client = await connectCluster(server.url, classroom.instructorToken);
  clients.push(client);
  return client;
}

/** Emits as a hand-written client might, outside the typed protocol. */
function emitRaw(client: ClusterClient, event: string, ...args: unknown[]): void {
  (client.socket as unknown as { emit(event: string, ...args: unknown[]): void }).emit(event, ...args);
}

function refusals(client: ClusterClient): Array<Refusal & { event: string }> {
  const seen: Array<Refusal & { event: string }> = [];
  client.socket.on('refused', (refusal) => seen.push(refusal));
  return seen;
}

describe('requests without an ack, or with extra arguments', () => {
  it('answers action, instructor and resync sent without an ack with a BadRequest `refused` event to that socket only', async () => {
    const sender = await instructor();
    const bystander = await instructor();
    const seen = refusals(sender);
    const heard = refusals(bystander);
    emitRaw(sender, 'action', { kind: 'renewLease', node: 'node-1' });
    emitRaw(sender, 'instructor', { kind: 'pause' });
    emitRaw(sender, 'resync', { resourceVersion: '1' });
    await waitFor(() => seen.length === 3, { what: 'three refusals' });
    // The action names its move as the request log does, so the page can name it as its button does.
    const move: Record<string, object> = { action: { verb: 'renewLease', target: 'leases/node-1' } };
    expect(seen).toEqual(
      ['action', 'instructor', 'resync'].map((event) => ({
        ok: false,
        code: 'BadRequest',
        message: `"${event}" needs an acknowledgement callback: emit("${event}", payload, ack)`,
        event,
        ...move[event],
      })),
    );
    expect(heard).toEqual([]);
  });

  it('refuses extra arguments with BadRequest to the ack', async () => {
    const client = await instructor();
    const raw = client.socket as unknown as { timeout(ms: number): { emitWithAck(event: string, ...args: unknown[]): Promise<unknown> } };
    const ask = (event: string, ...args: unknown[]) => raw.timeout(5000).emitWithAck(event, ...args);
    for (const event of ['action', 'instructor', 'resync']) {
      expect(await ask(event, { kind: 'pause', resourceVersion: '1' }, 'extra'), event).toEqual({
        ok: false,
        code: 'BadRequest',
        message: `"${event}" takes one payload and an acknowledgement callback; it was sent with 2 argument(s) before the callback`,
      });
    }
    expect(await ask('resync')).toEqual({
      ok: false,
      code: 'BadRequest',
      message: '"resync" takes one payload and an acknowledgement callback; it was sent with 0 argument(s) before the callback',
    });
    expect(await ask('nonsense', {})).toEqual({ ok: false, code: 'BadRequest', message: 'unknown request "nonsense": the server answers action, instructor and resync' });
    // The connection stays usable.
    expect(await client.instructor({ kind: 'lockRoom', locked: false })).toEqual({ ok: true });
  });
});

describe('an oversized message', () => {
  it(`is answered PayloadTooLarge before the connection closes (over ${MAX_SOCKET_MESSAGE_BYTES} bytes)`, async () => {
    const client = await instructor();
    const manifest = 'x'.repeat(100 * 1024);
    const bytes = Buffer.byteLength(JSON.stringify([{ kind: 'apply', manifest }]));
    const reasons: string[] = [];
    client.socket.on('disconnect', (reason) => reasons.push(reason));
    const reply = await client.socket.timeout(5000).emitWithAck('instructor', { kind: 'apply', manifest });
    expect(reply).toEqual({
      ok: false,
      code: 'PayloadTooLarge',
      message: `the "instructor" message is ${bytes} bytes (100 KiB); a message may be at most 81920 bytes (80 KiB); the connection is closed`,
    });
    await waitFor(() => reasons.length > 0, { what: 'the disconnect' });
    expect(reasons).toEqual(['io server disconnect']);
  });

  it('without an ack, is answered with a `refused` event before the connection closes', async () => {
    const client = await instructor();
    const seen = refusals(client);
    const reasons: string[] = [];
    client.socket.on('disconnect', (reason) => reasons.push(reason));
    emitRaw(client, 'action', { kind: 'bind', pod: 'x'.repeat(90 * 1024) });
    await waitFor(() => reasons.length > 0, { what: 'the disconnect' });
    expect(seen).toEqual([expect.objectContaining({ ok: false, code: 'PayloadTooLarge', event: 'action' })]);
    expect(reasons).toEqual(['io server disconnect']);
  });
});

describe('resync', () => {
  it('from a version ahead of the server gets a fresh snapshot, not "ok, 0 events"', async () => {
    const client = await instructor();
    const current = client.state.resourceVersion;
    const ahead = String(BigInt(current) + 1000n);
    const reply: ResyncReply = await client.socket.timeout(5000).emitWithAck('resync', { resourceVersion: ahead });
    expect(reply).toEqual({ ok: true, snapshot: { resourceVersion: expect.any(String), objects: expect.any(Array) } });
    if (!reply.ok || !('snapshot' in reply)) throw new Error('no snapshot');
    expect(BigInt(reply.snapshot.resourceVersion)).toBeGreaterThanOrEqual(BigInt(current));
    expect(BigInt(reply.snapshot.resourceVersion)).toBeLessThan(BigInt(ahead));
    // Up to date still answers with the events since (none or a few), not a snapshot.
    const level: ResyncReply = await client.socket.timeout(5000).emitWithAck('resync', { resourceVersion: reply.snapshot.resourceVersion });
    expect(level).toMatchObject({ ok: true, events: expect.any(Array) });
  });
});
