import type { KubeObject, Persisted } from '@shared/model';
import { shared } from './mutation-detector';

/**
 * The last stored version this process knows of each object, decoded. An update that carries
 * that same version can be prepared without reading Redis first, so the write is one round trip;
 * the write script still compares versions, so a stale entry costs a Conflict check, never a lost
 * update. Entries come from this process's writes and reads and from the watch log: the objects
 * its writers were answered with and its watchers got, read-only as those are, so a hit parses
 * nothing and the decoded object is held once, by the cache and the informers alike.
 */
export class VersionCache {
  /**
   * By classroom, kind and field: every write of every classroom looks here, and a key made by
   * joining the three strings was a new string to hash each time (4 % of a heartbeat's CPU at 1,000 nodes).
   */
  private readonly entries = new Map<string, Map<string, Map<string, { rv: number; object: Persisted<KubeObject> }>>>();
  private size = 0;
  /** Moves at every `forgetClassroom` (see `generation`). */
  private forgotten = 0;

  constructor(private readonly maxEntries = 100_000) {}

  get(classroom: string, kind: string, field: string): { rv: number; object: Persisted<KubeObject> } | undefined {
    return this.entries.get(classroom)?.get(kind)?.get(field);
  }

  /** `generation`: as read before the write that made `object` was sent; remembered only if no classroom was forgotten since. */
  remember(classroom: string, kind: string, field: string, rv: number, object: Persisted<KubeObject>, generation = this.forgotten): void {
    if (generation !== this.forgotten) return;
    let ofKind = this.entries.get(classroom)?.get(kind);
    const known = ofKind?.get(field);
    if (known && known.rv >= rv) return;
    if (!known) {
      // Dropping everything at the cap keeps this simple; the next writes just read Redis first.
      if (this.size >= this.maxEntries) {
        this.entries.clear();
        this.size = 0;
        ofKind = undefined;
      }
      this.size++;
    }
    if (!ofKind) {
      let ofClassroom = this.entries.get(classroom);
      if (!ofClassroom) this.entries.set(classroom, (ofClassroom = new Map()));
      ofClassroom.set(kind, (ofKind = new Map()));
    }
    ofKind.set(field, { rv, object: shared(object) });
  }

  /**
   * Taken before a commit is sent and given back to `remember` its answer: a classroom forgotten
   * meanwhile (its log went back while the write waited for a replica) may have lost that very
   * write, and remembering it would let the next write build on content the store no longer holds.
   * One count for every classroom: another classroom's forgetting costs a read, never a wrong hit.
   */
  get generation(): number {
    return this.forgotten;
  }

  /** Objects known, over every classroom. */
  get objects(): number {
    return this.size;
  }

  /**
   * The classroom's store went back (a failover lost writes): its versions known here may be of
   * those. Or this process no longer does its control work: its objects need not stay in memory.
   */
  forgetClassroom(classroom: string): void {
    this.forgotten++;
    for (const ofKind of this.entries.get(classroom)?.values() ?? []) this.size -= ofKind.size;
    this.entries.delete(classroom);
  }

  forget(classroom: string, kind: string, field: string, deletedAt: number): void {
    const ofClassroom = this.entries.get(classroom);
    const ofKind = ofClassroom?.get(kind);
    const known = ofKind?.get(field);
    if (!ofClassroom || !ofKind || !known || known.rv >= deletedAt) return;
    ofKind.delete(field);
    this.size--;
    // No empty maps left behind: a classroom whose objects are all deleted holds nothing here.
    if (ofKind.size === 0) ofClassroom.delete(kind);
    if (ofClassroom.size === 0) this.entries.delete(classroom);
  }
}
