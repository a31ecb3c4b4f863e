import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../app';
import { startTestServer } from '../testing/test-server';
import { waitFor } from '../testing/wait';
import { connectClient, connectError, connectMember, createClassroom, joinClassroom, type TestClient } from './test-clients';

const BURST = 5;
const PER_SECOND = 1;
const env = {
  SOCKET_RATE_BURST: String(BURST),
  SOCKET_RATE_PER_SECOND: String(PER_SECOND),
  JOIN_RATE_LIMIT: '100000',
  MAX_SOCKETS_PER_MEMBER: '8',
  ANONYMOUS_SOCKET_LIMIT: '3',
  ANONYMOUS_SOCKET_TIMEOUT_SECONDS: '1',
};
let a: RunningServer;
let b: RunningServer;
const clients: TestClient[] = [];
beforeAll(async () => {
  a = await startTestServer(env);
  b = await startTestServer(env);
});
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});
afterAll(async () => {
  await a?.close();
  await b?.close();
});

describe('limits per member, not per socket', () => {
  it('48 sockets on 6 tokens, across two processes: each member gets its own budget, and everything beyond it is TooManyRequests', async () => {
    const { code } = await createClassroom(a.url);
    const members = await Promise.all(Array.from({ length: 6 }, (_, i) => joinClassroom(a.url, code, `S${i}`)));
    const sockets = new Map<string, TestClient[]>();
    for (const member of members) {
      const own: TestClient[] = [];
      for (let i = 0; i < 8; i++) own.push(await connectMember(i % 2 ? b.url : a.url, member.token));
      clients.push(...own);
      sockets.set(member.studentId, own);
    }
    const started = Date.now();
    const outcomes = await Promise.all(
      [...sockets].map(async ([memberId, own]) => {
        const replies = await Promise.all(own.flatMap((c) => Array.from({ length: 5 }, () => c.socket.timeout(5000).emitWithAck('action', {} as never))));
        return { memberId, passed: replies.filter((r) => !(r.ok === false && r.code === 'TooManyRequests')).length, refused: replies.length - replies.filter((r) => !(r.ok === false && r.code === 'TooManyRequests')).length };
      }),
    );
    const elapsed = (Date.now() - started) / 1000;
    const budget = BURST + Math.ceil(elapsed * PER_SECOND);
    console.info(`48 sockets, 6 members, 240 events in ${elapsed.toFixed(2)} s: passed per member ${outcomes.map((o) => o.passed).join(', ')} (budget ${budget})`);
    for (const outcome of outcomes) {
      expect(outcome.passed).toBeGreaterThanOrEqual(BURST);
      expect(outcome.passed).toBeLessThanOrEqual(budget);
      expect(outcome.refused).toBe(40 - outcome.passed);
    }
  });

  it('the member\'s budget refills at its rate, whichever socket asks', async () => {
    const { code } = await createClassroom(a.url);
    const member = await joinClassroom(a.url, code, 'Refill');
    const [one, two] = [await connectMember(a.url, member.token), await connectMember(b.url, member.token)];
    clients.push(one, two);
    const send = (c: TestClient) => c.socket.timeout(5000).emitWithAck('action', {} as never);
    const burst = await Promise.all(Array.from({ length: BURST + 1 }, (_, i) => send(i % 2 ? two : one)));
    expect(burst.filter((r) => r.ok === false && r.code === 'TooManyRequests')).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 1100 / PER_SECOND));
    expect(await send(two)).not.toMatchObject({ code: 'TooManyRequests' });
    expect(await send(one)).toMatchObject({ code: 'TooManyRequests' });
  });

  it('refuses a member\'s socket beyond the cap with TooManyRequests', async () => {
    const { code } = await createClassroom(a.url);
    const member = await joinClassroom(a.url, code, 'Tabby');
    for (let i = 0; i < 8; i++) clients.push(await connectMember(i % 2 ? b.url : a.url, member.token));
    const error = await connectError(b.url, member.token);
    expect(error.data?.code).toBe('TooManyRequests');
    expect(error.message).toMatch(/at most 8 connections/);
    // Closing one tab frees its place.
    clients.shift()?.close();
    await waitFor(async () => {
      const again = connectClient(a.url, member.token);
      clients.push(again);
      return await new Promise<boolean>((resolve) => {
        again.socket.once('session', () => resolve(true));
        again.socket.once('connect_error', () => resolve(false));
      });
    }, { what: 'a place to free up', intervalMs: 100 });
  });
});

describe('unauthenticated sockets', () => {
  const disconnection = (client: TestClient): Promise<string> => new Promise((resolve) => client.socket.once('disconnect', (reason) => resolve(reason)));
  const hello = (client: TestClient): Promise<unknown> => new Promise((resolve) => client.socket.once('hello', resolve));

  it('disconnects a socket without a token beyond the cap, and every one after the timeout', async () => {
    const anonymous = Array.from({ length: 3 }, () => connectClient(a.url));
    clients.push(...anonymous);
    const gone = anonymous.map(disconnection);
    await Promise.all(anonymous.map(hello));
    const opened = Date.now();
    const extra = connectClient(a.url);
    clients.push(extra);
    expect(await disconnection(extra)).toBe('io server disconnect');
    expect(await Promise.all(gone)).toEqual(['io server disconnect', 'io server disconnect', 'io server disconnect']);
    const heldFor = Date.now() - opened;
    expect(heldFor).toBeGreaterThanOrEqual(800);
    expect(heldFor).toBeLessThan(3000);
    // Their places are free again.
    const next = connectClient(a.url);
    clients.push(next);
    await hello(next);
    expect(next.socket.connected).toBe(true);
  });
});
