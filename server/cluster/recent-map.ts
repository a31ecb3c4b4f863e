/**
 * What a process last heard or read of each classroom (its room, its phase and clock), each entry
 * trusted for `ttlMs` and then read again. Entries past that are dropped at the next write once a
 * sweep is due: every process hears every classroom's changes, and maps that only grew held the
 * room of every classroom a deployment ever ran, for the life of the process.
 */
export class RecentMap<V> {
  private readonly entries = new Map<string, { value: V; at: number }>();
  private sweptAt: number;

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.sweptAt = now();
  }

  /** The value set less than `ttlMs` ago, if any. */
  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    return entry && this.now() - entry.at < this.ttlMs ? entry.value : undefined;
  }

  set(key: string, value: V): void {
    const now = this.now();
    this.entries.set(key, { value, at: now });
    if (now - this.sweptAt < this.ttlMs) return;
    // At most one pass per ttlMs, over what is held: the cost stays proportional to the writes.
    for (const [k, entry] of this.entries) if (now - entry.at >= this.ttlMs) this.entries.delete(k);
    this.sweptAt = now;
  }

  /** Entries held, stale ones not yet swept included. */
  get size(): number {
    return this.entries.size;
  }
}
