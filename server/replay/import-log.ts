/**
 * Import: an uploaded log becomes a read-only replay. Lines are checked as they arrive
 * (log-checker.ts) and written in batches under keys that expire, with a snapshot of the moment
 * every SEGMENT entries; only when the whole file checked out is the replay's meta written and
 * the keys given the replay's lifetime (REPLAY_TTL_DAYS). A refused or failed upload deletes what it wrote (and the expiry cleans up
 * after a process that died mid-upload): nothing half-imported stays behind.
 */
import { TimelineBuilder, type LogEntry, type ReplaySummary } from '@shared/protocol';
import { hashToken, newClassroomId, newToken } from '../classroom/secrets';
import type { RedisClient } from '../redis/connect';
import { replayKeys } from './keys';
import { LogChecker } from './log-checker';
import { splitLines, type LineLimits } from './lines';
import { MomentFold, START_MOMENT } from './moment';

export interface ImportLimits extends LineLimits {
  maxEntries: number;
  /** Entries between two snapshots (SEGMENT unless a test wants many snapshots of a short log). */
  segment?: number;
}

export const DEFAULT_IMPORT_LIMITS: ImportLimits = { maxBytes: 512 * 2 ** 20, maxLineBytes: 8 * 2 ** 20, maxEntries: 1_000_000 };
/** Entries between two snapshots: a seek folds at most this many. */
export const SEGMENT = 1000;
const BATCH = 500;
/** Keys of an upload in progress live this long unless the upload completes. */
const UNFINISHED_TTL_SECONDS = 3600;

export interface Segment {
  /** The last entry the segment's snapshot includes (-1: the empty start). */
  index: number;
  resourceVersion: string;
  simTime: number;
}

export interface ImportTarget {
  redis: RedisClient;
  keyPrefix: string;
  /** Who may delete it: `<classroomId>/<memberId>` of the instructor who imported it. */
  owner?: string;
  /** How long the replay lives (REPLAY_TTL_DAYS). */
  ttlMs?: number;
}

export const DEFAULT_REPLAY_TTL_MS = 30 * 86_400_000;

export async function importReplay(
  { redis, keyPrefix, owner = '', ttlMs = DEFAULT_REPLAY_TTL_MS }: ImportTarget,
  body: AsyncIterable<Buffer | string> | Iterable<Buffer | string>,
  limits: ImportLimits = DEFAULT_IMPORT_LIMITS,
): Promise<{ id: string; token: string; expiresAt: number; summary: ReplaySummary }> {
  const id = newClassroomId();
  const keys = replayKeys(keyPrefix, id);
  const checker = new LogChecker(limits.maxEntries);
  const timeline = new TimelineBuilder();
  const fold = new MomentFold(START_MOMENT);
  const segments: Segment[] = [{ index: -1, resourceVersion: '0', simTime: Number.MIN_SAFE_INTEGER }];
  let batch: string[] = [];
  let index = 0;
  let startSimTime: number | null = null;
  const flush = async () => {
    if (!batch.length) return;
    await redis.multi().rPush(keys.lines, batch).expire(keys.lines, UNFINISHED_TTL_SECONDS).exec();
    batch = [];
  };
  try {
    let first = true;
    for await (const { number, text, terminated } of splitLines(body, limits)) {
      if (first) {
        checker.readHeader(number, text, terminated);
        first = false;
        continue;
      }
      const entry: LogEntry | null = checker.readEntry(number, text, terminated);
      if (!entry) continue;
      batch.push(JSON.stringify(entry));
      timeline.add(entry, index);
      fold.add(entry, index);
      if (startSimTime === null && entry.t === 'change') startSimTime = entry.simTime;
      if ((index + 1) % (limits.segment ?? SEGMENT) === 0) {
        const moment = fold.moment();
        segments.push({ index, resourceVersion: moment.resourceVersion, simTime: moment.simTime });
        await redis.multi().hSet(keys.snapshots, String(segments.length - 1), JSON.stringify(moment)).expire(keys.snapshots, UNFINISHED_TTL_SECONDS).exec();
      }
      if (batch.length >= BATCH) await flush();
      index++;
    }
    const { header, entries } = checker.finish();
    await flush();
    const end = fold.moment();
    const token = newToken(id);
    const summary: ReplaySummary = {
      id,
      header,
      entries,
      firstResourceVersion: entries ? '1' : '0',
      lastResourceVersion: end.resourceVersion,
      startSimTime: startSimTime ?? (Number.isFinite(end.simTime) ? end.simTime : 0),
      endSimTime: Number.isFinite(end.simTime) ? end.simTime : 0,
      markers: timeline.markers,
    };
    const expiresAt = Date.now() + ttlMs;
    await redis
      .multi()
      .pExpireAt(keys.lines, expiresAt)
      .pExpireAt(keys.snapshots, expiresAt)
      .hSet(keys.meta, { summary: JSON.stringify(summary), segments: JSON.stringify(segments), tokenHash: hashToken(token), owner, createdAt: String(Date.now()) })
      .pExpireAt(keys.meta, expiresAt)
      .exec();
    return { id, token, expiresAt, summary };
  } catch (error) {
    await redis.del([keys.lines, keys.snapshots, keys.meta]).catch(() => undefined);
    throw error;
  }
}
