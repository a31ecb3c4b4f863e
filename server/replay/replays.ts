/**
 * Reading an imported replay: its summary and timeline, its entries for playing forward, and
 * seeking (the moment after an entry, at a resourceVersion, or at a simulated time): the nearest
 * snapshot at or before the point, then at most one segment of entries folded onto it.
 */
import { timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { LogEntry, ReplayMoment, ReplaySummary } from '@shared/protocol';
import { hashToken } from '../classroom/secrets';
import { RefusalError } from '../classroom/refusal-error';
import type { RedisClient } from '../redis/connect';
import type { Segment } from './import-log';
import { replayKeys } from './keys';
import { MomentFold, START_MOMENT, type StoredMoment } from './moment';

export type SeekTarget = { index: number } | { resourceVersion: number } | { at: number };

/** Entries one `entries` read returns at most. */
export const MAX_ENTRIES_PER_READ = 2000;

interface ReplayMeta {
  summary: ReplaySummary;
  segments: Segment[];
  tokenHash: string;
}

const MetaSchema = z.object({ summary: z.string(), segments: z.string(), tokenHash: z.string() });

const toEntry = (json: string): LogEntry => JSON.parse(json) as LogEntry;

/** Whether an entry is past the target (the fold stops before it). */
function beyond(target: SeekTarget, entry: LogEntry, index: number, runningSimTime: number): boolean {
  if ('index' in target) return index > target.index;
  if ('resourceVersion' in target) return Number(entry.resourceVersion) > target.resourceVersion;
  return Math.max(runningSimTime, entry.simTime) > target.at;
}

function segmentOf(segments: readonly Segment[], target: SeekTarget): number {
  let found = 0;
  for (let s = 1; s < segments.length; s++) {
    const segment = segments[s] as Segment;
    const reached = 'index' in target ? segment.index <= target.index : 'resourceVersion' in target ? Number(segment.resourceVersion) <= target.resourceVersion : segment.simTime <= target.at;
    if (!reached) break;
    found = s;
  }
  return found;
}

export class Replays {
  /** Summaries and segments never change once imported: kept per process, a few at a time. */
  private readonly metas = new Map<string, ReplayMeta>();

  constructor(
    private readonly redis: RedisClient,
    private readonly keyPrefix: string,
  ) {}

  /** The replay, if the token is its own; 404 otherwise (a wrong token does not learn that the replay exists). */
  async open(id: string, token: string): Promise<ReplayMeta> {
    const meta = await this.meta(id);
    const given = Buffer.from(hashToken(token));
    if (!meta || given.length !== meta.tokenHash.length || !timingSafeEqual(given, Buffer.from(meta.tokenHash))) {
      throw new RefusalError('NotFound', `replay "${id}" not found, or this link's token is not its own`);
    }
    return meta;
  }

  /** Deletes the replay, only for the instructor who imported it. */
  async delete(id: string, owner: string): Promise<void> {
    const keys = replayKeys(this.keyPrefix, id);
    const stored = await this.redis.hGet(keys.meta, 'owner');
    if (stored === null || stored === undefined) throw new RefusalError('NotFound', `replay "${id}" not found`);
    if (stored !== owner) throw new RefusalError('Forbidden', 'only the instructor who imported this replay may delete it');
    await this.redis.del([keys.meta, keys.lines, keys.snapshots]);
    this.metas.delete(id);
  }

  async entries(id: string, from: number, limit: number): Promise<LogEntry[]> {
    const count = Math.max(0, Math.min(limit, MAX_ENTRIES_PER_READ));
    if (!count) return [];
    return (await this.redis.lRange(replayKeys(this.keyPrefix, id).lines, from, from + count - 1)).map(toEntry);
  }

  async seek(meta: ReplayMeta, target: SeekTarget): Promise<ReplayMoment> {
    const keys = replayKeys(this.keyPrefix, meta.summary.id);
    const s = segmentOf(meta.segments, target);
    const segment = meta.segments[s] as Segment;
    const next = meta.segments[s + 1];
    const [snapshot, lines] = await Promise.all([
      s === 0 ? Promise.resolve(null) : this.redis.hGet(keys.snapshots, String(s)),
      this.redis.lRange(keys.lines, segment.index + 1, next ? next.index : -1),
    ]);
    const from: StoredMoment = snapshot ? (JSON.parse(snapshot) as StoredMoment) : START_MOMENT;
    const fold = new MomentFold(from);
    let index = segment.index + 1;
    for (const line of lines) {
      const entry = toEntry(line);
      if (beyond(target, entry, index, fold.simTime)) break;
      fold.add(entry, index);
      index++;
    }
    const moment = fold.moment();
    return { ...moment, simTime: Number.isFinite(moment.simTime) ? moment.simTime : meta.summary.startSimTime };
  }

  private async meta(id: string): Promise<ReplayMeta | null> {
    const known = this.metas.get(id);
    // Kept per process, but a replay that expired or was deleted (by any process) is gone.
    if (known && (await this.redis.exists(replayKeys(this.keyPrefix, id).meta))) return known;
    this.metas.delete(id);
    const raw = await this.redis.hGetAll(replayKeys(this.keyPrefix, id).meta);
    if (!raw || !('summary' in raw)) return null;
    const stored = MetaSchema.parse(raw);
    const meta: ReplayMeta = { summary: JSON.parse(stored.summary) as ReplaySummary, segments: JSON.parse(stored.segments) as Segment[], tokenHash: stored.tokenHash };
    if (this.metas.size >= 20) this.metas.delete(this.metas.keys().next().value as string);
    this.metas.set(id, meta);
    return meta;
  }
}
