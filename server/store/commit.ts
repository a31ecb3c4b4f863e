/**
 * The one write of an admitted request: create-if-absent, compare-and-swap, or delete-if-version,
 * each a Lua script that also takes the next resourceVersion and appends the log entry (and the
 * entry of the API request the write completes, see scripts.ts).
 */
import type { Kind, KubeObject } from '@shared/model';
import type { WatchEventType } from '@shared/sim';
import type { RedisClient } from '../redis/connect';
import { splitAtResourceVersion } from './encoding';
import { GuardMoved, type Guard } from './guard';
import type { StoreKeys } from './keys';
import { batchScript, createScript, deleteScript, updateScript } from './scripts';

export interface Change {
  type: WatchEventType;
  /** The object to store (a new one carrying its uid), or the last state of a deleted one. */
  object: KubeObject;
}

/** Where the object lives, and the version it was read at (undefined: it was absent). */
export interface Target {
  kind: Kind;
  field: string;
  readAt: string | undefined;
}

/** The committed JSON and its resourceVersion; undefined when the object moved since it was read. */
export type Committed = { rv: number; json: string } | undefined;

/** Throws GuardMoved, writing nothing, when `guard` no longer holds. */
export async function commit(redis: RedisClient, keys: StoreKeys, target: Target, change: Change, entry: string[], guard?: Guard): Promise<Committed> {
  // Without a guard the script is given a key of the classroom it never reads (one slot on a Redis Cluster).
  const scriptKeys = [keys.objects(target.kind), keys.rv, keys.log, keys.requests, keys.record, guard?.key ?? keys.rv];
  const expected = guard?.value ?? '';
  if (change.type === 'DELETED') {
    const reply = await deleteScript.run(redis, scriptKeys, [target.field, expectRead(target), expected, ...entry]);
    if (reply[0] === 'Guarded') throw new GuardMoved(guard);
    return reply[0] === 'OK' ? { rv: reply[1], json: reply[2] ?? '' } : undefined;
  }
  const { before, after } = splitAtResourceVersion(change.object);
  const reply =
    change.type === 'ADDED'
      ? await createScript.run(redis, scriptKeys, [target.field, before, after, expected, ...entry])
      : await updateScript.run(redis, scriptKeys, [target.field, expectRead(target), before, after, expected, ...entry]);
  if (reply[0] === 'Guarded') throw new GuardMoved(guard);
  return reply[0] === 'OK' ? { rv: reply[1], json: `${before}${reply[1]}${after}` } : undefined;
}

function expectRead(target: Target): string {
  // The shared rules only modify or delete an object they were given: a bug otherwise.
  if (target.readAt === undefined) throw new Error(`a change of ${target.kind} ${target.field} that was never read`);
  return target.readAt;
}

/**
 * Several changes in one script, all or nothing: each its own resourceVersion and log entry, in
 * order (see BATCH in scripts.ts), logged as by `actor` where it is given (else the entry's).
 * Resolves to each change's committed JSON and version, or to the index of every change whose
 * object moved since it was read (nothing written then).
 */
export async function commitBatch(
  redis: RedisClient,
  keys: StoreKeys,
  changes: readonly { target: Target; change: Change; actor?: string }[],
  entry: string[],
  guard?: Guard,
): Promise<{ committed: { rv: number; json: string }[] } | { stale: number[] }> {
  const [first, ...later] = changes;
  if (!first) throw new Error('a batch of no changes');
  // The script answers a deleted object's last state for the first change only.
  if (later.some((c) => c.change.type === 'DELETED')) throw new Error('only the first change of a batch may be a delete');
  const scriptKeys = [keys.objects(first.target.kind), keys.rv, keys.log, keys.requests, keys.record, guard?.key ?? keys.rv, ...later.map((c) => keys.objects(c.target.kind))];
  const halves = changes.map(({ change }) => (change.type === 'DELETED' ? { before: '', after: '' } : splitAtResourceVersion(change.object)));
  const args = changes.flatMap(({ target, change, actor }, i) => [
    change.type,
    target.field,
    change.type === 'ADDED' ? '' : expectRead(target),
    halves[i]?.before ?? '',
    halves[i]?.after ?? '',
    actor ?? '',
  ]);
  const reply = await batchScript.run(redis, scriptKeys, [guard?.value ?? '', String(changes.length), ...args, ...entry]);
  if (!reply.ok) {
    if ('guarded' in reply) throw new GuardMoved(guard);
    return { stale: reply.stale.map((i) => i - 1) };
  }
  return {
    committed: changes.map(({ change }, i) => {
      const rv = reply.first + i;
      const half = halves[i] ?? { before: '', after: '' };
      return { rv, json: change.type === 'DELETED' ? reply.deleted : `${half.before}${rv}${half.after}` };
    }),
  };
}
