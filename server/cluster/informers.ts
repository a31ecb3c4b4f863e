/**
 * The control loops' cache per classroom, as an informer keeps it: listed once from the store,
 * then kept current by the store's watch, so a move costs no read. A decision waits until the
 * cache holds every write this process made (read-your-writes); another process's writes arrive
 * a moment later, as in Kubernetes, and a decision taken before they did meets the store's
 * resourceVersion precondition (Conflict) instead of overwriting them.
 * Caches nobody used for a while are dropped, with their watch. A watch that ends because the
 * store went back (a Redis failover lost writes this cache holds, see watch-hub.ts) drops its
 * cache too, and the next decision lists again: a cache ahead of the store would meet a Conflict
 * at every write, for good, as the Conflict's catch-up finds the cache already past the store.
 */
import { ClusterState } from '@shared/sim';
import type { WatchEvent } from '@shared/protocol';
import type { ObjectStore } from '../store';

/** A cache unused this long is dropped (the next move lists the classroom again). */
const IDLE_MS = 10 * 60_000;
/** How long a decision waits for the watch to bring this process's own last write (it takes ~1 ms). */
const CATCH_UP_MS = 2000;

/** A batch of changes reached a classroom's cache: its last simulated time, the changes, and the cache holding them. */
export type ChangeListener = (classroomId: string, simTime: number, events: readonly WatchEvent[], state: ClusterState) => void;

interface Informer {
  state: ClusterState;
  rv: bigint;
  /** The cache must reach this version before the next decision (see `reach`). */
  needed: bigint;
  ready: Promise<void>;
  stop: (() => void) | null;
  waiters: Set<() => void>;
  usedAt: number;
}

export class Informers {
  private readonly informers = new Map<string, Informer>();
  private readonly sweeper: NodeJS.Timeout;
  private readonly listeners = new Set<ChangeListener>();

  constructor(private readonly store: ObjectStore) {
    this.sweeper = setInterval(() => this.sweep(), IDLE_MS / 4);
    this.sweeper.unref();
  }

  /** The classroom's cluster, holding at least every write this process made. */
  async state(classroomId: string): Promise<ClusterState> {
    const deadline = Date.now() + CATCH_UP_MS;
    for (;;) {
      const informer = this.informerOf(classroomId);
      informer.usedAt = Date.now();
      await informer.ready;
      // Its watch ended meanwhile (the store went back): a fresh list.
      if (this.informers.get(classroomId) !== informer) continue;
      if (informer.rv >= informer.needed) return informer.state;
      if (Date.now() >= deadline) return this.relist(classroomId, informer);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, deadline - Date.now());
        informer.waiters.add(() => (clearTimeout(timer), resolve()));
      });
    }
  }

  /** Called after each batch of watch events a classroom's cache applied, with the batch's last simulated time; returns the unsubscribe. */
  onChange(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Later decisions wait for the cache to hold `resourceVersion`: a write this process committed
   * (read-your-writes), or the store's version when a Conflict showed the cache behind it.
   */
  reach(classroomId: string, resourceVersion: string): void {
    const informer = this.informers.get(classroomId);
    const rv = BigInt(resourceVersion);
    if (informer && rv > informer.needed) informer.needed = rv;
  }

  /** The watch did not bring this process's own write in time: start over from a fresh list. */
  private async relist(classroomId: string, stale: Informer): Promise<ClusterState> {
    this.discard(classroomId, stale);
    const fresh = this.informerOf(classroomId);
    await fresh.ready;
    return fresh.state;
  }

  /** The cache goes with its watch; its waiters look again (at a fresh list). */
  private discard(classroomId: string, informer: Informer): void {
    if (this.informers.get(classroomId) === informer) this.informers.delete(classroomId);
    informer.stop?.();
    informer.stop = null;
    const waiters = [...informer.waiters];
    informer.waiters.clear();
    for (const wake of waiters) wake();
  }

  /** This process no longer does the classroom's control work: its cache goes (a local socket's next request lists it again). */
  drop(classroomId: string): void {
    const informer = this.informers.get(classroomId);
    if (!informer || informer.waiters.size) return;
    this.informers.delete(classroomId);
    informer.stop?.();
  }

  /** Classrooms cached in this process (for /metrics and the partitioning's measurements). */
  get size(): number {
    return this.informers.size;
  }

  close(): void {
    clearInterval(this.sweeper);
    for (const informer of this.informers.values()) informer.stop?.();
    this.informers.clear();
  }

  private informerOf(classroomId: string): Informer {
    const existing = this.informers.get(classroomId);
    if (existing) return existing;
    const informer: Informer = { state: new ClusterState(), rv: 0n, needed: 0n, ready: Promise.resolve(), stop: null, waiters: new Set(), usedAt: Date.now() };
    informer.ready = (async () => {
      const snapshot = await this.store.snapshot(classroomId);
      informer.state = ClusterState.from(snapshot.objects);
      informer.state.resourceVersion = snapshot.resourceVersion;
      informer.rv = BigInt(snapshot.resourceVersion);
      const stop = await this.store.watch(
        classroomId,
        snapshot.resourceVersion,
        (events) => this.apply(classroomId, informer, events),
        () => this.discard(classroomId, informer),
      );
      if (this.informers.get(classroomId) === informer) informer.stop = stop;
      else stop();
    })();
    // A failed list is not cached: the next move tries again.
    informer.ready.catch(() => {
      if (this.informers.get(classroomId) === informer) this.informers.delete(classroomId);
    });
    this.informers.set(classroomId, informer);
    return informer;
  }

  private apply(classroomId: string, informer: Informer, events: WatchEvent[]): void {
    for (const event of events) informer.state.apply(event.type, event.object);
    const last = events.at(-1);
    if (last) informer.rv = BigInt(last.resourceVersion);
    const waiters = [...informer.waiters];
    informer.waiters.clear();
    for (const wake of waiters) wake();
    if (last) for (const listener of this.listeners) listener(classroomId, last.simTime, events, informer.state);
  }

  private sweep(): void {
    const now = Date.now();
    for (const [classroomId, informer] of this.informers) {
      if (now - informer.usedAt < IDLE_MS || informer.waiters.size) continue;
      this.informers.delete(classroomId);
      informer.stop?.();
    }
  }
}
