import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { io } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION, type ServerHello } from '@shared/protocol';
import type { RunningServer } from './app';
import { freePort, startEmbeddedRedis, type EmbeddedRedis } from './redis/embedded-redis';
import { startTestServer } from './testing/test-server';
import { waitFor } from './testing/wait';

let server: RunningServer | undefined;
let redis: EmbeddedRedis | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await server?.close();
  await redis?.stop();
  server = redis = undefined;
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('server shell', () => {
  it('answers /healthz and /readyz and greets a Socket.IO client', async () => {
    server = await startTestServer();
    const health = await fetch(`${server.url}/healthz`);
    expect(health.status).toBe(200);
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ redis: 'reachable' });

    const socket = io(server.url, { transports: ['websocket'], reconnection: false });
    try {
      const hello = await new Promise<ServerHello>((resolve, reject) => {
        socket.once('hello', resolve);
        socket.once('connect_error', reject);
      });
      expect(hello.protocolVersion).toBe(PROTOCOL_VERSION);
    } finally {
      socket.close();
    }
  });

  it('/readyz answers 503 while Redis is down and 200 again when it is back, without a restart', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'cp-readyz-'));
    dirs.push(dataDir);
    const port = await freePort();
    redis = await startEmbeddedRedis({ dataDir, port });
    server = await startTestServer({ REDIS_URL: redis.url });
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);

    await redis.stop();
    await waitFor(async () => (await fetch(`${server!.url}/readyz`)).status === 503, { what: '/readyz 503' });
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);

    redis = await startEmbeddedRedis({ dataDir, port });
    await waitFor(async () => (await fetch(`${server!.url}/readyz`)).status === 200, { what: '/readyz 200 again' });
  });
});
