/**
 * The change log's size in Redis for a long bots-only classroom: a real server, one classroom,
 * bots in every role, the first round played, then left running; MEMORY USAGE of the change log
 * and of the record stream, with entries per simulated minute, every minute of wall time.
 *   npm run bench -- replay-size     (BENCH_SIM_MINUTES=120, BENCH_TIME_SCALE=40)
 * Time scale 40 stands in for 1: the bots' and kubelets' writes are paced in simulated time.
 */
import pino from 'pino';
import { io } from 'socket.io-client';
import { startServer } from '../server/app';
import { loadConfig } from '../server/config';
import { connectRedis } from '../server/redis/connect';
import { startEmbeddedRedis } from '../server/redis/embedded-redis';
import { storeKeys } from '../server/store';

const SIM_MINUTES = Number(process.env.BENCH_SIM_MINUTES ?? 120);
const TIME_SCALE = Number(process.env.BENCH_TIME_SCALE ?? 40);
const PREFIX = 'bench-size';

const redisServer = await startEmbeddedRedis({ dataDir: null });
const server = await startServer(loadConfig({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', REDIS_URL: redisServer.url, REDIS_KEY_PREFIX: PREFIX, NODE_ENV: 'production' }), pino({ level: 'silent' }));
const redis = await connectRedis(redisServer.url);
try {
  const created = (await (await fetch(`${server.url}/api/classrooms`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"nodes":3}' })).json()) as { id: string; instructorToken: string };
  const socket = io(server.url, { transports: ['websocket'], auth: { token: created.instructorToken } });
  const send = (action: object) => socket.timeout(10_000).emitWithAck('instructor', action as never);
  for (const action of [{ kind: 'setTimeScale', timeScale: TIME_SCALE }, { kind: 'start' }]) await send(action);
  const keys = storeKeys(PREFIX, created.id);
  const wallMs = (SIM_MINUTES * 60_000) / TIME_SCALE;
  const started = Date.now();
  console.log(`bots-only classroom, 3 nodes, default bot pace, time scale ${TIME_SCALE}: ${SIM_MINUTES} simulated minutes in ${(wallMs / 60_000).toFixed(1)} min of wall time`);
  console.log('sim min   log entries   log bytes (MEMORY USAGE)   bytes/entry   record entries   record bytes');
  for (;;) {
    const elapsed = Date.now() - started;
    await new Promise((r) => setTimeout(r, Math.min(60_000, Math.max(0, wallMs - elapsed))));
    const simMinutes = ((Date.now() - started) * TIME_SCALE) / 60_000;
    const [logLen, logBytes, recLen, recBytes] = await Promise.all([redis.xLen(keys.log), redis.memoryUsage(keys.log), redis.xLen(keys.record), redis.memoryUsage(keys.record)]);
    console.log(
      `${simMinutes.toFixed(0).padStart(7)}   ${String(logLen).padStart(11)}   ${String(logBytes).padStart(24)}   ${String(Math.round((logBytes ?? 0) / Math.max(1, logLen))).padStart(11)}   ${String(recLen).padStart(14)}   ${String(recBytes).padStart(12)}`,
    );
    if (Date.now() - started >= wallMs) break;
  }
  socket.close();
} finally {
  await redis.close();
  await server.close();
  await redisServer.stop();
}
