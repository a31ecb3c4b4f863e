/**
 * A point of a replay: the cluster as the watch reducer folds it, the room view and the last
 * requests. Moving forward from one point to another is the same fold the live clients run
 * (shared/protocol/watch-reducer), so a replayed state is what a watcher held.
 */
import {
  allObjects,
  applySnapshot,
  applyWatchEvents,
  watchEventOf,
  type ApiRequestEntry,
  type ClassroomView,
  type ClusterState,
  type LogEntry,
  type ReplayMoment,
  type WatchEvent,
} from '@shared/protocol';

/** Requests a moment carries: what the request log panel shows. */
export const MOMENT_REQUESTS = 40;

export interface StoredMoment {
  index: number;
  resourceVersion: string;
  /** The latest simulated time among the entries up to `index`. */
  simTime: number;
  objects: ReplayMoment['objects'];
  view: ClassroomView | null;
  requests: ApiRequestEntry[];
}

export const START_MOMENT: StoredMoment = { index: -1, resourceVersion: '0', simTime: Number.NEGATIVE_INFINITY, objects: [], view: null, requests: [] };

/** Folds entries forward from a moment, batch-wise; `state` stays the reducer's own. */
export class MomentFold {
  index: number;
  resourceVersion: string;
  simTime: number;
  view: ClassroomView | null;
  requests: ApiRequestEntry[];
  private state: ClusterState;
  private pending: WatchEvent[] = [];

  constructor(from: StoredMoment) {
    this.index = from.index;
    this.resourceVersion = from.resourceVersion;
    this.simTime = from.simTime;
    this.view = from.view;
    this.requests = [...from.requests];
    this.state = applySnapshot({ resourceVersion: from.resourceVersion, objects: from.objects });
  }

  add(entry: LogEntry, index: number): void {
    this.index = index;
    this.resourceVersion = entry.resourceVersion;
    this.simTime = Math.max(this.simTime, entry.simTime);
    if (entry.t === 'change') this.pending.push(watchEventOf(entry));
    else if (entry.t === 'room') this.view = entry.view;
    else if (entry.t === 'request') {
      this.requests.push(entry.entry);
      if (this.requests.length > MOMENT_REQUESTS * 2) this.requests = this.requests.slice(-MOMENT_REQUESTS);
    }
  }

  moment(): StoredMoment {
    this.state = applyWatchEvents(this.state, this.pending);
    this.pending = [];
    return {
      index: this.index,
      resourceVersion: this.resourceVersion,
      simTime: this.simTime,
      objects: allObjects(this.state),
      view: this.view,
      requests: this.requests.slice(-MOMENT_REQUESTS),
    };
  }
}
