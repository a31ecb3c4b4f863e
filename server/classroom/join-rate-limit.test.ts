import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import type { ErrorBody } from '@shared/protocol';
import type { RunningServer } from '../app';
import { createClassroom, post } from '../gateway/test-clients';
import { startTestServer } from '../testing/test-server';

let server: RunningServer;
beforeAll(async () => {
  // Its own key prefix: the attempt counter is per client address, and every test comes from 127.0.0.1.
  server = await startTestServer({ REDIS_KEY_PREFIX: `${inject('redisKeyPrefix')}-joinrate`, JOIN_RATE_LIMIT: '3', JOIN_RATE_WINDOW_SECONDS: '60' });
});
afterAll(() => server.close());

describe('join rate limit per client address', () => {
  it('counts every attempt, good or bad, and answers the next with 429 TooManyRequests and Retry-After', async () => {
    const { code } = await createClassroom(server.url);
    expect((await post(server.url, '/api/classrooms/join', { code, name: 'Ada' })).status).toBe(201);
    expect((await post(server.url, '/api/classrooms/join', { code: 'ZZZZZZ', name: 'Eve' })).status).toBe(404);
    expect((await post(server.url, '/api/classrooms/join', { code: 'YYYYYY', name: 'Eve' })).status).toBe(404);
    const limited = await post<ErrorBody>(server.url, '/api/classrooms/join', { code, name: 'Bob' });
    expect(limited.status).toBe(429);
    expect(limited.body.code).toBe('TooManyRequests');
    expect(limited.body.message).toContain('at most 3 per 60 s');
    expect(limited.headers.get('retry-after')).toBe('60');
  });
});

describe('the client address behind a load balancer (TRUST_PROXY)', () => {
  const joinFrom = (url: string, code: string, name: string, forwardedFor: string) =>
    fetch(`${url}/api/classrooms/join`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': forwardedFor }, body: JSON.stringify({ code, name }) });

  it('unset: a forwarded address is not believed, so a client cannot dodge the limit by sending one', async () => {
    const { code } = await createClassroom(server.url);
    const statuses: number[] = [];
    for (const [i, address] of ['198.51.100.1', '198.51.100.2', '198.51.100.3', '198.51.100.4'].entries()) statuses.push((await joinFrom(server.url, code, `Fwd ${i}`, address)).status);
    // The budget of 127.0.0.1 (the test above spent it) answers every one.
    expect(statuses).toEqual([429, 429, 429, 429]);
  });

  it('TRUST_PROXY=loopback (haproxy on the same machine): each school address behind it has its own budget', async () => {
    const behind = await startTestServer({ REDIS_KEY_PREFIX: `${inject('redisKeyPrefix')}-joinrate-proxy`, JOIN_RATE_LIMIT: '2', JOIN_RATE_WINDOW_SECONDS: '60', TRUST_PROXY: 'loopback' });
    try {
      const { code } = await createClassroom(behind.url);
      const a = [await joinFrom(behind.url, code, 'A1', '203.0.113.7'), await joinFrom(behind.url, code, 'A2', '203.0.113.7'), await joinFrom(behind.url, code, 'A3', '203.0.113.7')];
      expect(a.map((r) => r.status)).toEqual([201, 201, 429]);
      // Another school's address, through the same load balancer: not refused for the first one's joins.
      expect((await joinFrom(behind.url, code, 'B1', '203.0.113.8')).status).toBe(201);
    } finally {
      await behind.close();
    }
  });
});
