/**
 * Watch: every commit SPUBLISHes its log entry on the classroom's shard channel (see log-notice.ts,
 * scripts.ts), and the hub, subscribed on its own connection to the channels of the classrooms
 * watched in this process, fans the entry out at once when it is the next after its cursor. One
 * way on one Redis as on a Redis Cluster (where one blocked read cannot span the slots of several
 * classrooms, CROSSSLOT); on one Redis it also spares a blocked read re-issued after every commit.
 * When an entry is not the next (one heard while a read was under way, one too large to send) the
 * hub reads the log from its cursor (XRANGE, one slot), as it does every few seconds anyway, so a
 * lost notification only delays. Notifications sent while the subscriber was away are lost: once
 * it is back (Redis restarted or failed over, the connection cut), every watched log is read from
 * its cursor at once, and while Redis is down a failed read is tried again within a second.
 * A listener first gets the log between its version and the hub's cursor (read with XRANGE
 * while live entries wait in its buffer), then the live entries: every change after its version,
 * in order, exactly once — a listener never receives a version at or below the last it got.
 * Live batches also carry the API request entries that rode with their changes (see scripts.ts).
 * A process's own commits are fanned out from the commit's reply when they are next in order (see
 * `committed`), without waiting for the log read or the notification to bring them back.
 *
 * The log can go back: a Redis master that dies takes with it the writes its replica had not yet
 * received (acknowledged all the same when the replica was down or behind, see replica-wait.ts),
 * and the promoted replica hands their resourceVersions out again to other changes. A cursor
 * past them would skip those changes for good, and every cache built on the lost ones would decide
 * on objects the store no longer holds (a bot's every write then met a Conflict, forever). So the
 * hub checks that the log still holds, at its cursor, the entry it delivered there (or, having
 * delivered none yet, the one its first read found at the version it started from): each log read
 * (the catch-up reads, and the reads once the subscriber is back) starts at the cursor, and a
 * commit or notification carrying the cursor's version must carry the same entry. When it
 * does not, the watch ends as an etcd watch does past a compaction: its listeners are told
 * (`onExpired`) and list again, as an informer relists.
 */
import { z } from 'zod';
import { expired } from '@shared/model';
import type { ApiRequestEntry, WatchEvent } from '@shared/protocol';
import type { Logger } from '../logger';
import { isCluster, reconnectDelay, type RedisClient } from '../redis/connect';
import { ApiError } from './api-error';
import { decodeLogEntry, decodeRequestEntry, resourceVersionOfEntry } from './encoding';
import { parseLogNotice, type LogNotice } from './log-notice';
import { shared } from './mutation-detector';

/** Changes in order; with them, live, the request-log entries written with them. */
export type WatchListener = (events: WatchEvent[], requests: ApiRequestEntry[]) => void;
/** The watch ended: the log no longer continues from what it delivered (see above); list again. */
export type ExpiredListener = () => void;

/** A request-log entry and the resourceVersion of the change it rode with. */
interface Ridden {
  rv: number;
  entry: ApiRequestEntry;
}

interface Listener {
  lastRv: number;
  /** Live batches held back while the listener's replay is read; null once it is live. */
  buffer: { events: WatchEvent[]; requests: Ridden[] } | null;
  onEvents: WatchListener;
  onExpired: ExpiredListener | undefined;
}

/** The entry at a cursor, as delivered: the log must still hold it (see `diverged`). */
interface Delivered {
  rv: number;
  object: string;
  wallTime: string;
}

/** An entry fanned out before its writer's reply came (see `committed`), and its event as decoded then. */
interface Heard {
  rv: number;
  type: string;
  object: string;
  wallTime: string;
  event: WatchEvent;
}

interface Subscription {
  /** The last resourceVersion the hub fanned out for this classroom. */
  cursor: number;
  /** The entry at the cursor when the hub delivered it, or found it at its first read of the version it was given (null until then). */
  last: Delivered | null;
  /**
   * While this process commits in the classroom (see `commitStarted`), the last HEARD_KEPT entries
   * fanned out from a notification or a log read, at `rv % HEARD_KEPT`, until the commit of that
   * version takes its event (a batch's reply comes after all its notifications).
   */
  heardEvents: (Heard | undefined)[];
  listeners: Set<Listener>;
  /** The classroom's channel subscription. */
  channel: 'none' | 'subscribing' | 'subscribed';
  /** A log read is under way, and whether another must follow it. */
  pulling: boolean;
  again: boolean;
  /** Notifications heard while the read was under way, in order. */
  heard: LogNotice[];
  /** Log reads failed in a row (Redis away), and the timer of the next try. */
  failures: number;
  retry?: NodeJS.Timeout | undefined;
  /**
   * This subscription's channel listener. Unsubscribing names it: a bare SUNSUBSCRIBE still on its
   * way when the classroom is watched again would drop the new watch's listener with the old
   * (node-redis sends no SSUBSCRIBE for a channel it still counts as subscribed), and the
   * classroom would be followed by catch-up reads alone.
   */
  onMessage: (message: string) => void;
}

export interface WatchHubOptions {
  redis: RedisClient;
  logKey: (classroom: string) => string;
  /** The classroom's notification channel, on which its commits publish (see log-notice.ts). */
  notifyChannel: (classroom: string) => string;
  /** Log entries after `afterRv` (at most `count`), or a 410 Expired ApiError when they are gone. */
  readLog: (classroom: string, afterRv: number, count: number) => Promise<WatchEvent[]>;
  /** The classroom's last resourceVersion (its counter), null when it has none. */
  resourceVersion: (classroom: string) => Promise<string | null>;
  /** The classroom's log went back: what was kept of its objects may be of writes the store lost. */
  onWentBack?: (classroom: string) => void;
  /** Sees every entry the hub fans out (the store keeps its version cache warm). */
  onEntry?: (classroom: string, event: WatchEvent) => void;
  /** How often every watched log is read even without a notification (CATCH_UP_MS by default). */
  catchUpMs?: number;
  logger?: Logger;
}

// An entry's fields are checked once, by decodeLogEntry.
const StreamEntriesSchema = z.array(z.object({ id: z.string(), message: z.custom<Record<string, string>>((fields) => typeof fields === 'object' && fields !== null) }));
type StreamEntry = z.output<typeof StreamEntriesSchema>[number];

const PAGE = 1000;
/** Entries kept for their writer's reply (see Subscription.heardEvents): more than a batch of heartbeats has under way (two batches of 100 nodes, up to 2 writes each). */
const HEARD_KEPT = 512;
/** Every watched log is read this often even without a notification (a safety net only). */
const CATCH_UP_MS = 5000;
/** How long a new watch waits for its channel's subscription (see `follow`). */
const SUBSCRIBE_PATIENCE_MS = 1500;

const rvOf = (event: WatchEvent): number => Number(event.resourceVersion);
const deliveredOf = (rv: number, fields: Record<string, string>): Delivered => ({ rv, object: fields['object'] ?? '', wallTime: fields['wallTime'] ?? '' });

export class WatchHub {
  private readonly subs = new Map<string, Subscription>();
  /** This process's commits under way, by classroom (see `commitStarted`). */
  private readonly commitsUnderWay = new Map<string, number>();
  private started: Promise<void> | null = null;
  private closed = false;
  /** The connection holding the shard-channel subscriptions, and the catch-up timer. */
  private subscriber: RedisClient | null = null;
  private catchUp: NodeJS.Timeout | undefined;

  constructor(private readonly options: WatchHubOptions) {}

  async watch(classroom: string, fromRv: number, onEvents: WatchListener, onExpired?: ExpiredListener): Promise<() => void> {
    await (this.started ??= this.start().catch((error: unknown) => {
      this.started = null;
      throw error;
    }));
    const listener: Listener = { lastRv: fromRv, buffer: { events: [], requests: [] }, onEvents, onExpired };
    let sub = this.subs.get(classroom);
    if (!sub) {
      // A new classroom: the hub itself reads everything after fromRv, replay included.
      sub = { cursor: fromRv, last: null, heardEvents: [], listeners: new Set(), channel: 'none', pulling: false, again: false, heard: [], failures: 0, onMessage: () => {} };
      const followed = sub;
      sub.onMessage = (message) => {
        if (this.subs.get(classroom) === followed) this.hear(classroom, parseLogNotice(message));
      };
      this.subs.set(classroom, sub);
      await this.follow(classroom, sub);
      // A log read while the subscription was made can find the log went back and end the
      // classroom's watch before this listener joined it: it would hear nothing, ever. It lists again.
      if (this.subs.get(classroom) !== sub) throw new ApiError(expired(fromRv, fromRv));
    }
    const upTo = sub.cursor;
    sub.listeners.add(listener);
    const unsubscribe = () => this.remove(classroom, listener);
    try {
      let after = fromRv;
      // The first read also checks that fromRv is still in the log (410 Expired otherwise).
      for (let count = upTo > fromRv ? PAGE : 0; ; ) {
        const page = (await this.options.readLog(classroom, after, count)).filter((e) => rvOf(e) <= upTo);
        this.deliver(listener, page);
        if (page.length < count || page.length === 0) break;
        after = rvOf(page[page.length - 1] as WatchEvent);
      }
    } catch (error) {
      unsubscribe();
      throw error;
    }
    const held = listener.buffer ?? { events: [], requests: [] };
    listener.buffer = null;
    this.deliver(listener, held.events, held.requests);
    return unsubscribe;
  }

  /**
   * This process committed entry `rv` (`fields` as the log holds them): when it is the next version
   * after the classroom's cursor, its watchers get it now, from the commit's reply, instead of one
   * notification later. Otherwise (another writer's change is not heard yet, or a read is under
   * way) the notification or the log brings it, in order; and when the notification comes, the
   * cursor is past it already, so nothing is delivered twice.
   * Returns the entry's event, decoded once in this process: when the notification came before the
   * reply (as often as not), its event, as the watchers got it, is the writer's too (read-only as
   * every watch event, and the same object: the same version, type and stored JSON).
   */
  committed(classroom: string, rv: number, fields: Record<string, string>): WatchEvent {
    const sub = this.subs.get(classroom);
    const event = (sub && this.takeHeard(sub, rv, fields)) ?? decodeLogEntry(`${rv}-0`, fields);
    if (sub && this.diverged(sub, rv, fields)) {
      this.expire(classroom, sub, rv);
      return event;
    }
    if (!sub || sub.pulling || rv !== sub.cursor + 1) return event;
    try {
      this.fanOut(classroom, sub, [{ id: `${rv}-0`, message: fields }], [event]);
    } catch (error) {
      // The write is committed whatever happens here; the cursor did not move, so the log read brings the entry.
      this.options.logger?.warn({ err: error, classroom }, 'a commit could not be fanned out from its reply; the log read brings it');
    }
    return event;
  }

  /**
   * A commit of this process is under way in the classroom: until the function returned is called
   * (after `committed`), the entries fanned out from notifications are kept for their writer.
   * With none under way nothing is kept: another process's entries (all of them, where this
   * process only serves sockets) would wait for a writer that never comes.
   */
  commitStarted(classroom: string): () => void {
    this.commitsUnderWay.set(classroom, (this.commitsUnderWay.get(classroom) ?? 0) + 1);
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      const left = (this.commitsUnderWay.get(classroom) ?? 1) - 1;
      if (left > 0) return void this.commitsUnderWay.set(classroom, left);
      this.commitsUnderWay.delete(classroom);
      const sub = this.subs.get(classroom);
      if (sub) sub.heardEvents.length = 0;
    };
  }

  /** The event fanned out at `rv` when it is of this very entry (one of a log that went back is not), taken from the hub. */
  private takeHeard(sub: Subscription, rv: number, fields: Record<string, string>): WatchEvent | undefined {
    const slot = rv % HEARD_KEPT;
    const heard = sub.heardEvents[slot];
    if (!heard || heard.rv !== rv || heard.type !== fields['type'] || heard.object !== fields['object'] || heard.wallTime !== fields['wallTime']) return undefined;
    sub.heardEvents[slot] = undefined;
    return heard.event;
  }

  close(): Promise<void> {
    this.closed = true;
    clearInterval(this.catchUp);
    for (const sub of this.subs.values()) clearTimeout(sub.retry);
    this.subscriber?.destroy();
    return Promise.resolve();
  }

  /**
   * The subscriber is its own connection, which reconnects by itself (node-redis' back-off) and
   * subscribes again to its channels before it is ready. Starting it needs Redis: a failed start
   * is forgotten, so the next watch tries again.
   */
  private async start(): Promise<void> {
    const subscriber = this.options.redis.duplicate();
    subscriber.on('error', (error: Error) => this.options.logger?.debug({ err: error.message }, 'watch subscriber connection error'));
    try {
      await subscriber.connect();
    } catch (error) {
      subscriber.destroy();
      throw error;
    }
    // Back, subscribed again (node-redis does that before it is ready): what was published
    // meanwhile was lost, so every log is read now. On a cluster, one of its node connections (a
    // shard's subscriber among them) is back.
    const back = () => this.readAll();
    if (isCluster(subscriber)) subscriber.on('node-ready', back);
    else subscriber.on('ready', back);
    this.subscriber = subscriber;
    this.catchUp = setInterval(back, this.options.catchUpMs ?? CATCH_UP_MS);
    this.catchUp.unref();
  }

  /** Every watched log read from its cursor; a classroom whose subscribe failed subscribes again first. */
  private readAll(): void {
    for (const [classroom, sub] of this.subs) {
      if (sub.channel === 'none') void this.follow(classroom, sub);
      else this.pull(classroom);
    }
  }

  private remove(classroom: string, listener: Listener): void {
    const sub = this.subs.get(classroom);
    if (!sub?.listeners.delete(listener) || sub.listeners.size > 0) return;
    this.unfollow(classroom);
  }

  /** The classroom is no longer followed (its last listener left, or its watch ended). */
  private unfollow(classroom: string): void {
    const sub = this.subs.get(classroom);
    if (!sub) return;
    this.subs.delete(classroom);
    clearTimeout(sub.retry);
    this.unsubscribe(classroom, sub);
  }

  private unsubscribe(classroom: string, sub: Subscription): void {
    this.subscriber?.sUnsubscribe(this.options.notifyChannel(classroom), sub.onMessage).catch((error: unknown) => this.options.logger?.debug({ err: error }, 'could not unsubscribe a watch channel'));
  }

  /**
   * Subscribes to the classroom's channel, then reads what it missed since its cursor. A watch
   * waits for it SUBSCRIBE_PATIENCE_MS at most: on a cluster the subscribe goes to the shard's
   * master, and one that just died holds it until the subscriber's client finds the promoted
   * replica. Meanwhile (or when it failed, until a catch-up subscribes again) the catch-up reads
   * follow the log.
   */
  private follow(classroom: string, sub: Subscription): Promise<void> {
    const subscriber = this.subscriber;
    if (!subscriber) return Promise.resolve();
    sub.channel = 'subscribing';
    const subscribed = subscriber.sSubscribe(this.options.notifyChannel(classroom), sub.onMessage).then(
      () => {
        sub.channel = 'subscribed';
        // Unwatched while the subscribe was on its way: its unsubscribe may have gone first.
        if (this.subs.get(classroom) !== sub) return this.unsubscribe(classroom, sub);
        this.pull(classroom);
      },
      (error: unknown) => {
        sub.channel = 'none';
        this.options.logger?.debug({ err: error, classroom }, 'could not subscribe to a watch channel; the catch-up reads follow the log');
        this.pull(classroom);
      },
    );
    let timer: NodeJS.Timeout | undefined;
    const patience = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.pull(classroom);
        resolve();
      }, SUBSCRIBE_PATIENCE_MS);
    });
    return Promise.race([subscribed, patience]).finally(() => clearTimeout(timer));
  }

  /** Notifications come in commit order: one in step is fanned out as it is, one after a gap sends the hub to the log. */
  private hear(classroom: string, notice: LogNotice): void {
    const sub = this.subs.get(classroom);
    if (sub && notice.fields && this.diverged(sub, notice.rv, notice.fields)) return this.expire(classroom, sub, notice.rv);
    if (!sub || notice.rv <= sub.cursor) return;
    if (sub.pulling) sub.heard.push(notice);
    else if (!this.inStep(classroom, sub, notice)) this.pull(classroom);
  }

  /** Fans out the notice's entry if it is the next after the cursor; false when the log must be read instead. */
  private inStep(classroom: string, sub: Subscription, notice: LogNotice): boolean {
    if (notice.rv <= sub.cursor) return true;
    if (!notice.fields || notice.rv !== sub.cursor + 1) return false;
    try {
      this.fanOut(classroom, sub, [{ id: `${notice.rv}-0`, message: notice.fields }]);
      return true;
    } catch (error) {
      this.options.logger?.warn({ err: error, classroom }, 'a watch notification could not be read; reading the log');
      return false;
    }
  }

  /**
   * Reads the log from the cursor, one read at a time per classroom (a notification during it asks
   * for another). One that fails (Redis away) is tried again after reconnectDelay: an outage is a
   * pause, never a gap, and the watchers resume within a second of Redis' return.
   */
  private pull(classroom: string): void {
    const sub = this.subs.get(classroom);
    if (!sub || this.closed) return;
    if (sub.pulling) {
      sub.again = true;
      return;
    }
    sub.pulling = true;
    void (async () => {
      try {
        for (;;) {
          sub.again = false;
          const asked = sub.cursor;
          // From the cursor itself: its entry must still be the one delivered (see `wentBack`).
          const read = StreamEntriesSchema.parse(await this.options.redis.xRange(this.options.logKey(classroom), `${Math.max(asked, 1)}-0`, '+', { COUNT: PAGE + 1 }));
          if (this.subs.get(classroom) !== sub || this.closed) return;
          if (await this.wentBack(classroom, sub, asked, read[0])) return;
          // Unwatched, or its watch ended, while wentBack read the classroom's version.
          if (this.subs.get(classroom) !== sub || this.closed) return;
          // Nothing delivered yet: the entry at the version it started from is the one the log must
          // keep. Without it, a log that went back and handed that version out again before the
          // next read would pass for one that went on (the version alone is not below the cursor).
          if (!sub.last && read[0] && resourceVersionOfEntry(read[0].id) === asked) sub.last = deliveredOf(asked, read[0].message);
          const messages = read[0] && resourceVersionOfEntry(read[0].id) <= asked ? read.slice(1) : read;
          this.fanOut(classroom, sub, messages);
          sub.failures = 0;
          if (messages.length >= PAGE) continue;
          // What was heard during the read and is past it follows in step, unless there is a gap.
          const heard = sub.heard.splice(0);
          const behind = !heard.every((notice) => this.inStep(classroom, sub, notice));
          if (!behind && !sub.again) return;
        }
      } catch (error) {
        // Redis away or a topology change: read again from the cursor soon.
        this.options.logger?.debug({ err: error, classroom }, 'a watch log read failed');
        if (this.subs.get(classroom) !== sub || this.closed) return;
        sub.retry ??= setTimeout(() => {
          sub.retry = undefined;
          this.pull(classroom);
        }, reconnectDelay(sub.failures++));
      } finally {
        sub.pulling = false;
      }
    })();
  }
  /**
   * Whether `rv`'s entry, as a commit or a notification carries it, differs from the one this hub
   * delivered at that version: the version was handed out again, so the log went back.
   */
  private diverged(sub: Subscription, rv: number, fields: Record<string, string>): boolean {
    const last = sub.last;
    return last !== null && last.rv === rv && (last.object !== fields['object'] || last.wallTime !== fields['wallTime']);
  }

  /**
   * Checks the log at the cursor (`atCursor`: its first entry from the cursor on, as just read);
   * when it went back, expires the classroom's watch and returns true. The entry must be the one
   * delivered; when it is absent, the log went back if the classroom's version is now below the
   * cursor (an entry trimmed away leaves the version where it was: the next read finds the gap).
   */
  private async wentBack(classroom: string, sub: Subscription, cursor: number, atCursor: StreamEntry | undefined): Promise<boolean> {
    if (cursor === 0) return false;
    const at = atCursor && resourceVersionOfEntry(atCursor.id) === cursor ? atCursor : undefined;
    if (at ? !this.diverged(sub, cursor, at.message) : Number((await this.options.resourceVersion(classroom)) ?? 0) >= cursor) return false;
    if (this.subs.get(classroom) !== sub || sub.cursor !== cursor) return false;
    this.expire(classroom, sub, cursor);
    return true;
  }

  /** The log no longer continues from what the hub delivered: every listener of the classroom lists again. */
  private expire(classroom: string, sub: Subscription, rv: number): void {
    if (this.subs.get(classroom) !== sub) return;
    this.options.logger?.warn({ classroom, resourceVersion: rv }, 'the classroom\'s log went back (Redis lost writes it had acknowledged: a failover, or a redis-server restarted from a file that missed its last writes); its watchers list again');
    this.unfollow(classroom);
    this.options.onWentBack?.(classroom);
    for (const listener of sub.listeners) {
      try {
        listener.onExpired?.();
      } catch (error) {
        this.options.logger?.error({ err: error }, 'a watch listener failed');
      }
    }
  }

  private deliver(listener: Listener, events: readonly WatchEvent[], requests: readonly Ridden[] = []): void {
    const fresh = events.filter((e) => rvOf(e) > listener.lastRv);
    const last = fresh[fresh.length - 1];
    if (!last) return;
    const entries = requests.filter((r) => r.rv > listener.lastRv).map((r) => r.entry);
    listener.lastRv = rvOf(last);
    try {
      listener.onEvents(fresh, entries);
    } catch (error) {
      this.options.logger?.error({ err: error }, 'a watch listener failed');
    }
  }

  /** `decoded`: the messages' events, already decoded (a commit's own entry, see `committed`). */
  private fanOut(classroom: string, sub: Subscription, messages: readonly StreamEntry[], decoded?: readonly WatchEvent[]): void {
    const requests: Ridden[] = [];
    const events = messages.map(({ id, message }, i) => {
      let event = decoded?.[i];
      if (!event) {
        event = decodeLogEntry(id, message);
        const rv = rvOf(event);
        if (this.commitsUnderWay.has(classroom)) sub.heardEvents[rv % HEARD_KEPT] = { rv, type: message['type'] ?? '', object: message['object'] ?? '', wallTime: message['wallTime'] ?? '', event };
      }
      shared(event);
      this.options.onEntry?.(classroom, event);
      const request = message['request'];
      if (request !== undefined) requests.push({ rv: rvOf(event), entry: decodeRequestEntry(request) });
      return event;
    });
    const last = messages[messages.length - 1];
    if (!last) return;
    sub.cursor = resourceVersionOfEntry(last.id);
    sub.last = deliveredOf(sub.cursor, last.message);
    for (const listener of sub.listeners) {
      if (listener.buffer) {
        listener.buffer.events.push(...events);
        listener.buffer.requests.push(...requests);
      } else this.deliver(listener, events, requests);
    }
  }
}
