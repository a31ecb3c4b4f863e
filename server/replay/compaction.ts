/**
 * Compaction of a running classroom's record: the store's objects are the snapshot (a watcher
 * whose resourceVersion is older than the log's tail gets 410 Expired and lists them again, as
 * with etcd's compaction), and the log keeps only a tail in Redis. Older lines, exactly as an
 * export writes them, move to gzip segments on disk, in order, so an export still starts at
 * entry 1: the segments, then what Redis holds.
 *
 * The bound: a sweep moves everything but the last `tail` changes to disk once `tail + chunk`
 * changes are in Redis, so the change log holds fewer than tail + chunk changes plus those made
 * between two sweeps, and the record stream only what was recorded after the oldest of them.
 */
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { RedisClient } from '../redis/connect';
import { LuaScript, resourceVersionOfEntry, storeKeys } from '../store';
import { writeGzipLines } from './gzip-lines';
import { compactionKeys } from './keys';
import { recordLines } from './record-lines';

export interface CompactionOptions {
  /** Changes kept in Redis for watchers to resume from. */
  tail: number;
  /** The fewest changes one segment moves to disk. */
  chunk: number;
}

/** At about 12 changes a simulated minute (a bots-only class), 500 changes are 40 minutes of watch resume. */
export const DEFAULT_COMPACTION: CompactionOptions = { tail: 500, chunk: 500 };

export interface SegmentRecord {
  /** First and last resourceVersion whose change (and what was recorded after it) the segment holds. */
  from: number;
  to: number;
  /** The file's name in the classroom's segment folder. */
  name: string;
  lines: number;
  bytes: number;
}

export interface CompactionState {
  /** The last resourceVersion moved to disk (0: none). */
  through: number;
  segments: SegmentRecord[];
}

const segmentRecord = z.object({ from: z.number(), to: z.number(), name: z.string(), lines: z.number(), bytes: z.number() });
const stateHash = z.object({ through: z.string().optional(), segments: z.string().optional() });

export function compactionStateOf(hash: Record<string, string>): CompactionState {
  const raw = stateHash.parse(hash);
  return { through: Number(raw.through ?? 0), segments: raw.segments ? z.array(segmentRecord).parse(JSON.parse(raw.segments)) : [] };
}

export interface ReplayFiles {
  redis: RedisClient;
  keyPrefix: string;
  /** REPLAY_DATA_DIR: segments and archives live under it. */
  dataDir: string;
}

export function segmentDir(dataDir: string, keyPrefix: string, classroomId: string): string {
  return path.join(dataDir, 'segments', keyPrefix, classroomId);
}

// Moves the state forward and trims both streams in one step, only if no other sweep moved it
// meanwhile and no export holds a lease (an export reads the state once, then Redis from there).
// KEYS: compaction hash, exports set, change log, record stream
// ARGV: through expected, new through, segments JSON, now (ms), first id kept
const COMMIT = new LuaScript(`
if (redis.call('HGET', KEYS[1], 'through') or '0') ~= ARGV[1] then return 0 end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[4])
if redis.call('ZCARD', KEYS[2]) > 0 then return 0 end
redis.call('HSET', KEYS[1], 'through', ARGV[2], 'segments', ARGV[3])
redis.call('XTRIM', KEYS[3], 'MINID', ARGV[5])
redis.call('XTRIM', KEYS[4], 'MINID', ARGV[5])
return 1
`);

const Read = z.tuple([z.string().nullable(), z.number(), z.record(z.string(), z.string()), z.array(z.object({ id: z.string() })), z.number()]);

/** Moves the classroom's older record to a segment on disk when enough has gathered; resolves to the segment, or null. */
export async function compactClassroom({ redis, keyPrefix, dataDir }: ReplayFiles, classroomId: string, options: CompactionOptions = DEFAULT_COMPACTION): Promise<SegmentRecord | null> {
  const keys = storeKeys(keyPrefix, classroomId);
  const ck = compactionKeys(keyPrefix, classroomId);
  const now = Date.now();
  const [rv, length, hash, first, leases] = Read.parse(
    await redis.multi().get(keys.rv).xLen(keys.log).hGetAll(ck.compaction).xRange(keys.log, '-', '+', { COUNT: 1 }).zCount(ck.exports, now, '+inf').exec(),
  );
  if (leases > 0 || length < options.tail + options.chunk || !first[0]) return null;
  const state = compactionStateOf(hash);
  // The store's cap trimmed the log before compaction could move it: there is nothing whole to keep.
  if (resourceVersionOfEntry(first[0].id) !== state.through + 1) return null;
  const from = state.through + 1;
  const to = Number(rv ?? 0) - options.tail;
  // A name of its own: a sweep that loses the race removes only its own file.
  const name = `${from}-${to}-${randomUUID().slice(0, 8)}.ndjson.gz`;
  const file = path.join(segmentDir(dataDir, keyPrefix, classroomId), name);
  const { lines, bytes } = await writeGzipLines(file, recordLines(redis, keys, { afterResourceVersion: state.through, upTo: to }));
  const segment: SegmentRecord = { from, to, name, lines, bytes };
  const args = [String(state.through), String(to), JSON.stringify([...state.segments, segment]), String(Date.now()), `${to + 1}-0`];
  if ((await COMMIT.call(redis, [ck.compaction, ck.exports, keys.log, keys.record], args)) !== 1) {
    await rm(file, { force: true });
    return null;
  }
  return segment;
}
