/**
 * Reads an uploaded log line by line and refuses, naming the line, anything that is not a
 * ClusterPlay log exactly as exported: a foreign first line, a newer format, a line that is not
 * JSON or not an entry, a change out of sequence (missing, reordered or duplicated lines), an
 * entry placed after the wrong change, an object that is not a valid Kubernetes object or does
 * not carry its entry's resourceVersion, a change that contradicts the ones before it (modifying
 * or deleting what is not there, adding what is), and a file without its end line (truncated).
 */
import type { z } from 'zod';
import { objectKey, validateObject } from '@shared/model';
import { LOG_FORMAT, LOG_FORMAT_VERSION, logEndSchema, logEntrySchema, logHeaderSchema, type LogEntry, type LogHeader } from '@shared/protocol';
import { ReplayImportError } from './import-error';

function parseJson(line: number, text: string, terminated: boolean): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new ReplayImportError(line, `is not valid JSON (${why})${terminated ? '' : ': the file ends in the middle of this line, so it is truncated'}`);
  }
}

function schemaProblem(error: z.ZodError): string {
  return error.issues.map((i) => (i.path.length ? `${i.path.map(String).join('.')}: ${i.message}` : i.message)).join('; ');
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export class LogChecker {
  private header: LogHeader | null = null;
  private lastChange = 0;
  private count = 0;
  private ended = false;
  private lastLine = 0;
  /** `Kind/namespace/name` of every object present, to catch changes that contradict the log before them. */
  private readonly present = new Set<string>();

  constructor(private readonly maxEntries: number) {}

  /** The first line. */
  readHeader(line: number, text: string, terminated: boolean): LogHeader {
    const value = text.trim() === '' ? undefined : (() => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        return undefined;
      }
    })();
    if (!isObject(value) || value['format'] !== LOG_FORMAT) {
      throw new ReplayImportError(line, `this is not a ClusterPlay log: its first line must be the header {"format":"${LOG_FORMAT}",...}${terminated ? '' : ' (the file has a single line)'}`);
    }
    const version = value['formatVersion'];
    if (typeof version === 'number' && version > LOG_FORMAT_VERSION) {
      throw new ReplayImportError(line, `the log's format version ${version} is newer than this server reads (${LOG_FORMAT_VERSION}): import it on the ClusterPlay version that exported it (${String(value['clusterplayVersion'])}) or later`);
    }
    const parsed = logHeaderSchema.safeParse(value);
    if (!parsed.success) throw new ReplayImportError(line, `the header is not valid: ${schemaProblem(parsed.error)}`);
    this.header = parsed.data;
    this.lastLine = line;
    return parsed.data;
  }

  /** An entry line; returns the entry, or null for the end line. */
  readEntry(line: number, text: string, terminated: boolean): LogEntry | null {
    this.lastLine = line;
    if (this.ended) {
      if (text.trim() === '') return null;
      throw new ReplayImportError(line, 'comes after the end line: the file has text after its end');
    }
    const value = parseJson(line, text, terminated);
    if (isObject(value) && value['t'] === 'end') {
      const end = logEndSchema.safeParse(value);
      if (!end.success) throw new ReplayImportError(line, `the end line is not valid: ${schemaProblem(end.error)}`);
      if (end.data.entries !== this.count) {
        throw new ReplayImportError(line, `the end line counts ${end.data.entries} entries but the file holds ${this.count}: lines are missing or were added`);
      }
      this.ended = true;
      return null;
    }
    if (this.count >= this.maxEntries) throw new ReplayImportError(line, `the log has more than ${this.maxEntries} entries, the most a replay may hold`, 'PayloadTooLarge');
    const parsed = logEntrySchema.safeParse(value);
    if (!parsed.success) throw new ReplayImportError(line, `is not a log entry: ${schemaProblem(parsed.error)}`);
    const entry = parsed.data;
    const rv = Number(entry.resourceVersion);
    if (entry.t === 'change') {
      if (rv !== this.lastChange + 1) {
        throw new ReplayImportError(line, `the change at resourceVersion ${rv} follows resourceVersion ${this.lastChange}: changes are missing, duplicated or out of order`);
      }
      this.lastChange = rv;
      this.count++;
      return this.checkChange(line, entry);
    }
    if (rv !== this.lastChange) {
      throw new ReplayImportError(line, `this ${entry.t} entry names resourceVersion ${rv} but follows the change at resourceVersion ${this.lastChange}: the lines are out of order`);
    }
    this.count++;
    return entry as LogEntry;
  }

  /** After the last line: a file without its end line was cut short. */
  finish(): { header: LogHeader; entries: number } {
    if (!this.header) throw new ReplayImportError(1, 'the file is empty: a ClusterPlay log starts with its header line');
    if (!this.ended) {
      throw new ReplayImportError(this.lastLine + 1, `the file ends without its end line after ${this.count} entries: it is truncated (the last complete line is ${this.lastLine})`);
    }
    return { header: this.header, entries: this.count };
  }

  private checkChange(line: number, entry: Extract<z.output<typeof logEntrySchema>, { t: 'change' }>): LogEntry {
    const valid = validateObject(entry.object);
    if (!valid.ok) throw new ReplayImportError(line, `the object is not a valid Kubernetes object: ${valid.message}`);
    const object = valid.object;
    if (object.metadata.resourceVersion !== entry.resourceVersion) {
      throw new ReplayImportError(line, `the object's resourceVersion ${String(object.metadata.resourceVersion)} is not its entry's ${entry.resourceVersion}: the line was altered`);
    }
    const key = `${object.kind}/${objectKey(object)}`;
    const known = this.present.has(key);
    if (entry.type === 'ADDED' && known) throw new ReplayImportError(line, `adds ${key}, which the log already holds`);
    if (entry.type !== 'ADDED' && !known) throw new ReplayImportError(line, `${entry.type === 'DELETED' ? 'deletes' : 'modifies'} ${key}, which the log does not hold at that point`);
    if (entry.type === 'DELETED') this.present.delete(key);
    else this.present.add(key);
    // The entry keeps the object as exported; validation only checked it.
    return { ...entry, object: entry.object as unknown as typeof object };
  }
}
