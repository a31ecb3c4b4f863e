import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, inject, it, vi } from 'vitest';
import type { StoreState } from '@shared/protocol';
import type { RunningServer } from '../app';
import { freePort, startEmbeddedRedis, type EmbeddedRedis } from '../redis/embedded-redis';
import { REDIS_UNAVAILABLE_MESSAGE } from '../redis/unavailable';
import { redisClusterMissing, startRedisCluster } from '../testing/redis-cluster';
import { sigkill, startServerProcess } from '../testing/server-process';
import { startTestServer } from '../testing/test-server';
import { waitFor } from '../testing/wait';
import { RECHECK_MS, StoreReachability, type ConnectionSignals } from './store-reachability';
import { connectMember, createClassroom, joinClassroom, type TestClient } from './test-clients';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('the store event: a connected socket hears when its server loses Redis and when it has it back', () => {
  it('a connected student and the instructor are told when Redis stops and when it is back, on the same connection, and a request meanwhile meets ServiceUnavailable', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'cp-store-event-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const port = await freePort();
    let redis: EmbeddedRedis = await startEmbeddedRedis({ dataDir, port });
    cleanups.push(() => redis.stop());
    const server: RunningServer = await startTestServer({ REDIS_URL: `redis://127.0.0.1:${port}`, JOIN_RATE_LIMIT: '100000' });
    cleanups.push(() => server.close());
    const { code, instructorToken } = await createClassroom(server.url);
    const { token } = await joinClassroom(server.url, code, 'Rui');

    const student: TestClient = await connectMember(server.url, token);
    cleanups.push(() => student.close());
    const heard: StoreState[] = [];
    let disconnects = 0;
    student.socket.on('disconnect', () => disconnects++);
    student.socket.on('store', (state) => heard.push(state));
    const socketId = student.socket.id;
    // Every socket of the process hears it: the instructor's too.
    const instructor = await connectMember(server.url, instructorToken);
    cleanups.push(() => instructor.close());
    const instructorHeard: StoreState[] = [];
    instructor.socket.on('store', (state) => instructorHeard.push(state));

    await redis.stop();
    await waitFor(() => heard.length >= 1, { what: 'the store event after Redis stopped' });
    expect(heard).toEqual([{ reachable: false }]);
    // What the screen says is what a request meets meanwhile.
    expect(await instructor.instructor({ kind: 'lockRoom', locked: true })).toEqual({
      ok: false,
      code: 'ServiceUnavailable',
      message: REDIS_UNAVAILABLE_MESSAGE,
    });

    redis = await startEmbeddedRedis({ dataDir, port });
    await waitFor(() => heard.length >= 2, { what: 'the store event after Redis came back', timeoutMs: 15_000 });
    expect(heard).toEqual([{ reachable: false }, { reachable: true }]);
    expect(instructorHeard).toEqual([{ reachable: false }, { reachable: true }]);
    // The same connection throughout: the outage was told, not shown by a disconnect.
    expect({ id: student.socket.id, connected: student.socket.connected, disconnects }).toEqual({ id: socketId, connected: true, disconnects: 0 });
  });

  it('a Redis that hangs (SIGSTOP: no connection closes) is told as unreachable once commands go unanswered, and as reachable when it answers again', async () => {
    const redis = await startEmbeddedRedis({ dataDir: null });
    cleanups.push(() => redis.stop());
    const server: RunningServer = await startTestServer({ REDIS_URL: redis.url, JOIN_RATE_LIMIT: '100000' });
    cleanups.push(() => server.close());
    const { instructorToken } = await createClassroom(server.url);
    const instructor = await connectMember(server.url, instructorToken);
    cleanups.push(() => instructor.close());
    const heard: StoreState[] = [];
    instructor.socket.on('store', (state) => heard.push(state));
    const socketId = instructor.socket.id;

    process.kill(redis.pid, 'SIGSTOP');
    let frozen = true;
    cleanups.push(() => void (frozen && process.kill(redis.pid, 'SIGCONT')));
    // The process's own beat in the registry goes unanswered first: nobody has to click.
    await waitFor(() => heard.length >= 1, { what: 'the store event after Redis froze', timeoutMs: 10_000 });
    expect(heard).toEqual([{ reachable: false }]);
    expect(await instructor.instructor({ kind: 'lockRoom', locked: true })).toMatchObject({ ok: false, code: 'ServiceUnavailable' });

    process.kill(redis.pid, 'SIGCONT');
    frozen = false;
    await waitFor(() => heard.length >= 2, { what: 'the store event after Redis answered again', timeoutMs: 15_000 });
    expect(heard).toEqual([{ reachable: false }, { reachable: true }]);
    expect({ id: instructor.socket.id, connected: instructor.socket.connected }).toEqual({ id: socketId, connected: true });
    expect(await instructor.instructor({ kind: 'lockRoom', locked: true })).toMatchObject({ ok: true });
  }, 40_000);

  const missing = redisClusterMissing();
  it.skipIf(missing)('on a Redis Cluster, a connected student is told when a master dies and when its replica has taken over its slots, as /readyz says', async () => {
    const cluster = await startRedisCluster({ masters: 3, replicas: 1 });
    cleanups.push(() => cluster.stop());
    // A process of its own, ended with SIGKILL: how a server shuts down after a failover is
    // shutdown-after-failover.test.ts's subject, not this test's.
    const port = await freePort();
    const child = await startServerProcess(port, {
      REDIS_URL: '',
      REDIS_CLUSTER_NODES: cluster.nodes.join(','),
      REDIS_KEY_PREFIX: `${inject('redisKeyPrefix')}-store-event`,
      JOIN_RATE_LIMIT: '100000',
    });
    cleanups.push(() => sigkill(child));
    const url = `http://127.0.0.1:${port}`;
    const readyz = async () => (await fetch(`${url}/readyz`)).status;
    const { code } = await createClassroom(url);
    const { token } = await joinClassroom(url, code, 'Rui');
    const student = await connectMember(url, token);
    cleanups.push(() => student.close());
    const heard: StoreState[] = [];
    student.socket.on('store', (state) => heard.push(state));

    const master = cluster.topology(cluster.nodes[0] ?? '').find((node) => node.role === 'master' && node.slots.length > 0);
    if (!master) throw new Error('no master serving slots');
    await cluster.kill(master.address);
    await waitFor(() => heard.length >= 1, { what: 'the store event after the master died' });
    // The same truth as /readyz: a slot unserved (its replica is promoted seconds later).
    expect({ heard, readyz: await readyz() }).toEqual({ heard: [{ reachable: false }], readyz: 503 });
    await waitFor(() => heard.length >= 2, { what: 'the store event after the replica took over', timeoutMs: 30_000 });
    expect({ heard, readyz: await readyz(), connected: student.socket.connected }).toEqual({ heard: [{ reachable: false }, { reachable: true }], readyz: 200, connected: true });
  }, 90_000);

  it('a socket that connects is told the store is reachable right after hello', async () => {
    const server = await startTestServer({ JOIN_RATE_LIMIT: '100000' });
    cleanups.push(() => server.close());
    const { code } = await createClassroom(server.url);
    const { token } = await joinClassroom(server.url, code, 'Ada');
    const { io } = await import('socket.io-client');
    const socket = io(server.url, { transports: ['websocket'], reconnection: false, auth: { token } });
    cleanups.push(() => void socket.close());
    const order: string[] = [];
    socket.onAny((event: string, ...args: unknown[]) => order.push(event === 'store' ? `store ${JSON.stringify(args[0])}` : event));
    await waitFor(() => order.includes('session'), { what: 'the session' });
    expect(order.slice(0, 2)).toEqual(['hello', 'store {"reachable":true}']);
  });
});

/** A client's connection signals, and a check whose answer the test sets. */
class FakeClient extends EventEmitter implements ConnectionSignals {
  answer = true;
  checks = 0;
  check = async (): Promise<boolean> => {
    this.checks++;
    return this.answer;
  };
}

describe('StoreReachability: a signal starts a check; a failed check is repeated until one passes', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it('on a Redis Cluster whose master failed over (no node reports ready again), the repeated check finds the store back', async () => {
    const client = new FakeClient();
    const changes: boolean[] = [];
    const reachability = new StoreReachability(client, client.check, (reachable) => changes.push(reachable));
    cleanups.push(() => reachability.close());

    client.answer = false;
    client.emit('node-error', new Error('connect ECONNREFUSED'));
    await vi.advanceTimersByTimeAsync(0);
    expect({ changes, reachable: reachability.reachable }).toEqual({ changes: [false], reachable: false });

    // The replica is promoted: the cluster serves every slot again, and no node says a word.
    await vi.advanceTimersByTimeAsync(RECHECK_MS);
    client.answer = true;
    await vi.advanceTimersByTimeAsync(RECHECK_MS);
    expect({ changes, reachable: reachability.reachable }).toEqual({ changes: [false, true], reachable: true });

    // Reachable again: no more checks until a signal.
    const checks = client.checks;
    await vi.advanceTimersByTimeAsync(10 * RECHECK_MS);
    expect(client.checks).toBe(checks);
  });

  it('a ready signal whose check still fails (a slot still unserved) keeps the store unreachable; nothing is told twice', async () => {
    const client = new FakeClient();
    const changes: boolean[] = [];
    const reachability = new StoreReachability(client, client.check, (reachable) => changes.push(reachable));
    cleanups.push(() => reachability.close());

    client.answer = false;
    client.emit('error', new Error('Socket closed unexpectedly'));
    client.emit('error', new Error('connect ECONNREFUSED'));
    await vi.advanceTimersByTimeAsync(0);
    client.emit('node-ready');
    await vi.advanceTimersByTimeAsync(3 * RECHECK_MS);
    expect(changes).toEqual([false]);
    client.answer = true;
    client.emit('ready');
    await vi.advanceTimersByTimeAsync(0);
    expect(changes).toEqual([false, true]);
  });
});
