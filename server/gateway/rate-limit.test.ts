import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../app';
import { startTestServer } from '../testing/test-server';
import { connectMember, createClassroom } from './test-clients';

let server: RunningServer;
beforeAll(async () => {
  server = await startTestServer({ SOCKET_RATE_BURST: '3', SOCKET_RATE_PER_SECOND: '0.1' });
});
afterAll(() => server.close());

describe('per-socket rate limit (token bucket)', () => {
  it('answers requests beyond the burst with TooManyRequests and does not act on them', async () => {
    const { id, instructorToken } = await createClassroom(server.url);
    const instructor = await connectMember(server.url, instructorToken);
    try {
      const replies = [];
      for (const scale of [2, 3, 4, 5]) replies.push(await instructor.instructor({ kind: 'setTimeScale', timeScale: scale }));
      expect(replies.slice(0, 3)).toEqual([{ ok: true }, { ok: true }, { ok: true }]);
      expect(replies[3]).toEqual({ ok: false, code: 'TooManyRequests', message: 'too many requests: at most 0.1 per second (bursts of 3); slow down' });
      expect((await server.classrooms.view(id))?.clock.timeScale).toBe(4);
    } finally {
      instructor.close();
    }
  });
});
