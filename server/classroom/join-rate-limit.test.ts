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
