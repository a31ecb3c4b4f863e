/**
 * Seeking a replay: the time to rebuild the cluster at a random point of a 100,000-entry log
 * (the nearest snapshot, then at most one segment folded onto it) beside the time to fold the
 * whole log from the start, measured in the same run on the same imported replay.
 *   npm run bench -- replay        (BENCH_ENTRIES=100000, BENCH_SEEKS=30)
 * The log is made like a classroom's: 3 nodes, pods created, bound, updated many times and deleted,
 * a request entry after every change, a room change now and then; it goes through the real import.
 */
import { randomUUID } from 'node:crypto';
import { applyDefaults, makeNode, makePod, type KubeObject } from '@shared/model';
import { EMPTY_CLUSTER_STATE, LOG_FORMAT, LOG_FORMAT_VERSION, applyWatchEvents, watchEventOf, type LogEntry } from '@shared/protocol';
import { connectRedis } from '../server/redis/connect';
import { startEmbeddedRedis, type EmbeddedRedis } from '../server/redis/embedded-redis';
import { importReplay, DEFAULT_IMPORT_LIMITS, SEGMENT } from '../server/replay/import-log';
import { replayKeys } from '../server/replay/keys';
import { Replays } from '../server/replay/replays';

const ENTRIES = Number(process.env.BENCH_ENTRIES ?? 100_000);
const SEEKS = Number(process.env.BENCH_SEEKS ?? 30);
const PREFIX = `bench-${randomUUID().slice(0, 8)}`;
const SIM_START = Date.UTC(2026, 10, 30, 9, 0, 0);

/** A deterministic classroom-like log as NDJSON lines. */
function* syntheticLog(entries: number): Generator<string> {
  yield JSON.stringify({ format: LOG_FORMAT, formatVersion: LOG_FORMAT_VERSION, clusterplayVersion: '0.1.0', classroom: { id: 'bench', title: 'Bench' }, exportedAt: SIM_START });
  let rv = 0;
  let count = 0;
  let seed = 42;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const live = new Map<string, KubeObject>();
  const line = (entry: LogEntry) => {
    count++;
    return JSON.stringify(entry);
  };
  const change = (type: 'ADDED' | 'MODIFIED' | 'DELETED', object: KubeObject): string => {
    rv++;
    const stored = { ...object, metadata: { ...object.metadata, resourceVersion: String(rv) } } as KubeObject;
    if (type === 'DELETED') live.delete(object.metadata.name);
    else live.set(object.metadata.name, stored);
    return line({ t: 'change', type, resourceVersion: String(rv), object: stored, actor: 'bot:scheduler', simTime: SIM_START + rv * 500, wallTime: SIM_START + rv * 12 });
  };
  for (const n of ['node-1', 'node-2', 'node-3']) yield change('ADDED', { ...applyDefaults(makeNode(n)), metadata: { ...makeNode(n).metadata, uid: randomUUID() } } as KubeObject);
  let pod = 0;
  while (count < entries) {
    const names = [...live.keys()].filter((k) => k.startsWith('web-'));
    const roll = rand();
    if (names.length < 60 || roll < 0.05) {
      const p = applyDefaults(makePod(`web-${pod++}`, { labels: { app: 'web' }, requests: { cpu: '100m', memory: '64Mi' }, port: 80 }));
      yield change('ADDED', { ...p, metadata: { ...p.metadata, uid: randomUUID() } } as KubeObject);
    } else if (roll < 0.08) {
      yield change('DELETED', live.get(names[Math.floor(rand() * names.length)] ?? '') as KubeObject);
    } else {
      const current = live.get(names[Math.floor(rand() * names.length)] ?? '') as KubeObject & { spec: { nodeName?: string } };
      const next = { ...current, metadata: { ...current.metadata, annotations: { step: String(rv) } }, spec: { ...current.spec, nodeName: `node-${1 + Math.floor(rand() * 3)}` } } as KubeObject;
      yield change('MODIFIED', next);
    }
    if (count >= entries) break;
    const base = { resourceVersion: String(rv), actor: 'bot:scheduler', simTime: SIM_START + rv * 500, wallTime: SIM_START + rv * 12 };
    const refused = rand() < 0.05;
    yield line({ t: 'request', ...base, entry: { id: randomUUID(), wallTime: base.wallTime, simTime: base.simTime, actor: 'bot:scheduler', actorName: 'bot', role: 'scheduler', verb: 'bind', target: `pods/web-${pod}`, outcome: refused ? 'refused' : 'accepted', ...(refused ? { code: 'Conflict' as const } : {}), message: 'Successfully assigned' } });
  }
  yield JSON.stringify({ t: 'end', entries: count });
}

function stats(samples: number[]): { median: number; p95: number; max: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)] ?? NaN, p95: sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))] ?? NaN, max: sorted.at(-1) ?? NaN };
}

async function main(): Promise<void> {
  let embedded: EmbeddedRedis | null = null;
  const url = process.env.REDIS_URL ?? (embedded = await startEmbeddedRedis({ dataDir: null })).url;
  const redis = await connectRedis(url);
  try {
    const lines = [...syntheticLog(ENTRIES)].map((l) => `${l}\n`);
    const bytes = lines.reduce((n, l) => n + Buffer.byteLength(l), 0);
    let started = performance.now();
    const { id, token, summary } = await importReplay({ redis, keyPrefix: PREFIX }, lines, { ...DEFAULT_IMPORT_LIMITS, maxBytes: 2 * bytes });
    const importMs = performance.now() - started;
    const replays = new Replays(redis, PREFIX);
    const meta = await replays.open(id, token);
    const last = Number(summary.lastResourceVersion);

    // Seeking: a fresh random resourceVersion each time.
    const seeks: number[] = [];
    let seed = 7;
    for (let i = 0; i < SEEKS; i++) {
      seed = (seed * 48271) % 2147483647;
      const target = 1 + (seed % last);
      started = performance.now();
      const moment = await replays.seek(meta, { resourceVersion: target });
      seeks.push(performance.now() - started);
      if (moment.resourceVersion !== String(target)) throw new Error(`seek to ${target} gave ${moment.resourceVersion}`);
    }

    // Baseline: read every entry of the same replay and fold the whole log with the same reducer.
    const folds: number[] = [];
    for (let i = 0; i < 3; i++) {
      started = performance.now();
      const all = await redis.lRange(replayKeys(PREFIX, id).lines, 0, -1);
      const events = all.map((l) => JSON.parse(l) as LogEntry).flatMap((e) => (e.t === 'change' ? [watchEventOf(e)] : []));
      const state = applyWatchEvents(EMPTY_CLUSTER_STATE, events);
      folds.push(performance.now() - started);
      if (state.resourceVersion !== summary.lastResourceVersion) throw new Error('the fold did not reach the end');
    }
    const [linesBytes, snapshotBytes] = await Promise.all([redis.memoryUsage(replayKeys(PREFIX, id).lines), redis.memoryUsage(replayKeys(PREFIX, id).snapshots)]);
    const s = stats(seeks);
    const f = stats(folds);
    const ms = (n: number) => `${n.toFixed(1)} ms`.padStart(10);
    console.log(`${summary.entries.toLocaleString('en-US')} entries (${last.toLocaleString('en-US')} changes), ${(bytes / 2 ** 20).toFixed(1)} MiB NDJSON; a snapshot every ${SEGMENT} entries; Redis ${url}${embedded ? ' (private)' : ''}`);
    console.log(`import (check every line, write, snapshot)      ${ms(importMs)}`);
    console.log(`replay in Redis: entries ${((linesBytes ?? 0) / 2 ** 20).toFixed(1)} MiB, snapshots ${((snapshotBytes ?? 0) / 2 ** 20).toFixed(1)} MiB (MEMORY USAGE)`);
    console.log(`${''.padEnd(48)}${'median'.padStart(10)}${'p95'.padStart(10)}${'max'.padStart(10)}`);
    console.log(`${`seek to a random resourceVersion (${SEEKS}x)`.padEnd(48)}${ms(s.median)}${ms(s.p95)}${ms(s.max)}`);
    console.log(`${'baseline: fold the whole log from the start (3x)'.padEnd(48)}${ms(f.median)}${ms(f.p95)}${ms(f.max)}`);
    console.log(`seek / whole fold (medians): ${(s.median / f.median).toFixed(3)}  (${(f.median / s.median).toFixed(0)}x faster)`);
  } finally {
    const keys = await redis.keys(`${PREFIX}:*`);
    if (keys.length) await redis.del(keys);
    await redis.close();
    await embedded?.stop();
  }
}

await main();
