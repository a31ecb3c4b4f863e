/**
 * The last stored JSON this process knows of each object, with its resourceVersion. An update
 * that carries that same version can be prepared without reading Redis first, so the write is one
 * round trip; the write script still compares versions, so a stale entry costs a Conflict check,
 * never a lost update. Entries come from this process's writes and reads and from the watch log.
 */
export class VersionCache {
  private readonly entries = new Map<string, { rv: number; json: string }>();

  constructor(private readonly maxEntries = 100_000) {}

  private static key(classroom: string, kind: string, field: string): string {
    return `${classroom}\u0000${kind}\u0000${field}`;
  }

  get(classroom: string, kind: string, field: string): { rv: number; json: string } | undefined {
    return this.entries.get(VersionCache.key(classroom, kind, field));
  }

  remember(classroom: string, kind: string, field: string, rv: number, json: string): void {
    const key = VersionCache.key(classroom, kind, field);
    const known = this.entries.get(key);
    if (known && known.rv >= rv) return;
    // Dropping everything at the cap keeps this simple; the next writes just read Redis first.
    if (!known && this.entries.size >= this.maxEntries) this.entries.clear();
    this.entries.set(key, { rv, json });
  }

  /** The classroom's store went back (a failover lost writes): its versions known here may be of those. */
  forgetClassroom(classroom: string): void {
    const prefix = `${classroom}\u0000`;
    for (const key of this.entries.keys()) if (key.startsWith(prefix)) this.entries.delete(key);
  }

  forget(classroom: string, kind: string, field: string, deletedAt: number): void {
    const key = VersionCache.key(classroom, kind, field);
    const known = this.entries.get(key);
    if (known && known.rv < deletedAt) this.entries.delete(key);
  }
}
