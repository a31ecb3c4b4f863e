/**
 * Timestamps as kubectl is served them. Objects carry times of the classroom's simulated clock,
 * which stands still in the lobby and while paused and runs 5× or 10× in a round, so it drifts
 * from real time. `get` prints ages the server computes (tables.ts), but `describe` computes them
 * itself, against the real clock of the machine it runs on: a pod `52s` old by the one was `6m5s`
 * by the other, and a clock ahead of real time made describe print `<invalid>`. So every time
 * kubectl is served is moved by the clock's distance from real time, taken as of the request: an
 * age computed from it on the real clock is the simulated age, as `get` shows it, and no time a
 * pod or event carries is later than real now (but a deletionTimestamp: as in Kubernetes, it is
 * the end of the grace period). Times kubectl sends (a status written back) are moved back the
 * same way before they are stored.
 */
import { fromRFC3339, isRFC3339, toMicroTime, toRFC3339 } from '@shared/model';
import { simNow, type SimClock } from '@shared/protocol';
import type { KubeApiDeps } from './routes';

/** The fields of the served kinds that hold a metav1.Time or MicroTime. */
const TIME_FIELDS = new Set([
  'creationTimestamp',
  'deletionTimestamp',
  'lastTransitionTime',
  'lastProbeTime',
  'lastHeartbeatTime',
  'lastUpdateTime',
  'startTime',
  'startedAt',
  'finishedAt',
  'firstTimestamp',
  'lastTimestamp',
  'eventTime',
  'lastObservedTime',
  'renewTime',
  'acquireTime',
  'timeAdded',
]);
/** Maps of the user's own strings: a label or annotation named like a time field is data, left as it is. */
const USER_MAPS = new Set(['labels', 'annotations', 'nodeSelector', 'selector', 'matchLabels', 'data', 'stringData']);

export interface ServedClock {
  /** Now as kubectl reads it: the simulated now moved as served times are, for the ages of table rows. */
  now: number;
  /** A copy of an object (or list, or anything JSON) with its times moved for kubectl. */
  serve<T>(value: T): T;
  /** A body kubectl sent with its times moved back onto the simulated clock. */
  receive<T>(value: T): T;
}

/**
 * The clock kubectl is served on at `wallNow`. The distance is whole seconds, rounded towards the
 * past: a `Time` keeps its whole seconds, and a time at most the simulated now stays at most real now.
 */
export function servedClock(clock: SimClock | undefined, wallNow: number): ServedClock {
  const sim = clock ? Math.floor(simNow(clock, wallNow)) : wallNow;
  const shift = Math.floor((wallNow - sim) / 1000) * 1000;
  return { now: sim + shift, serve: (value) => movedBy(value, shift), receive: (value) => movedBy(value, -shift) };
}

/** The clock a classroom's objects are served on now. */
export async function servedClockOf(deps: Pick<KubeApiDeps, 'cluster'>, classroomId: string): Promise<ServedClock> {
  return servedClock((await deps.cluster.runtime.run(classroomId))?.clock, Date.now());
}

/** A copy of `value` with every time in it `shift` ms later. */
export function movedBy<T>(value: T, shift: number): T {
  if (shift === 0) return value;
  // The pods of one ReplicaSet share most of their times: each is parsed and formatted once per call.
  const times = new Map<string, string>();
  const move = (time: string): string => {
    let next = times.get(time);
    if (next === undefined) times.set(time, (next = movedTime(time, shift)));
    return next;
  };
  return walk(value, move) as T;
}

/** `{ op, path, value }` of a JSON patch (RFC 6902) whose path ends at a time field, not inside a user's map: its value is a time. */
function timeOp(value: Record<string, unknown>): boolean {
  if (typeof value.op !== 'string' || typeof value.path !== 'string' || !isRFC3339(value.value)) return false;
  const segments = value.path.split('/').map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
  return TIME_FIELDS.has(segments.at(-1) ?? '') && !segments.slice(0, -1).some((s) => USER_MAPS.has(s));
}

function walk(value: unknown, move: (time: string) => string): unknown {
  if (Array.isArray(value)) return value.map((v) => walk(v, move));
  if (typeof value !== 'object' || value === null) return value;
  const record = value as Record<string, unknown>;
  if (timeOp(record)) return { ...record, value: move(record.value as string) };
  const copy: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (TIME_FIELDS.has(key) && isRFC3339(v)) copy[key] = move(v);
    else if (USER_MAPS.has(key)) copy[key] = v;
    else copy[key] = walk(v, move);
  }
  return copy;
}

/** 0000-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z: the instants RFC 3339's four-digit years can write. */
const EARLIEST = Date.parse('0000-01-01T00:00:00.000Z');
const LATEST = Date.parse('9999-12-31T23:59:59.999Z');

/**
 * The same form moved: whole seconds stay a `Time`, a fraction stays a `MicroTime`. A time the
 * shift would carry outside what RFC 3339 can write (a user's `0000-01-01T00:00:00Z`) is left as it
 * is: it is no age anyone reads, and failing on it would fail every read of its object.
 */
function movedTime(time: string, shift: number): string {
  const ms = fromRFC3339(time) + shift;
  if (!(ms >= EARLIEST && ms <= LATEST)) return time;
  return time.includes('.') ? toMicroTime(ms) : toRFC3339(ms);
}
