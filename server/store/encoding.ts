/**
 * JSON in and out of Redis. Objects are written only by this store after full validation, so
 * reading them back checks the envelope (kind, name, resourceVersion) rather than every field:
 * the read path is the hot path of every watcher, so the envelopes are checked by hand.
 */
import { randomBytes } from 'node:crypto';
import { KINDS, type KubeObject, type Persisted } from '@shared/model';
import type { ApiRequestEntry, WatchEvent } from '@shared/protocol';

const KIND_NAMES: ReadonlySet<string> = new Set(KINDS);
const EVENT_TYPES: ReadonlySet<string> = new Set(['ADDED', 'MODIFIED', 'DELETED']);

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Stored data that is not what this store writes: a bug or a foreign writer, never a client's mistake. */
function malformed(what: string, data: string): Error {
  return new Error(`malformed ${what} in redis: ${data.slice(0, 200)}`);
}

export function decodeObject(json: string): Persisted<KubeObject> {
  const value: unknown = JSON.parse(json);
  const metadata = isRecord(value) ? value['metadata'] : undefined;
  const envelope =
    isRecord(value) &&
    typeof value['apiVersion'] === 'string' &&
    KIND_NAMES.has(value['kind'] as string) &&
    isRecord(metadata) &&
    typeof metadata['name'] === 'string' &&
    typeof metadata['resourceVersion'] === 'string' &&
    typeof metadata['uid'] === 'string';
  if (!envelope) throw malformed('object', json);
  return value as Persisted<KubeObject>;
}

/**
 * The object's JSON cut where its resourceVersion goes: the Lua script writes `before + rv + after`,
 * so the version is taken and set in the same atomic step. The cut point is a marker value that
 * must occur exactly once (a label could, in theory, hold the same text: then another is drawn).
 */
export function splitAtResourceVersion(object: KubeObject): { before: string; after: string } {
  for (let marker = '\u0000resourceVersion\u0000'; ; marker = `\u0000rv-${randomBytes(6).toString('hex')}\u0000`) {
    const json = JSON.stringify({ ...object, metadata: { ...object.metadata, resourceVersion: marker } });
    const token = JSON.stringify(marker);
    const at = json.indexOf(token);
    if (at >= 0 && at === json.lastIndexOf(token)) return { before: `${json.slice(0, at)}"`, after: `"${json.slice(at + token.length)}` };
  }
}


/** Log entry ids are `<resourceVersion>-0`. */
export function resourceVersionOfEntry(id: string): number {
  return Number(id.slice(0, id.indexOf('-')));
}

export function decodeLogEntry(id: string, fields: Record<string, string>): WatchEvent {
  const { type, object: json, actor } = fields;
  const simTime = Number(fields['simTime']);
  const wallTime = Number(fields['wallTime']);
  if (type === undefined || !EVENT_TYPES.has(type) || json === undefined || actor === undefined || !Number.isFinite(simTime) || !Number.isFinite(wallTime)) {
    throw malformed(`log entry ${id}`, JSON.stringify(fields));
  }
  const resourceVersion = String(resourceVersionOfEntry(id));
  const object = decodeObject(json);
  // A DELETED entry holds the last stored state; like Kubernetes, the event carries the deletion's version.
  if (type === 'DELETED') object.metadata.resourceVersion = resourceVersion;
  return { type: type as WatchEvent['type'], object, resourceVersion, actor, simTime, wallTime };
}

/**
 * A request-log entry stored with a change (typed when written, like the objects): its envelope
 * is checked, not every field.
 */
export function decodeRequestEntry(json: string): ApiRequestEntry {
  const value: unknown = JSON.parse(json);
  const envelope =
    isRecord(value) &&
    typeof value['id'] === 'string' &&
    typeof value['actor'] === 'string' &&
    typeof value['verb'] === 'string' &&
    (value['outcome'] === 'accepted' || value['outcome'] === 'refused');
  if (!envelope) throw malformed('request entry', json);
  return value as unknown as ApiRequestEntry;
}

/** Structural equality of JSON values (map key order does not matter, as for Kubernetes' semantic equality). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const ka = Object.keys(ra).filter((k) => ra[k] !== undefined);
  const kb = Object.keys(rb).filter((k) => rb[k] !== undefined);
  return ka.length === kb.length && ka.every((k) => jsonEqual(ra[k], rb[k]));
}
