/**
 * Simulated time. Every instant in ClusterPlay is a number of milliseconds on the
 * classroom's simulated clock (epoch milliseconds); objects carry it as Kubernetes
 * does: `Time` (RFC 3339, whole seconds) or `MicroTime` (RFC 3339, microseconds,
 * used by Leases and Event.eventTime). Nothing here reads the wall clock.
 */

/** Milliseconds since the epoch, on the classroom's simulated clock. */
export type SimTime = number;
/** RFC 3339 with whole seconds, e.g. `2026-11-25T10:00:00Z` (metav1.Time). */
export type Time = string;
/** RFC 3339 with microseconds, e.g. `2026-11-25T10:00:00.250000Z` (metav1.MicroTime). */
export type MicroTime = string;

/** Accepts `Z` or `±hh:mm`, with or without fractional seconds. */
export const RFC3339_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

function isoOf(ms: SimTime): string {
  if (!Number.isFinite(ms)) throw new RangeError(`not a time: ${ms}`);
  const iso = new Date(Math.floor(ms)).toISOString();
  if (iso.length !== 24) throw new RangeError(`time out of the RFC 3339 range: ${ms}`);
  return iso; // yyyy-mm-ddThh:mm:ss.sssZ
}

// The loops format the same instant many times over (every status write of a pass): the last one is kept.
let lastTime: { ms: SimTime; time: Time } | undefined;
let lastMicro: { ms: SimTime; time: MicroTime } | undefined;

/** `2026-11-25T10:00:00Z`: truncated to the second, as metav1.Time serialises. */
export function toRFC3339(ms: SimTime): Time {
  if (lastTime?.ms !== ms) lastTime = { ms, time: `${isoOf(ms).slice(0, 19)}Z` };
  return lastTime.time;
}

/** `2026-11-25T10:00:00.250000Z`: metav1.MicroTime (the clock has millisecond resolution). */
export function toMicroTime(ms: SimTime): MicroTime {
  if (lastMicro?.ms !== ms) lastMicro = { ms, time: `${isoOf(ms).slice(0, 23)}000Z` };
  return lastMicro.time;
}

export function isRFC3339(s: unknown): s is string {
  return typeof s === 'string' && RFC3339_PATTERN.test(s) && !Number.isNaN(Date.parse(s));
}

/** Times already parsed: the same timestamps are read again on every pass (bounded, emptied when full). */
const parsed = new Map<string, SimTime>();
const PARSED_LIMIT = 50_000;

/** Parses a `Time` or `MicroTime` back to simulated milliseconds (sub-millisecond digits are dropped). */
export function fromRFC3339(s: string): SimTime {
  const known = parsed.get(s);
  if (known !== undefined) return known;
  if (!isRFC3339(s)) throw new RangeError(`not an RFC 3339 time: ${JSON.stringify(s)}`);
  // Date.parse keeps only milliseconds, and some engines reject more than 3 fraction digits.
  const ms = Date.parse(s.replace(/\.(\d{1,3})\d*/, '.$1'));
  if (parsed.size >= PARSED_LIMIT) parsed.clear();
  parsed.set(s, ms);
  return ms;
}
