/**
 * The replay's player: it feeds the app's own stores (the cluster, the room view, the request
 * log) as the live connection does, so the map, the event feed, the request log and every role
 * view render the replayed moment with the same code and the same reducer. Seeking loads a
 * moment from the server; playing applies the following entries as simulated time passes.
 */
import { watchEventOf, type ClassroomView, type LogEntry, type ReplayMoment, type ReplaySummary, type WatchEvent } from '@shared/protocol';
import { classroom } from '../../lib/classroom.svelte';
import { cluster } from '../../lib/cluster.svelte';
import { requestLog } from '../../lib/request-log.svelte';
import { ReplayApiError, replayApi } from './replay-api';

const TICK_MS = 100;
const PAGE = 500;
export const SPEEDS = [1, 2, 5, 10, 20] as const;

/** The room as it was, its clock stopped at the replayed moment (every "… ago" counts from there). */
function frozen(view: ClassroomView | null, simTime: number): ClassroomView | null {
  return view && { ...view, clock: { simAtWall: simTime, wall: 0, timeScale: 1, paused: true } };
}

class ReplayPlayer {
  summary = $state.raw<ReplaySummary | null>(null);
  problem = $state<string | null>(null);
  /** The last entry applied (-1: none). */
  position = $state(-1);
  simTime = $state(0);
  playing = $state(false);
  speed = $state<number>(1);
  loading = $state(false);

  #id = '';
  #token = '';
  #view: ClassroomView | null = null;
  #ahead: LogEntry[] = [];
  #timer: ReturnType<typeof setInterval> | null = null;
  /** Bumped by every seek, so an answer to an older one is dropped. */
  #generation = 0;

  get atEnd(): boolean {
    return this.summary !== null && this.position >= this.summary.entries - 1;
  }

  async open(id: string, token: string): Promise<void> {
    this.close();
    this.#id = id;
    this.#token = token;
    try {
      this.summary = await replayApi.summary(id, token);
      await this.seek({ index: -1 });
    } catch (error) {
      this.problem = error instanceof ReplayApiError ? error.message : 'This replay cannot be shown.';
    }
  }

  async seek(point: { index: number } | { at: number }): Promise<void> {
    const generation = ++this.#generation;
    this.loading = true;
    try {
      const moment = await replayApi.moment(this.#id, this.#token, point);
      if (generation === this.#generation) this.load(moment);
    } finally {
      if (generation === this.#generation) this.loading = false;
    }
  }

  play(): void {
    if (this.playing || !this.summary) return;
    if (this.atEnd) return;
    this.playing = true;
    this.#lastTick = performance.now();
    this.#timer = setInterval(() => void this.tick(), TICK_MS);
  }

  pause(): void {
    this.playing = false;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  /** The next entry, whenever it happened. */
  async step(): Promise<void> {
    this.pause();
    const next = await this.next();
    if (next) this.apply([next], Math.max(this.simTime, next.simTime));
  }

  close(): void {
    this.pause();
    this.#generation++;
    this.summary = null;
    this.problem = null;
    this.position = -1;
    this.#ahead = [];
    this.#view = null;
    cluster.clear();
    classroom.clear();
    requestLog.clear();
  }

  private load(moment: ReplayMoment): void {
    this.#ahead = [];
    this.position = moment.index;
    this.simTime = moment.simTime;
    this.#view = moment.view;
    cluster.load({ resourceVersion: moment.resourceVersion, objects: moment.objects });
    classroom.view = frozen(moment.view, moment.simTime);
    requestLog.clear();
    requestLog.append(moment.requests);
  }

  /** Reads the entries after the last one applied, when none are waiting; false at the end. */
  private async readAhead(): Promise<boolean> {
    if (this.#ahead.length) return true;
    if (this.atEnd) return false;
    const generation = this.#generation;
    const from = this.position + 1;
    const page = await replayApi.entries(this.#id, this.#token, from, PAGE);
    if (generation !== this.#generation || from !== this.position + 1) return false;
    this.#ahead = page;
    return page.length > 0;
  }

  private async next(): Promise<LogEntry | undefined> {
    return (await this.readAhead()) ? this.#ahead.shift() : undefined;
  }

  #ticking = false;
  #lastTick = 0;

  private async tick(): Promise<void> {
    if (this.#ticking || !this.summary) return;
    this.#ticking = true;
    try {
      // Simulated time follows the wall clock even when a busy screen delays the timer (at most 1 s a step).
      const now = performance.now();
      const elapsed = Math.min(now - this.#lastTick, 1000);
      this.#lastTick = now;
      const until = Math.min(this.simTime + elapsed * this.speed, this.summary.endSimTime);
      const due: LogEntry[] = [];
      // Entries are read ahead only between batches, so `position` always names the last one applied.
      while (this.#ahead.length || (!due.length && (await this.readAhead()))) {
        const next = this.#ahead[0];
        if (!next || next.simTime > until) break;
        due.push(next);
        this.#ahead.shift();
      }
      this.apply(due, until);
      if (this.atEnd) this.pause();
    } catch (error) {
      this.pause();
      this.problem = error instanceof ReplayApiError ? error.message : 'Playing stopped: the replay could not be read.';
    } finally {
      this.#ticking = false;
    }
  }

  private apply(entries: readonly LogEntry[], simTime: number): void {
    const changes: WatchEvent[] = [];
    for (const entry of entries) {
      if (entry.t === 'change') changes.push(watchEventOf(entry));
      else if (entry.t === 'room') this.#view = entry.view;
      else if (entry.t === 'request') requestLog.append([entry.entry]);
    }
    if (changes.length) cluster.apply(changes);
    this.position += entries.length;
    this.simTime = Math.max(this.simTime, simTime);
    classroom.view = frozen(this.#view, this.simTime);
  }
}

export const player = new ReplayPlayer();
