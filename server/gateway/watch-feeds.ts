/**
 * The live view. Each server process follows the store's watch of every classroom its sockets are
 * in (one store watch per classroom, started by its first local socket, stopped with its last) and
 * emits the events to its OWN sockets of the classroom (`io.local`): the store already delivers
 * each change to each process once, so going through the adapter would duplicate them.
 * Events are coalesced per event-loop turn (flushed on `setImmediate`): several changes leave in
 * one `watch` message under load, and nothing waits when idle. The request-log entries decided
 * in the same turn ride in the same message (its second argument): a move costs every client one
 * frame, where a change and its entry sent apart cost two (the frames, one write each, were most
 * of the server's time per move).
 *
 * A socket gets a snapshot first, then joins the feed's room in the same turn, after being sent
 * the events the feed flushed since the snapshot's version; so it misses nothing and the reducer
 * skips what the snapshot already holds.
 *
 * When the store goes back (a Redis failover lost writes the screens were sent, see watch-hub.ts),
 * the feed follows the classroom again from a fresh list, and every socket of it is sent a fresh
 * snapshot, as on joining: no later change would ever correct what the screens show of the lost ones.
 */
import { z } from 'zod';
import { compareResourceVersions, refuse, type ApiRequestEntry, type ResyncReply, type Snapshot, type WatchEvent } from '@shared/protocol';
import type { Logger } from '../logger';
import { isApiError, type ObjectStore } from '../store';
import { requestAudience } from './rooms';
import type { ClusterPlayServer, ClusterPlaySocket } from './types';

export const watchRoom = (classroomId: string): string => `watch:${classroomId}`;

/** Events a feed remembers after flushing them, for sockets whose snapshot was read meanwhile. */
const RECENT = 512;
/** Most events a resync answers with; further back, a fresh snapshot is cheaper. */
const RESYNC_MAX_EVENTS = 5000;
/**
 * Accepted entries a feed remembers for a connection that comes back within the recovery window
 * (the client drops those it has): what the adapter's connection state recovery replayed when
 * entries went through it.
 */
const RECENT_REQUESTS = 100;

interface Feed {
  ready: Promise<void>;
  stop: (() => void) | null;
  pending: WatchEvent[];
  /** Accepted request-log entries for the next message. */
  pendingRequests: ApiRequestEntry[];
  flushing: boolean;
  /** Resolved once the scheduled flush has sent (see afterFlush). */
  flushWaiters: Array<() => void>;
  recent: WatchEvent[];
  recentRequests: ApiRequestEntry[];
  /** The resourceVersion of the last event emitted to the room. */
  flushedRv: string;
  /** Local sockets attached or attaching. */
  sockets: number;
  /** Bumped each time the feed follows the store anew (see restart). */
  generation: number;
}

const resyncRequest = z.object({ resourceVersion: z.string().regex(/^[0-9]{1,15}$/) });

export class WatchFeeds {
  private readonly feeds = new Map<string, Feed>();

  constructor(
    private readonly io: ClusterPlayServer,
    private readonly store: ObjectStore,
    private readonly logger: Logger,
    /** Told of every batch sent: its events and the sockets it went to (the /metrics fan-out). */
    private readonly onFanOut: (events: number, sockets: number) => void = () => {},
  ) {}

  /** Classrooms with a socket on this process. */
  get classrooms(): number {
    return this.feeds.size;
  }

  /** Sends the socket its snapshot and keeps it following the classroom until it disconnects. */
  async attach(socket: ClusterPlaySocket): Promise<void> {
    const classroomId = socket.data.identity.classroomId;
    // A recovered connection is back in its rooms: out of the feed until its fresh snapshot is sent.
    void socket.leave(watchRoom(classroomId));
    const feed = this.feedOf(classroomId);
    feed.sockets++;
    socket.once('disconnect', () => this.release(classroomId, feed));
    await this.sendSnapshot(socket, classroomId, feed);
  }

  /** The socket's snapshot, then the feed's room: it misses no change after it. */
  private async sendSnapshot(socket: ClusterPlaySocket, classroomId: string, feed: Feed): Promise<void> {
    await feed.ready;
    for (;;) {
      const snapshot = await this.store.snapshot(classroomId);
      if (!socket.connected) return;
      const missed = feed.recent.filter((e) => compareResourceVersions(e.resourceVersion, snapshot.resourceVersion) > 0);
      // Versions are consecutive, so the events remembered cover the gap when they start right after the snapshot.
      const covered = compareResourceVersions(feed.flushedRv, snapshot.resourceVersion) <= 0 || missed[0]?.resourceVersion === String(BigInt(snapshot.resourceVersion) + 1n);
      if (!covered) continue; // the feed ran further ahead than it remembers: read again
      // `io.local` here too: with connection state recovery, `socket.emit` goes through the adapter's
      // Redis stream and would arrive after the room's next (local, immediate) watch message.
      const toSocket = this.io.local.to(socket.id);
      toSocket.emit('snapshot', snapshot);
      const requests = socket.recovered ? feed.recentRequests : [];
      if (missed.length || requests.length) toSocket.emit('watch', missed, ...(requests.length ? [requests] : []));
      void socket.join(watchRoom(classroomId));
      return;
    }
  }

  /**
   * `resync`: what changed since the client's version, or a fresh snapshot when the log no longer
   * has it, when it is too much, or when the client's version is ahead of the classroom's (a client
   * that outlived a reset of the server's data: no event would ever bring it back).
   */
  async resync(classroomId: string, payload: unknown): Promise<ResyncReply> {
    const parsed = resyncRequest.safeParse(payload);
    if (!parsed.success) return refuse('BadRequest', 'resync needs the last resourceVersion the client applied');
    const asked = parsed.data.resourceVersion;
    try {
      const events = await this.store.readLog(classroomId, asked, RESYNC_MAX_EVENTS);
      if (events.length && events.length < RESYNC_MAX_EVENTS) return { ok: true, events };
      if (!events.length) {
        // Nothing after the client's version: up to date, unless its version is one the classroom never reached.
        const { resourceVersion } = await this.store.list(classroomId, 'Node');
        if (compareResourceVersions(asked, resourceVersion) <= 0) return { ok: true, events };
      }
    } catch (error) {
      if (!isApiError(error, 'Expired')) throw error;
    }
    const snapshot: Snapshot = await this.store.snapshot(classroomId);
    return { ok: true, snapshot };
  }

  /**
   * A request decided (by this process or, through the adapter, another): an accepted one goes to
   * the classroom's sockets here with the next changes; a refusal, at once, only to its sender
   * and the instructors here (see requestAudience).
   */
  noteRequest(classroomId: string, entry: ApiRequestEntry): void {
    if (entry.outcome !== 'accepted') {
      this.io.local.to(requestAudience(classroomId, entry)).emit('watch', [], [entry]);
      return;
    }
    const feed = this.feeds.get(classroomId);
    if (!feed) return;
    feed.pendingRequests.push(entry);
    this.scheduleFlush(classroomId, feed);
  }

  /**
   * Resolves once the flush scheduled for the classroom has sent what is pending, or at once when
   * none is: the ack of a move whose change is in it then follows the change, right behind it.
   */
  afterFlush(classroomId: string): Promise<void> {
    const feed = this.feeds.get(classroomId);
    if (!feed?.flushing) return Promise.resolve();
    return new Promise((resolve) => feed.flushWaiters.push(resolve));
  }

  /** Stops every feed (shutdown). */
  close(): void {
    for (const feed of this.feeds.values()) feed.stop?.();
    this.feeds.clear();
  }

  private feedOf(classroomId: string): Feed {
    const existing = this.feeds.get(classroomId);
    if (existing) return existing;
    const feed: Feed = { ready: Promise.resolve(), stop: null, pending: [], pendingRequests: [], flushing: false, flushWaiters: [], recent: [], recentRequests: [], flushedRv: '0', sockets: 0, generation: 0 };
    this.feeds.set(classroomId, feed);
    this.follow(classroomId, feed);
    return feed;
  }

  /** The feed follows the store's watch from a fresh list. */
  private follow(classroomId: string, feed: Feed): void {
    const generation = ++feed.generation;
    const current = (): boolean => this.feeds.get(classroomId) === feed && feed.generation === generation;
    feed.ready = (async () => {
      const { resourceVersion } = await this.store.list(classroomId, 'Node');
      feed.flushedRv = resourceVersion;
      const stop = await this.store.watch(
        classroomId,
        resourceVersion,
        (events, requests) => this.receive(classroomId, feed, events, requests),
        () => this.restart(classroomId, feed),
      );
      if (current()) feed.stop = stop;
      else stop();
    })();
    feed.ready.catch((error: unknown) => {
      this.logger.error({ err: error, classroomId }, 'could not follow the classroom log');
      if (current()) this.feeds.delete(classroomId);
    });
  }

  /**
   * The store went back under the feed: what it sent may hold writes the store lost. It follows
   * again from a fresh list, and each socket of its room gets a fresh snapshot (out of the room meanwhile).
   */
  private restart(classroomId: string, feed: Feed): void {
    if (this.feeds.get(classroomId) !== feed) return;
    feed.stop = null;
    feed.pending = [];
    feed.recent = [];
    this.follow(classroomId, feed);
    const room = this.io.of('/').adapter.rooms.get(watchRoom(classroomId));
    for (const id of room ?? []) {
      const socket = this.io.of('/').sockets.get(id);
      if (!socket) continue;
      void socket.leave(watchRoom(classroomId));
      this.sendSnapshot(socket, classroomId, feed).catch((error: unknown) => {
        this.logger.warn({ err: error, classroomId }, 'could not send a fresh snapshot after the store went back; the socket reconnects');
        socket.disconnect();
      });
    }
  }

  private receive(classroomId: string, feed: Feed, events: WatchEvent[], requests: ApiRequestEntry[]): void {
    feed.pending.push(...events);
    feed.pendingRequests.push(...requests);
    this.scheduleFlush(classroomId, feed);
  }

  private scheduleFlush(classroomId: string, feed: Feed): void {
    if (feed.flushing) return;
    feed.flushing = true;
    setImmediate(() => {
      try {
        this.flush(classroomId, feed);
      } finally {
        for (const resolve of feed.flushWaiters.splice(0)) resolve();
      }
    });
  }

  private flush(classroomId: string, feed: Feed): void {
    feed.flushing = false;
    const batch = feed.pending;
    const requests = feed.pendingRequests;
    feed.pending = [];
    feed.pendingRequests = [];
    const last = batch.at(-1);
    if (last) {
      feed.flushedRv = last.resourceVersion;
      feed.recent.push(...batch);
      if (feed.recent.length > RECENT) feed.recent.splice(0, feed.recent.length - RECENT);
    }
    if (requests.length) {
      feed.recentRequests.push(...requests);
      if (feed.recentRequests.length > RECENT_REQUESTS) feed.recentRequests.splice(0, feed.recentRequests.length - RECENT_REQUESTS);
    }
    if (!last && !requests.length) return;
    // One encoding for the whole room (Socket.IO encodes a broadcast once), one frame per socket.
    const room = this.io.local.to(watchRoom(classroomId));
    if (requests.length) room.emit('watch', batch, requests);
    else room.emit('watch', batch);
    if (last) this.onFanOut(batch.length, this.io.of('/').adapter.rooms.get(watchRoom(classroomId))?.size ?? 0);
  }

  private release(classroomId: string, feed: Feed): void {
    feed.sockets--;
    if (feed.sockets > 0 || this.feeds.get(classroomId) !== feed) return;
    this.feeds.delete(classroomId);
    feed.stop?.();
  }
}
