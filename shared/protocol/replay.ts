/**
 * The session record as a file: NDJSON, a header line, one entry per line in the order the
 * classroom recorded them, and an end line with the count (so a file cut at a line boundary is
 * still known to be truncated). Entries after change N and before change N+1 carry
 * `resourceVersion: N`, so the order is checkable line by line: changes are consecutive, every
 * other entry names the last change before it. Export, import and the replay page share these
 * schemas and the timeline below; the cluster at any point is the watch reducer's fold.
 */
import { z } from 'zod';
import type { KubeObject } from '../model';
import { ClusterMoments } from './cluster-moments';
import type { ClassroomView } from './classroom';
import type { ApiRequestEntry, WatchEvent, WatchEventType } from './events';
import { requestLabel } from './request-words';
import { apiRequestEntrySchema, classroomViewSchema } from './server-messages';

export const LOG_FORMAT = 'clusterplay-log';
export const LOG_FORMAT_VERSION = 1;
export const LOG_MEDIA_TYPE = 'application/x-ndjson';

const resourceVersion = z.string().regex(/^\d{1,15}$/, 'a resourceVersion is a decimal number');

export const logHeaderSchema = z.object({
  format: z.literal(LOG_FORMAT),
  formatVersion: z.number().int().positive(),
  clusterplayVersion: z.string().max(40),
  classroom: z.object({ id: z.string().max(80), title: z.string().max(200) }),
  exportedAt: z.number(),
});
export type LogHeader = z.infer<typeof logHeaderSchema>;

/** What the rounds code marks on the timeline (see server/store/record.ts `appendMarker`). */
export const MARKER_KINDS = ['roundStart', 'roundEnd', 'step', 'goal'] as const;
export type MarkerKind = (typeof MARKER_KINDS)[number];
export const roundMarkerSchema = z.object({ kind: z.enum(MARKER_KINDS), label: z.string().min(1).max(300) });
export type RoundMarker = z.infer<typeof roundMarkerSchema>;

const base = { resourceVersion, actor: z.string().max(200), simTime: z.number(), wallTime: z.number() };

export const logEntrySchema = z.discriminatedUnion('t', [
  z.object({ t: z.literal('change'), ...base, type: z.enum(['ADDED', 'MODIFIED', 'DELETED']), object: z.record(z.string(), z.unknown()) }),
  z.object({ t: z.literal('request'), ...base, entry: apiRequestEntrySchema }),
  z.object({ t: z.literal('room'), ...base, reasons: z.array(z.string().max(40)).max(20), view: classroomViewSchema }),
  z.object({ t: z.literal('marker'), ...base, marker: roundMarkerSchema }),
]);

export interface LogEntryBase {
  resourceVersion: string;
  actor: string;
  simTime: number;
  wallTime: number;
}
export type ChangeEntry = LogEntryBase & { t: 'change'; type: WatchEventType; object: KubeObject };
export type RequestEntry = LogEntryBase & { t: 'request'; entry: ApiRequestEntry };
export type RoomEntry = LogEntryBase & { t: 'room'; reasons: string[]; view: ClassroomView };
export type MarkerEntry = LogEntryBase & { t: 'marker'; marker: RoundMarker };
export type LogEntry = ChangeEntry | RequestEntry | RoomEntry | MarkerEntry;
/** Entries the record stream holds beside the change log. */
export type RecordEntry = RequestEntry | RoomEntry | MarkerEntry;

export const logEndSchema = z.object({ t: z.literal('end'), entries: z.number().int().nonnegative() });

export function changeEntryOf(event: WatchEvent): ChangeEntry {
  return { t: 'change', resourceVersion: event.resourceVersion, type: event.type, object: event.object, actor: event.actor, simTime: event.simTime, wallTime: event.wallTime };
}

export function watchEventOf(entry: ChangeEntry): WatchEvent {
  return { type: entry.type, object: entry.object, resourceVersion: entry.resourceVersion, actor: entry.actor, simTime: entry.simTime, wallTime: entry.wallTime };
}

// ---- the timeline ----

/**
 * faults: the instructor's faults and what they bring about (a node NotReady, taint evictions, a
 * container in CrashLoopBackOff: ClusterMoments);
 * steps: changes that break nothing (clients' traffic, a new node or image, a fault healed);
 * round: a scenario set up (or the cluster reset), a round started, won or lost.
 */
export type TimelineCategory = 'fault' | 'step' | 'refusal' | 'goal' | 'round' | 'room';

/** Instructor requests that set a cluster up: the timeline marks them as the round's, not as faults. */
const SETUP_VERBS = new Set(['runScenario', 'restartRound', 'reset']);

export interface TimelineMarker {
  /** Position of the entry in the log (0 = the first entry after the header). */
  index: number;
  resourceVersion: string;
  simTime: number;
  category: TimelineCategory;
  label: string;
}

/** Moments that change what a class is doing, from room entries. */
const PHASE_LABEL: Record<string, string> = { running: 'The class runs', paused: 'The class is paused', closed: 'The class is closed' };

/**
 * Builds the timeline entry by entry (import does it once; tests rebuild it from an export): the
 * markers depend only on the entries, so an exported and re-imported log has the same timeline.
 */
export class TimelineBuilder {
  readonly markers: TimelineMarker[] = [];
  private readonly moments = new ClusterMoments();
  private phase: string | undefined;

  add(entry: LogEntry, index: number): void {
    const at = { index, resourceVersion: entry.resourceVersion, simTime: entry.simTime };
    const mark = (category: TimelineCategory, label: string) => this.markers.push({ ...at, category, label });
    switch (entry.t) {
      case 'request':
        // The move as its button named it ("bind pods/web-1" named the action, a word no student saw).
        if (entry.entry.outcome === 'refused') mark('refusal', `"${requestLabel(entry.entry)}" by ${entry.entry.actorName}: ${entry.entry.code ?? 'refused'}`);
        // An entry of an older log has no `breaks`: a fault, as it was marked then.
        else if (entry.entry.verb === 'fault') mark(entry.entry.breaks === false ? 'step' : 'fault', entry.entry.message || `${entry.entry.verb} ${entry.entry.target}`);
        else if (SETUP_VERBS.has(entry.entry.verb)) mark('round', entry.entry.message || `${entry.entry.verb} ${entry.entry.target}`);
        return;
      case 'marker':
        mark(entry.marker.kind === 'goal' ? 'goal' : 'round', entry.marker.label);
        return;
      case 'room':
        if (entry.view.phase !== this.phase && this.phase !== undefined && PHASE_LABEL[entry.view.phase]) mark('room', PHASE_LABEL[entry.view.phase] ?? '');
        this.phase = entry.view.phase;
        return;
      case 'change':
        this.change(entry, mark);
    }
  }

  private change(entry: ChangeEntry, mark: (category: TimelineCategory, label: string) => void): void {
    for (const moment of this.moments.see(entry)) mark('fault', moment);
  }
}

// ---- the replay API ----

export interface ReplaySummary {
  id: string;
  header: LogHeader;
  entries: number;
  firstResourceVersion: string;
  lastResourceVersion: string;
  startSimTime: number;
  endSimTime: number;
  markers: TimelineMarker[];
}

/** The cluster (and the room, and the last requests) as they were after one entry. */
export interface ReplayMoment {
  resourceVersion: string;
  /** The entry this moment ends with (-1: before the first). */
  index: number;
  simTime: number;
  objects: KubeObject[];
  view: ClassroomView | null;
  requests: ApiRequestEntry[];
}

/** Entries after a position, for playing forward. */
export interface ReplayEntries {
  from: number;
  entries: LogEntry[];
}

export const createReplayResponse = z.object({ id: z.string().min(1), token: z.string().min(1) });
export type CreateReplayResponse = z.infer<typeof createReplayResponse>;
