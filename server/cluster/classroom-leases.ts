/**
 * Partitioning by classroom. A classroom whose clock has started (running or paused) has one owner
 * process at a time, named by a lease key in Redis (`<prefix>:{<id>}:owner`, in the classroom's
 * slot) that the owner renews and that lapses when it dies. The owner alone does the classroom's
 * control work: its timers run there (its sim timers and loops in its memory, its BullMQ timers on
 * its own lanes, see sim-timer-service.ts), its
 * seat and clock changes start or move its loops there, and the timer sweep repairs it there; so
 * only the owner keeps the classroom's informer cache. Requests from students' sockets are served
 * by whichever process holds the socket (see the README: the store's preconditions make that safe).
 *
 * Balance: with N live processes (those beating in the process registry) each takes a lease only
 * while it owns fewer than its share, ceil(started classrooms / N), and gives back what it holds
 * beyond it; so a process that joins takes half, and a survivor takes what a dead one held.
 */
import type { ClassroomView } from '@shared/protocol';
import type { ClassroomRepository } from '../classroom/repository';
import { processesKey } from '../classroom/keys';
import { PROCESS_HEARTBEAT_TTL_MS } from '../classroom/process-heartbeat';
import type { Logger } from '../logger';
import type { RedisClient } from '../redis/connect';
import { LuaScript } from '../redis/lua-script';

/** A dead owner's classrooms wait at most this long (plus a pass) for a new owner. */
export const CLASSROOM_LEASE_TTL_MS = 5000;
/** Renewal and balancing pass; well inside the TTL so a busy event loop does not lose leases. */
export const CLASSROOM_LEASE_PASS_MS = 1500;
/** A view heard on a change is trusted this long, then read again (a change can be lost with a reconnect). */
const VIEW_TTL_MS = 30_000;

export const classroomOwnerKey = (prefix: string, classroomId: string): string => `${prefix}:{${classroomId}}:owner`;

/**
 * Renews the lease when this process holds it (1); takes it again when it lapsed and nobody took
 * it meanwhile (2), as any process's claim would; 0 when another process holds it now.
 */
const RENEW_SCRIPT = new LuaScript(`local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
if not holder then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 2 end
return 0`);
const RELEASE_SCRIPT = new LuaScript(`if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`);

/** Classrooms with control work: their clock has started and they are not closed. */
const started = (view: ClassroomView): boolean => view.phase === 'running' || view.phase === 'paused';

export interface ClassroomLeasesOptions {
  redis: RedisClient;
  keyPrefix: string;
  serverId: string;
  classrooms: ClassroomRepository;
  logger: Logger;
  /** This process now owns the classroom: start its loops and repair its timers. */
  acquired(view: ClassroomView): Promise<void>;
  /** This process no longer owns it: drop its cache. */
  released(classroomId: string): void;
  ttlMs?: number;
  passMs?: number;
}

export class ClassroomLeases {
  private readonly owned = new Set<string>();
  private readonly views = new Map<string, { view: ClassroomView; readAt: number }>();
  private timer: NodeJS.Timeout | undefined;
  private renewTimer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private renewing: Promise<void> = Promise.resolve();
  private stopped = false;
  private failing = false;

  constructor(private readonly options: ClassroomLeasesOptions) {}

  private get ttlMs(): number {
    return this.options.ttlMs ?? CLASSROOM_LEASE_TTL_MS;
  }

  owns(classroomId: string): boolean {
    return this.owned.has(classroomId);
  }

  /** The classrooms this process owns. */
  ownedIds(): string[] {
    return [...this.owned];
  }

  get ownedCount(): number {
    return this.owned.size;
  }

  /** The owning process's id, or null while nobody owns it. */
  async ownerOf(classroomId: string): Promise<string | null> {
    if (this.owned.has(classroomId)) return this.options.serverId;
    return this.options.redis.get(classroomOwnerKey(this.options.keyPrefix, classroomId));
  }

  /** A classroom change carries its view. */
  noteView(view: ClassroomView): void {
    this.views.set(view.id, { view, readAt: Date.now() });
  }

  /** The classroom's clock changed: one that just started is claimed at once when this process is under its share. */
  claim(view: ClassroomView): void {
    if (!started(view) || this.owned.has(view.id) || this.stopped) return;
    this.running = this.running.then(() => this.claimIfUnder([view.id])).catch((error: unknown) => this.options.logger.warn({ err: error }, 'claiming a classroom failed'));
  }

  start(): void {
    // Renewal runs on its own clock: a pass that is taking over many classrooms (each one's cache
    // listed, its timers repaired) can outlast the TTL, and must not let the leases it holds lapse.
    const renewNext = (): void => {
      this.renewTimer = setTimeout(() => {
        this.renewing = this.renew()
          .catch(() => undefined) // the pass reports Redis trouble
          .finally(() => {
            if (!this.stopped) renewNext();
          });
      }, this.options.passMs ?? CLASSROOM_LEASE_PASS_MS);
    };
    renewNext();
    const next = (): void => {
      this.timer = setTimeout(() => {
        this.running = this.running
          .then(() => this.pass())
          .then(() => {
            if (this.failing) this.options.logger.info('classroom leases: working again');
            this.failing = false;
          })
          .catch((error: unknown) => {
            if (!this.failing) this.options.logger.warn({ err: error }, 'classroom lease pass failed; retrying');
            this.failing = true;
          })
          .finally(() => {
            if (!this.stopped) next();
          });
      }, this.options.passMs ?? CLASSROOM_LEASE_PASS_MS);
    };
    next();
  }

  /** Stops renewing and gives every lease back, so the other processes take over at once. */
  async close(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.renewTimer);
    await Promise.all([this.running, this.renewing]);
    await Promise.all([...this.owned].map((id) => this.release(id).catch(() => undefined)));
  }

  /** One pass: drop what closed, give back beyond the share, take up to it (renewal runs on its own, see start). */
  async pass(): Promise<void> {
    await this.renewing;
    const candidates = await this.startedClassrooms();
    for (const id of this.owned) if (!candidates.includes(id)) await this.release(id);
    const share = await this.share(candidates.length);
    for (const id of [...this.owned].slice(share)) await this.release(id);
    await this.claimIfUnder(candidates, share);
  }

  private async renew(): Promise<void> {
    const { redis, keyPrefix, serverId, logger } = this.options;
    const ids = [...this.owned];
    const kept = await Promise.all(ids.map((id) => RENEW_SCRIPT.call(redis, [classroomOwnerKey(keyPrefix, id)], [serverId, String(this.ttlMs)])));
    for (const [i, id] of ids.entries()) {
      if (kept[i] === 1) continue;
      if (kept[i] === 2) {
        // Given back while the renewal was on its way: give it back again.
        if (!this.owned.has(id)) {
          await RELEASE_SCRIPT.call(redis, [classroomOwnerKey(keyPrefix, id)], [serverId]);
          continue;
        }
        logger.warn({ classroomId: id }, 'the lease of a classroom lapsed (this process was too slow to renew it); nobody had taken it, so this process holds it again');
        continue;
      }
      // Released meanwhile (given back or closed): nothing to report.
      if (!this.owned.has(id)) continue;
      logger.warn({ classroomId: id }, 'the lease of a classroom lapsed (this process was too slow to renew it); another process takes it over');
      this.owned.delete(id);
      this.options.released(id);
    }
  }

  /** ceil(started classrooms / live processes): what each process may own. */
  private async share(count: number): Promise<number> {
    // Nothing started, nothing to share: the live processes need no counting (an idle process's every pass counted them).
    if (count === 0) return 0;
    const live = await this.options.redis.zCount(processesKey(this.options.keyPrefix), Date.now() - PROCESS_HEARTBEAT_TTL_MS, '+inf');
    return Math.ceil(count / Math.max(1, live));
  }

  private async startedClassrooms(): Promise<string[]> {
    const open = await this.options.classrooms.openClassroomIds();
    const openSet = new Set(open);
    for (const id of this.views.keys()) if (!openSet.has(id)) this.views.delete(id);
    const views = await Promise.all(open.map((id) => this.viewOf(id)));
    return views.filter((v): v is ClassroomView => v !== null && started(v)).map((v) => v.id);
  }

  /** `share`: what this process may own, when the caller has just counted it (a pass). */
  private async claimIfUnder(candidates: string[], counted?: number): Promise<void> {
    const { redis, keyPrefix, serverId } = this.options;
    const wanted = candidates.filter((id) => !this.owned.has(id));
    if (!wanted.length || this.stopped) return;
    const share = counted ?? (await this.share((await this.startedClassrooms()).length));
    for (const id of wanted) {
      if (this.owned.size >= share) return;
      const taken = await redis.set(classroomOwnerKey(keyPrefix, id), serverId, { NX: true, PX: this.ttlMs });
      if (taken !== 'OK') continue;
      this.owned.add(id);
      const view = await this.viewOf(id, true);
      if (!view || !started(view)) {
        await this.release(id);
        continue;
      }
      try {
        await this.options.acquired(view);
      } catch (error) {
        // The sweep starts what is still missing on its next pass.
        this.options.logger.warn({ err: error, classroomId: id }, 'taking over a classroom failed part-way; the timer sweep completes it');
      }
    }
  }

  private async release(classroomId: string): Promise<void> {
    this.owned.delete(classroomId);
    this.options.released(classroomId);
    await RELEASE_SCRIPT.call(this.options.redis, [classroomOwnerKey(this.options.keyPrefix, classroomId)], [this.options.serverId]);
  }

  private async viewOf(classroomId: string, fresh = false): Promise<ClassroomView | null> {
    const known = this.views.get(classroomId);
    if (!fresh && known && Date.now() - known.readAt < VIEW_TTL_MS) return known.view;
    const view = await this.options.classrooms.view(classroomId);
    if (view) this.views.set(classroomId, { view, readAt: Date.now() });
    else this.views.delete(classroomId);
    return view;
  }
}
