/**
 * The change log's size in Redis for a long bots-only classroom: a real server, one classroom,
 * bots in every role, the first round played, then left running; MEMORY USAGE of the change log
 * and of the record stream, with what compaction moved to disk, every minute of wall time; at the
 * end, the export's length (it still starts at entry 1).
 *   npm run bench -- replay-size     (BENCH_SIM_MINUTES=120, BENCH_TIME_SCALE=40, BENCH_COMPACTION=1)
 * Time scale 40 stands in for 1: the bots' and kubelets' writes are paced in simulated time, and
 * the compaction sweep runs every 60 simulated seconds, as it runs every 60 s at time scale 1.
 * BENCH_COMPACTION=0 measures the log without compaction.
 */
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { io } from 'socket.io-client';
import { startServer } from '../server/app';
import { loadConfig } from '../server/config';
import { connectRedis } from '../server/redis/connect';
import { startEmbeddedRedis } from '../server/redis/embedded-redis';
import { segmentDir } from '../server/replay/compaction';
import { storeKeys } from '../server/store';

const SIM_MINUTES = Number(process.env.BENCH_SIM_MINUTES ?? 120);
const TIME_SCALE = Number(process.env.BENCH_TIME_SCALE ?? 40);
const COMPACTION = process.env.BENCH_COMPACTION !== '0';
const TAIL = 500;
const PREFIX = 'bench-size';

async function onDisk(folder: string): Promise<{ files: number; bytes: number }> {
  const names = await readdir(folder).catch(() => [] as string[]);
  const sizes = await Promise.all(names.map(async (n) => (await stat(path.join(folder, n))).size));
  return { files: names.length, bytes: sizes.reduce((a, b) => a + b, 0) };
}

const dataDir = await mkdtemp(path.join(tmpdir(), 'clusterplay-bench-'));
const redisServer = await startEmbeddedRedis({ dataDir: null });
const server = await startServer(
  loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    REDIS_URL: redisServer.url,
    REDIS_KEY_PREFIX: PREFIX,
    NODE_ENV: 'production',
    REPLAY_DATA_DIR: dataDir,
    REPLAY_SWEEP_SECONDS: String(60 / TIME_SCALE),
    LOG_COMPACTION_TAIL: String(COMPACTION ? TAIL : 1e9),
  }),
  pino({ level: 'silent' }),
);
const redis = await connectRedis(redisServer.url);
try {
  const created = (await (await fetch(`${server.url}/api/classrooms`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"nodes":3}' })).json()) as { id: string; instructorToken: string };
  const socket = io(server.url, { transports: ['websocket'], auth: { token: created.instructorToken } });
  const send = (action: object) => socket.timeout(10_000).emitWithAck('instructor', action as never);
  for (const action of [{ kind: 'setTimeScale', timeScale: TIME_SCALE }, { kind: 'start' }]) await send(action);
  const keys = storeKeys(PREFIX, created.id);
  const segments = segmentDir(dataDir, PREFIX, created.id);
  const wallMs = (SIM_MINUTES * 60_000) / TIME_SCALE;
  const started = Date.now();
  console.log(`bots-only classroom, 3 nodes, default bot pace, time scale ${TIME_SCALE}: ${SIM_MINUTES} simulated minutes in ${(wallMs / 60_000).toFixed(1)} min of wall time`);
  console.log(COMPACTION ? `compaction on: tail ${TAIL} changes, chunk ${TAIL}, a sweep every 60 simulated s` : 'compaction off');
  console.log('sim min   log entries   log bytes (MEMORY USAGE)   bytes/entry   record entries   record bytes   last rv   segments   segment bytes');
  for (;;) {
    const elapsed = Date.now() - started;
    await new Promise((r) => setTimeout(r, Math.min(60_000, Math.max(0, wallMs - elapsed))));
    const simMinutes = ((Date.now() - started) * TIME_SCALE) / 60_000;
    const [logLen, logBytes, recLen, recBytes, rv] = await Promise.all([redis.xLen(keys.log), redis.memoryUsage(keys.log), redis.xLen(keys.record), redis.memoryUsage(keys.record), redis.get(keys.rv)]);
    const disk = await onDisk(segments);
    console.log(
      `${simMinutes.toFixed(0).padStart(7)}   ${String(logLen).padStart(11)}   ${String(logBytes).padStart(24)}   ${String(Math.round((logBytes ?? 0) / Math.max(1, logLen))).padStart(11)}   ${String(recLen).padStart(14)}   ${String(recBytes).padStart(12)}   ${String(rv).padStart(7)}   ${String(disk.files).padStart(8)}   ${String(disk.bytes).padStart(13)}`,
    );
    if (Date.now() - started >= wallMs) break;
  }
  const exported = (await (await fetch(`${server.url}/api/classrooms/${created.id}/log`, { headers: { authorization: `Bearer ${created.instructorToken}` } })).text()).trimEnd().split('\n');
  const firstChange = exported.find((l) => l.startsWith('{"t":"change"'));
  console.log(`export: ${exported.length - 2} entries, ${Buffer.byteLength(exported.join('\n'))} bytes; first change at resourceVersion ${JSON.parse(firstChange ?? '{}').resourceVersion}; end line ${exported.at(-1)}`);
  socket.close();
} finally {
  await redis.close();
  await server.close();
  await redisServer.stop();
  await rm(dataDir, { recursive: true, force: true });
}
