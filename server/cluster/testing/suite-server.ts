/**
 * One test server for a whole test file, and the sockets its tests open, all closed after the file.
 */
import { afterAll, beforeAll, inject } from 'vitest';
import type { RunningServer } from '../../app';
import { startTestServer } from '../../testing/test-server';
import { connectCluster, type ClusterClient } from './cluster-client';

export interface SuiteServer {
  readonly server: RunningServer;
  /** A member's socket, closed after the file. */
  connect(token: string): Promise<ClusterClient>;
}

/** Socket budgets wide enough for suites that test rules, not rate limits. */
export const WIDE_SOCKET_BUDGET = { SOCKET_RATE_PER_SECOND: '1000', SOCKET_RATE_BURST: '1000' };

export function suiteServer(name: string, env: Record<string, string> = {}): SuiteServer {
  let server: RunningServer | undefined;
  const clients: ClusterClient[] = [];
  beforeAll(async () => {
    server = await startTestServer({ JOIN_RATE_LIMIT: '100000', ...env, REDIS_KEY_PREFIX: `${inject('redisKeyPrefix')}-${name}` });
  });
  afterAll(async () => {
    for (const c of clients.splice(0)) c.close();
    await server?.close();
  });
  const running = (): RunningServer => {
    if (!server) throw new Error('the suite server is not started yet (use it inside a test or hook)');
    return server;
  };
  return {
    get server() {
      return running();
    },
    async connect(token) {
      const client = await connectCluster(running().url, token);
      clients.push(client);
      return client;
    },
  };
}
