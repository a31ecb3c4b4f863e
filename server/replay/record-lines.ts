/**
 * The session record's lines as Redis holds them: the change log and the record stream merged by
 * entry id (see server/store/record.ts), read page by page and never held whole. Export and
 * compaction both read through here, so a compacted segment holds exactly the lines an export has.
 */
import { z } from 'zod';
import { changeEntryOf } from '@shared/protocol';
import type { RedisClient } from '../redis/connect';
import { decodeLogEntry, type StoreKeys } from '../store';

const PAGE = 500;

const StreamEntriesSchema = z.array(z.object({ id: z.string(), message: z.record(z.string(), z.string()) }));
const RecordEntriesSchema = z.array(z.object({ id: z.string(), message: z.object({ entry: z.string() }) }));

/** Entries recorded after change N have ids N-1, N-2, ...: every one is at or below this id. */
const lastIdOf = (resourceVersion: number): string => `${resourceVersion}-${Number.MAX_SAFE_INTEGER}`;

interface Keyed {
  ms: number;
  seq: number;
  line: string;
}

function idParts(id: string): { ms: number; seq: number } {
  const dash = id.indexOf('-');
  return { ms: Number(id.slice(0, dash)), seq: Number(id.slice(dash + 1)) };
}

/** One stream's lines in id order, a page at a time, from the first id after `afterId`. */
async function* pages(afterId: string, read: (afterId: string) => Promise<Keyed[]>, onPage: () => Promise<void>): AsyncGenerator<Keyed> {
  let after = afterId;
  for (;;) {
    await onPage();
    const page = await read(after);
    yield* page;
    const last = page[page.length - 1];
    if (!last || page.length < PAGE) return;
    after = `${last.ms}-${last.seq}`;
  }
}

export interface RecordRange {
  /** Lines of changes after this resourceVersion, and of what was recorded after it. */
  afterResourceVersion: number;
  /** Up to this resourceVersion's change and what was recorded after it. */
  upTo: number;
  /** Called before each page is read (an export renews its lease there). */
  onPage?: () => Promise<void>;
}

/** The merged lines (without newlines) of the record between two resourceVersions, in the order the classroom recorded them. */
export async function* recordLines(redis: RedisClient, keys: StoreKeys, { afterResourceVersion, upTo, onPage = async () => {} }: RecordRange): AsyncGenerator<string> {
  // What was recorded before the first change (ids 0-n) opens the record.
  const start = afterResourceVersion === 0 ? '0-0' : lastIdOf(afterResourceVersion);
  const changes = pages(start, async (after) => {
    if (upTo <= afterResourceVersion) return [];
    const entries = StreamEntriesSchema.parse(await redis.xRange(keys.log, `(${after}`, `${upTo}-0`, { COUNT: PAGE }));
    return entries.map(({ id, message }) => ({ ...idParts(id), line: JSON.stringify(changeEntryOf(decodeLogEntry(id, message))) }));
  }, onPage);
  const records = pages(start, async (after) => {
    const entries = RecordEntriesSchema.parse(await redis.xRange(keys.record, `(${after}`, lastIdOf(upTo), { COUNT: PAGE }));
    return entries
      .map(({ id, message }) => ({ ...idParts(id), json: message.entry }))
      .map(({ ms, seq, json }) => {
        const { t, ...rest } = z.looseObject({ t: z.string() }).parse(JSON.parse(json));
        return { ms, seq, line: JSON.stringify({ t, resourceVersion: String(ms), ...rest }) };
      });
  }, async () => {});
  let change = await changes.next();
  let record = await records.next();
  while (!change.done || !record.done) {
    const takeChange = record.done || (!change.done && (change.value.ms < record.value.ms || (change.value.ms === record.value.ms && change.value.seq < record.value.seq)));
    if (takeChange && !change.done) {
      yield change.value.line;
      change = await changes.next();
    } else if (!record.done) {
      yield record.value.line;
      record = await records.next();
    }
  }
}
