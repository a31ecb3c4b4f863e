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
