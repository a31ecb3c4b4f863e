/**
 * JSON in and out of Redis. Objects are written only by this store after full validation, so
 * reading them back checks the envelope (kind, name, resourceVersion) rather than every field:
 * the read path is the hot path of every watcher.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { KINDS, type KubeObject, type Persisted } from '@shared/model';
import type { ApiRequestEntry, WatchEvent } from '@shared/protocol';

const StoredObjectSchema = z.looseObject({
  apiVersion: z.string(),
  kind: z.enum(KINDS),
  metadata: z.looseObject({ name: z.string(), resourceVersion: z.string(), uid: z.string() }),
});

export function decodeObject(json: string): Persisted<KubeObject> {
  const value: unknown = JSON.parse(json);
  StoredObjectSchema.parse(value);
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

const LogEntrySchema = z.object({
  type: z.enum(['ADDED', 'MODIFIED', 'DELETED']),
  object: z.string(),
  actor: z.string(),
  simTime: z.coerce.number(),
  wallTime: z.coerce.number(),
});

/** Log entry ids are `<resourceVersion>-0`. */
export function resourceVersionOfEntry(id: string): number {
  return Number(id.slice(0, id.indexOf('-')));
}

export function decodeLogEntry(id: string, fields: Record<string, string>): WatchEvent {
  const entry = LogEntrySchema.parse(fields);
  const resourceVersion = String(resourceVersionOfEntry(id));
  const object = decodeObject(entry.object);
  // A DELETED entry holds the last stored state; like Kubernetes, the event carries the deletion's version.
  if (entry.type === 'DELETED') object.metadata.resourceVersion = resourceVersion;
  return { type: entry.type, object, resourceVersion, actor: entry.actor, simTime: entry.simTime, wallTime: entry.wallTime };
}

const StoredRequestSchema = z.looseObject({ id: z.string(), actor: z.string(), verb: z.string(), outcome: z.enum(['accepted', 'refused']) });

/**
 * A request-log entry stored with a change (validated when written, like the objects): its
 * envelope is checked, not every field.
 */
export function decodeRequestEntry(json: string): ApiRequestEntry {
  const value: unknown = JSON.parse(json);
  StoredRequestSchema.parse(value);
  return value as ApiRequestEntry;
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
