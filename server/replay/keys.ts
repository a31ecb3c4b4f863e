/** Redis keys of an imported replay; the hash tag keeps one replay's keys on one shard. */
export interface ReplayKeys {
  /** hash: summary (JSON), tokenHash, segments (JSON); written last: a replay exists once it has one */
  meta: string;
  /** list: the log's entries as JSON lines, in order (index = position in the log) */
  lines: string;
  /** hash: segment number -> the moment (objects, room view, last requests) at the segment's start */
  snapshots: string;
}

export function replayKeys(prefix: string, replayId: string): ReplayKeys {
  const base = `${prefix}:{replay:${replayId}}`;
  return { meta: `${base}:meta`, lines: `${base}:lines`, snapshots: `${base}:snapshots` };
}

/** Redis keys of a running classroom's compaction, beside its store keys (same hash tag, so archiving removes them with the rest). */
export interface CompactionKeys {
  /** hash: through (the last resourceVersion moved to disk), segments (JSON, oldest first) */
  compaction: string;
  /** sorted set: export id -> lease end (wall ms); the log is not compacted under a running export */
  exports: string;
}

export function compactionKeys(prefix: string, classroomId: string): CompactionKeys {
  const base = `${prefix}:{${classroomId}}`;
  return { compaction: `${base}:compaction`, exports: `${base}:exports` };
}
