/**
 * The API server's storage, per classroom: versioned Kubernetes objects in Redis hashes, every
 * committed change appended to the classroom's log stream in the same Lua script, and watch.
 * Refusals are thrown as ApiError carrying Kubernetes' Status (Conflict, AlreadyExists, NotFound,
 * Invalid, Expired, ...).
 *
 * Graceful deletion is two writes, as in Kubernetes: an update (or patch) that sets
 * `metadata.deletionTimestamp` and `deletionGracePeriodSeconds` (watchers see MODIFIED, the pod
 * shows Terminating), then `delete` once the grace period is over (DELETED).
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import {
  KINDS,
  alreadyExists,
  badRequest,
  conflict,
  expired,
  isNamespaced,
  matchesSelector,
  notFound,
  objectKey,
  validateObject,
  type Kind,
  type KubeObject,
  type LabelSelector,
  type ObjectOfKind,
  type Persisted,
  type SimTime,
} from '@shared/model';
import type { ApiRequestEntry, Snapshot, WatchEvent } from '@shared/protocol';
import type { Logger } from '../logger';
import type { RedisClient } from '../redis/connect';
import { ApiError } from './api-error';
import { decodeLogEntry, decodeObject, jsonEqual, resourceVersionOfEntry, splitAtResourceVersion } from './encoding';
import { storeKeys, type StoreKeys } from './keys';
import { applyMergePatch, isPlainObject } from './merge-patch';
import { prepareForCreate, prepareForUpdate, type Subresource } from './prepare';
import { appendRequestLog, readRequestLog } from './request-log';
import { createScript, deleteScript, updateScript, type ScriptReply } from './scripts';
import { VersionCache } from './version-cache';
import { WatchHub, type WatchListener } from './watch-hub';

export interface ObjectStoreOptions {
  redis: RedisClient;
  /** REDIS_KEY_PREFIX */
  keyPrefix: string;
  /** Log entries kept per classroom (Redis trims whole nodes, so a few more are kept). */
  logRetention?: number;
  /** API request log entries kept per classroom. */
  requestLogRetention?: number;
  logger?: Logger;
}

/** Who asked, and when on the classroom's simulated clock. */
export interface WriteContext {
  /** `student:<id>`, `bot:<role>`, `instructor`, `system:<timer>` */
  actor: string;
  simTime: SimTime;
}

export interface ObjectRef<K extends Kind = Kind> {
  kind: K;
  name: string;
  /** Defaults to `default` for namespaced kinds; ignored for cluster-scoped ones. */
  namespace?: string;
}

export interface ListOptions {
  namespace?: string;
  labelSelector?: LabelSelector;
}

export interface ObjectList<T extends KubeObject> {
  /** The classroom's resourceVersion the list was read at: watch from it to follow the changes. */
  resourceVersion: string;
  items: Persisted<T>[];
}

export interface DeleteOptions {
  /** Delete only this incarnation / this version of the object (409 Conflict otherwise). */
  preconditions?: { uid?: string; resourceVersion?: string };
}

export const DEFAULT_LOG_RETENTION = 200_000;
export const DEFAULT_REQUEST_LOG_RETENTION = 2_000;
const HashSchema = z.record(z.string(), z.string());
const CounterSchema = z.string().nullable();
const StreamEntriesSchema = z.array(z.object({ id: z.string(), message: z.record(z.string(), z.string()) }));
const ListReadSchema = z.tuple([HashSchema, CounterSchema]);
const LogReadSchema = z.tuple([StreamEntriesSchema, CounterSchema, StreamEntriesSchema.optional()]);

/**
 * Unconditional updates and patches are retried when another write slips in between, as etcd3's
 * GuaranteedUpdate does; each lost race means another writer won, so this only guards against bugs.
 */
const MAX_RETRIES = 100;

function parseResourceVersion(value: string): number {
  if (!/^\d{1,15}$/.test(value)) throw new ApiError(badRequest(`invalid resourceVersion: ${JSON.stringify(value)}`));
  return Number(value);
}

function fieldOf(ref: ObjectRef): string {
  return isNamespaced(ref.kind) ? `${ref.namespace ?? 'default'}/${ref.name}` : ref.name;
}

function refOf(object: KubeObject): ObjectRef {
  return { kind: object.kind, name: object.metadata.name, namespace: object.metadata.namespace };
}

function validate(input: unknown): KubeObject {
  const result = validateObject(input);
  if (!result.ok) throw new ApiError(result.error);
  return result.object;
}

export class ObjectStore {
  private readonly redis: RedisClient;
  private readonly prefix: string;
  private readonly logRetention: string;
  private readonly requestLogRetention: number;
  private readonly cache = new VersionCache();
  private readonly hub: WatchHub;

  constructor(options: ObjectStoreOptions) {
    this.redis = options.redis;
    this.prefix = options.keyPrefix;
    this.logRetention = String(options.logRetention ?? DEFAULT_LOG_RETENTION);
    this.requestLogRetention = options.requestLogRetention ?? DEFAULT_REQUEST_LOG_RETENTION;
    this.hub = new WatchHub({
      redis: options.redis,
      logKey: (classroom) => this.keys(classroom).log,
      readLog: (classroom, afterRv, count) => this.logAfter(classroom, afterRv, count),
      onEntry: (classroom, event, json) => this.observe(classroom, event, json),
      ...(options.logger ? { logger: options.logger } : {}),
    });
  }

  keys(classroom: string): StoreKeys {
    return storeKeys(this.prefix, classroom);
  }

  // ---- reads ----

  async get<K extends Kind>(classroom: string, ref: ObjectRef<K>): Promise<Persisted<ObjectOfKind<K>>> {
    const field = fieldOf(ref);
    const json = await this.redis.hGet(this.keys(classroom).objects(ref.kind), field);
    if (json === null || json === undefined) throw new ApiError(notFound(ref.kind, ref.name));
    const object = decodeObject(json);
    this.cache.remember(classroom, ref.kind, field, Number(object.metadata.resourceVersion), json);
    return object as Persisted<ObjectOfKind<K>>;
  }

  /** Objects of one kind, in key order, read together with the classroom's resourceVersion. */
  async list<K extends Kind>(classroom: string, kind: K, options: ListOptions = {}): Promise<ObjectList<ObjectOfKind<K>>> {
    const keys = this.keys(classroom);
    const [hash, rv] = ListReadSchema.parse(await this.redis.multi().hGetAll(keys.objects(kind)).get(keys.rv).exec());
    const items = Object.entries(hash)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, json]) => decodeObject(json) as Persisted<ObjectOfKind<K>>)
      .filter(
        (o) =>
          (options.namespace === undefined || o.metadata.namespace === options.namespace) &&
          (options.labelSelector === undefined || matchesSelector(options.labelSelector, o.metadata.labels)),
      );
    return { resourceVersion: rv ?? '0', items };
  }

  /** Every object of the classroom at one resourceVersion: what a client starts from before watching. */
  async snapshot(classroom: string): Promise<Snapshot> {
    const keys = this.keys(classroom);
    const multi = this.redis.multi();
    for (const kind of KINDS) multi.hGetAll(keys.objects(kind));
    multi.get(keys.rv);
    const replies = await multi.exec();
    const hashes = z.array(HashSchema).parse(replies.slice(0, KINDS.length));
    const rv = CounterSchema.parse(replies[KINDS.length]);
    return { resourceVersion: rv ?? '0', objects: hashes.flatMap((hash) => Object.values(hash).map(decodeObject)) };
  }

  /**
   * Committed changes after `fromResourceVersion`, oldest first, at most `count`: the replay record,
   * and what a reconnecting client missed. 410 Expired when the log no longer reaches back that far.
   */
  async readLog(classroom: string, fromResourceVersion: string, count: number): Promise<WatchEvent[]> {
    return this.logAfter(classroom, parseResourceVersion(fromResourceVersion), count);
  }

  /**
   * Follows the classroom: every change after `fromResourceVersion` in order and exactly once,
   * then live ones, in batches. Rejects with 410 Expired when the log no longer holds them.
   * Resolves to the function that stops the watch.
   */
  watch(classroom: string, fromResourceVersion: string, listener: WatchListener): Promise<() => void> {
    return this.hub.watch(classroom, parseResourceVersion(fromResourceVersion), listener);
  }

  // ---- writes ----

  create<T extends KubeObject>(classroom: string, object: T, context: WriteContext): Promise<Persisted<T>>;
  create(classroom: string, object: unknown, context: WriteContext): Promise<Persisted<KubeObject>>;
  async create(classroom: string, input: unknown, context: WriteContext): Promise<Persisted<KubeObject>> {
    const object = prepareForCreate(validate(input), randomUUID(), context.simTime);
    const keys = this.keys(classroom);
    const field = objectKey(object);
    const { before, after } = splitAtResourceVersion(object);
    const reply = await createScript.run(
      this.redis,
      [keys.objects(object.kind), keys.rv, keys.log],
      [field, before, after, ...this.entryArgs(context)],
    );
    if (reply[0] === 'AlreadyExists') throw new ApiError(alreadyExists(object.kind, object.metadata.name));
    return this.committed(classroom, object.kind, field, reply, before, after);
  }

  /**
   * Replaces the object. With `metadata.resourceVersion` it succeeds only if that is still the
   * stored version (409 Conflict otherwise); without, it applies to the latest version.
   * For kinds with a status subresource the stored status is kept: use updateStatus for it.
   */
  update<T extends KubeObject>(classroom: string, object: T, context: WriteContext): Promise<Persisted<T>>;
  update(classroom: string, object: unknown, context: WriteContext): Promise<Persisted<KubeObject>>;
  async update(classroom: string, input: unknown, context: WriteContext): Promise<Persisted<KubeObject>> {
    const incoming = validate(input);
    return this.write(classroom, refOf(incoming), incoming.metadata.resourceVersion, context, (stored) => prepareForUpdate(stored, incoming, 'main'));
  }

  /** Writes only `.status` (the status subresource), with the same resourceVersion rule as update. */
  updateStatus<T extends KubeObject>(classroom: string, object: T, context: WriteContext): Promise<Persisted<T>>;
  updateStatus(classroom: string, object: unknown, context: WriteContext): Promise<Persisted<KubeObject>>;
  async updateStatus(classroom: string, input: unknown, context: WriteContext): Promise<Persisted<KubeObject>> {
    const incoming = validate(input);
    return this.write(classroom, refOf(incoming), incoming.metadata.resourceVersion, context, (stored) => prepareForUpdate(stored, incoming, 'status'));
  }

  /**
   * A JSON merge patch applied to the latest version (retried if another write slips in), or only
   * to the version named in the patch's `metadata.resourceVersion`. `subresource: 'status'` keeps
   * everything but the status, as `kubectl patch --subresource=status` does.
   */
  async patch<K extends Kind>(
    classroom: string,
    ref: ObjectRef<K>,
    patch: unknown,
    context: WriteContext,
    options: { subresource?: Subresource } = {},
  ): Promise<Persisted<ObjectOfKind<K>>> {
    if (!isPlainObject(patch)) throw new ApiError(badRequest('a merge patch must be a JSON object'));
    const metadata = patch['metadata'];
    const rv = isPlainObject(metadata) && typeof metadata['resourceVersion'] === 'string' ? metadata['resourceVersion'] : undefined;
    const written = await this.write(classroom, ref, rv, context, (stored) => {
      const patched = validate(applyMergePatch(stored, patch));
      if (patched.kind !== ref.kind || objectKey(patched) !== fieldOf(ref)) {
        throw new ApiError(badRequest('a patch cannot change the kind, name or namespace of an object'));
      }
      return prepareForUpdate(stored, patched, options.subresource ?? 'main');
    });
    return written as Persisted<ObjectOfKind<K>>;
  }

  /** Removes the object at once (DELETED) and returns its last state; see the file comment for graceful deletion. */
  async delete<K extends Kind>(
    classroom: string,
    ref: ObjectRef<K>,
    context: WriteContext,
    options: DeleteOptions = {},
  ): Promise<Persisted<ObjectOfKind<K>>> {
    const keys = this.keys(classroom);
    const field = fieldOf(ref);
    const { uid = '', resourceVersion = '' } = options.preconditions ?? {};
    const reply = await deleteScript.run(
      this.redis,
      [keys.objects(ref.kind), keys.rv, keys.log],
      [field, resourceVersion, uid, ...this.entryArgs(context)],
    );
    switch (reply[0]) {
      case 'NotFound':
        throw new ApiError(notFound(ref.kind, ref.name));
      case 'ResourceVersionPrecondition':
        throw new ApiError(
          conflict(ref.kind, ref.name, `Precondition failed: ResourceVersion in precondition: ${resourceVersion}, ResourceVersion in object meta: ${reply[1]}`),
        );
      case 'UIDPrecondition':
        throw new ApiError(conflict(ref.kind, ref.name, `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${reply[1]}`));
      case 'OK': {
        const [, rv, json = ''] = reply;
        this.cache.forget(classroom, ref.kind, field, rv);
        const object = decodeObject(json);
        object.metadata.resourceVersion = String(rv);
        return object as Persisted<ObjectOfKind<K>>;
      }
      default:
        throw new Error(`unexpected reply from the delete script: ${String(reply[0])}`);
    }
  }

  // ---- the API request log ----

  appendRequestLog(classroom: string, entry: ApiRequestEntry): Promise<void> {
    return appendRequestLog(this.redis, this.keys(classroom).requests, entry, this.requestLogRetention);
  }

  /** The last `count` requests, oldest first. */
  readRequestLog(classroom: string, count: number): Promise<ApiRequestEntry[]> {
    return readRequestLog(this.redis, this.keys(classroom).requests, count);
  }

  /** Stops the watch reader; the Redis client belongs to the caller. */
  close(): Promise<void> {
    return this.hub.close();
  }

  // ---- internals ----

  private entryArgs(context: WriteContext): string[] {
    return [context.actor, String(context.simTime), String(Date.now()), this.logRetention];
  }

  /**
   * Read-prepare-compare-and-swap. The stored version comes from the cache when it is the one the
   * caller names (one round trip in all); the script refuses if the object moved on meanwhile.
   */
  private async write(
    classroom: string,
    ref: ObjectRef,
    expectedRv: string | undefined,
    context: WriteContext,
    prepare: (stored: Persisted<KubeObject>) => Persisted<KubeObject>,
  ): Promise<Persisted<KubeObject>> {
    const { kind, name } = ref;
    const field = fieldOf(ref);
    const keys = this.keys(classroom);
    for (let attempt = 0; ; attempt++) {
      const stored = await this.current(classroom, ref, expectedRv, attempt === 0);
      if (expectedRv !== undefined && stored.metadata.resourceVersion !== expectedRv) throw new ApiError(conflict(kind, name));
      const next = prepare(stored);
      // Like etcd3's GuaranteedUpdate: an update that changes nothing writes nothing and sends no event.
      if (jsonEqual(next, stored)) return stored;
      const { before, after } = splitAtResourceVersion(next);
      const reply = await updateScript.run(
        this.redis,
        [keys.objects(kind), keys.rv, keys.log],
        [field, stored.metadata.resourceVersion, before, after, ...this.entryArgs(context)],
      );
      if (reply[0] === 'NotFound') throw new ApiError(notFound(kind, name));
      if (reply[0] !== 'Conflict') return this.committed(classroom, kind, field, reply, before, after);
      if (expectedRv !== undefined || attempt >= MAX_RETRIES) throw new ApiError(conflict(kind, name));
    }
  }

  private async current(classroom: string, ref: ObjectRef, expectedRv: string | undefined, mayUseCache: boolean): Promise<Persisted<KubeObject>> {
    const cached = mayUseCache ? this.cache.get(classroom, ref.kind, fieldOf(ref)) : undefined;
    if (cached && (expectedRv === undefined || String(cached.rv) === expectedRv)) return decodeObject(cached.json);
    return this.get(classroom, ref);
  }

  private committed(classroom: string, kind: Kind, field: string, reply: ScriptReply, before: string, after: string): Persisted<KubeObject> {
    if (reply[0] !== 'OK') throw new Error(`unexpected reply from a write script: ${reply[0]}`);
    const json = `${before}${reply[1]}${after}`;
    this.cache.remember(classroom, kind, field, reply[1], json);
    return decodeObject(json);
  }

  private observe(classroom: string, event: WatchEvent, json: string): void {
    const field = objectKey(event.object);
    const rv = Number(event.resourceVersion);
    if (event.type === 'DELETED') this.cache.forget(classroom, event.object.kind, field, rv);
    else this.cache.remember(classroom, event.object.kind, field, rv, json);
  }

  /** Checks that the log still holds every change after `afterRv`, and reads up to `count` of them, in one round trip. */
  private async logAfter(classroom: string, afterRv: number, count: number): Promise<WatchEvent[]> {
    const keys = this.keys(classroom);
    const multi = this.redis.multi().xRange(keys.log, '-', '+', { COUNT: 1 }).get(keys.rv);
    if (count > 0) multi.xRange(keys.log, `${afterRv + 1}-0`, '+', { COUNT: count });
    const [first, rv, entries] = LogReadSchema.parse(await multi.exec());
    // Versions are consecutive (each one is taken by a write that logs it), so a gap before the
    // first kept entry is exactly what was trimmed.
    const oldest = first[0] ? resourceVersionOfEntry(first[0].id) : Number(rv ?? 0) + 1;
    if (afterRv < oldest - 1) throw new ApiError(expired(afterRv, oldest - 1));
    return (entries ?? []).map(({ id, message }) => decodeLogEntry(id, message));
  }
}
