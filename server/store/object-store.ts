/**
 * The API server's storage, per classroom: versioned Kubernetes objects in Redis hashes, every
 * committed change appended to the classroom's log stream in the same Lua script, and watch.
 * What a write does is decided by shared/sim/admission (the harness uses the same rules); this
 * store reads the object, asks those rules, and commits their answer with one script.
 * Refusals are thrown as ApiError carrying Kubernetes' Status (Conflict, AlreadyExists, NotFound,
 * Invalid, Expired, ...).
 *
 * Graceful deletion is two writes, as in Kubernetes: `apply` of a delete request marks a pod on a
 * node Terminating (`metadata.deletionTimestamp` and `deletionGracePeriodSeconds`; watchers see
 * MODIFIED), then `delete` (grace 0) once the grace period is over (DELETED). An update can
 * neither set nor clear deletionTimestamp.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import {
  KINDS,
  badRequest,
  conflict,
  expired,
  isNamespaced,
  matchesSelector,
  notFound,
  objectKey,
  validateObject,
  withSystemPriorityClasses,
  type Kind,
  type KubeObject,
  type LabelSelector,
  type ObjectOfKind,
  type Persisted,
  type PriorityClass,
  type SimTime,
} from '@shared/model';
import { admit, admitPodPriority, admitPriorityClass, namespaceLifecycle, type Admission, type AdmissionRequest } from '@shared/sim/admission';
import type { WatchEventType } from '@shared/sim/state';
import { type ApiRequestEntry, type RoundMarker, type Snapshot, type WatchEvent } from '@shared/protocol';
import type { Logger } from '../logger';
import type { RedisClient } from '../redis/connect';
import { ApiError } from './api-error';
import { commit, commitBatch, type Change, type Target } from './commit';
import { decodeLogEntry, decodeObject, resourceVersionOfEntry } from './encoding';
import { GuardMoved, type Guard } from './guard';
import { storeKeys, type StoreKeys } from './keys';
import { LOG_NOTICE_MAX_BYTES } from './log-notice';
import { applyMergePatch, isPlainObject } from './merge-patch';
import { appendRecordEntry, markerEntry, requestRecordJson, type NewRecordEntry } from './record';
import { appendRequestLog, readRequestLog } from './request-log';
import { dryRunClusterIPOf, releaseClusterIP, reserveClusterIP } from './cluster-ips';
import { ReplicaWait } from './replica-wait';
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
  /** Replicas a commit must reach before it is acknowledged (REDIS_WRITE_REPLICAS, see replica-wait.ts); 0 by default. */
  writeReplicas?: number;
  writeReplicasTimeoutMs?: number;
  /** How often each watched log is read even without a notification (see watch-hub.ts). */
  watchCatchUpMs?: number;
  /** The largest log entry a commit's notification carries (LOG_NOTICE_MAX_BYTES by default; 0: none, every watcher reads the log). */
  logNoticeMaxBytes?: number;
  logger?: Logger;
}

/** Who asked, and when on the classroom's simulated clock. */
export interface WriteContext {
  /** `student:<id>`, `bot:<role>`, `instructor`, `system:<timer>` */
  actor: string;
  simTime: SimTime;
  /**
   * The API request this write completes: its entry is written with the change, in the same
   * script (the request log, the session record, and the change's log entry, so every watcher
   * gets the two together). `committedAt` is set once it is; a write that changes nothing leaves it unset.
   */
  request?: LoggedRequest;
  /** The write commits only while this holds (see guard.ts); else GuardMoved is thrown and nothing is written. */
  guard?: Guard;
  /**
   * The PriorityClasses as the caller's informer holds them: a Pod create is admitted on these, as
   * kube-apiserver's Priority plugin admits on its lister's copy, with no read (the controller
   * manager's pod creates are one at a time per ReplicaSet: a read each made them two round trips).
   * Without them they are read from Redis.
   */
  priorityClasses?: readonly PriorityClass[];
  /**
   * A server dry run (`kubectl … --dry-run=server`): read fresh, decided as any write (validation,
   * admission, defaulting, preconditions), never committed: no version, no log entry, no watch
   * event. The answer is the object as it would be stored, as Kubernetes' DryRunnableStorage gives
   * it: a create's with no resourceVersion, an update's with the version it was decided on, a
   * delete's the object before it. Honoured by create, update, updateStatus, patch, apply, delete.
   * A Service's ClusterIP is not taken (see dryRunClusterIP).
   */
  dryRun?: boolean;
}

/** A request-log entry riding with a write (see WriteContext.request). */
export interface LoggedRequest {
  entry: ApiRequestEntry;
  /** The resourceVersion of the change it was written with. */
  committedAt?: string;
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
/** A replica on the same network confirms in about a millisecond; this long and it is taken for down. */
export const DEFAULT_WRITE_REPLICAS_TIMEOUT_MS = 100;
export const DEFAULT_REQUEST_LOG_RETENTION = 2_000;
const HashSchema = z.record(z.string(), z.string());
const CounterSchema = z.string().nullable();
const StreamEntriesSchema = z.array(z.object({ id: z.string(), message: z.record(z.string(), z.string()) }));
const ListReadSchema = z.tuple([HashSchema, CounterSchema]);
const LogReadSchema = z.tuple([StreamEntriesSchema, CounterSchema, StreamEntriesSchema.optional()]);

/**
 * A request is decided again when another write slips in between its read and its commit, as
 * etcd3's GuaranteedUpdate does; each lost race means another writer won, so this only guards against bugs.
 */
const MAX_RETRIES = 100;

/** `kubectl patch --subresource=status` writes only the status. */
export type Subresource = 'main' | 'status';

/**
 * What the first read of a write may assume: that the object is absent (a create), or that the
 * cache may serve it when it holds the version the request names (any, without a precondition).
 * A retry reads Redis.
 */
interface ReadHint {
  absent?: boolean;
  cached?: boolean;
  rv?: string | undefined;
}

function parseResourceVersion(value: string): number {
  if (!/^\d{1,15}$/.test(value)) throw new ApiError(badRequest(`invalid resourceVersion: ${JSON.stringify(value)}`));
  return Number(value);
}

function fieldOf(ref: ObjectRef): string {
  return isNamespaced(ref.kind) ? `${ref.namespace ?? 'default'}/${ref.name}` : ref.name;
}

/** The object a request names. */
function refOf(request: AdmissionRequest): ObjectRef {
  return { kind: request.kind, name: request.name, namespace: request.namespace ?? ('object' in request ? request.object.metadata.namespace : undefined) };
}

/** The request's target named by the object it carries. */
function targetOf(object: KubeObject): { kind: Kind; name: string; namespace: string | undefined } {
  return { kind: object.kind, name: object.metadata.name, namespace: object.metadata.namespace };
}

/** What a dry run answers (see WriteContext.dryRun); the object is not stored, whatever its type says. */
function dryRunAnswer(admission: Extract<Admission, { ok: true }>, current: Persisted<KubeObject> | undefined): Persisted<KubeObject> {
  if (admission.type === 'DELETED' && current) return current;
  if (admission.type === 'ADDED') return withUid(admission.object, randomUUID()) as Persisted<KubeObject>;
  return admission.object as Persisted<KubeObject>;
}

function withUid(object: KubeObject, uid: string): KubeObject {
  return { ...object, metadata: { ...object.metadata, uid } } as KubeObject;
}

function validate(input: unknown): KubeObject {
  const result = validateObject(input);
  if (!result.ok) throw new ApiError(result.error);
  return result.object;
}

/**
 * An object to create, validated. NamespaceLifecycle is admission, which 1.32's create handler runs
 * after decoding (the 400s: not an object, an unknown kind) and before the strategy validates the
 * fields (the 422s), so an invalid object sent to a namespace the cluster lacks is answered that 404.
 */
function validateCreate(input: unknown): KubeObject {
  const result = validateObject(input);
  if (result.ok) return result.object;
  if (result.error.code === 422 && isPlainObject(input) && isPlainObject(input['metadata'])) {
    const namespace = input['metadata']['namespace'];
    const missing = namespaceLifecycle(input['kind'] as Kind, typeof namespace === 'string' ? namespace : undefined);
    if (missing) throw new ApiError(missing);
  }
  throw new ApiError(result.error);
}

export class ObjectStore {
  private readonly redis: RedisClient;
  private readonly prefix: string;
  private readonly logRetention: string;
  private readonly requestLogRetention: number;
  private readonly cache = new VersionCache();
  private readonly hub: WatchHub;
  /** The largest log entry a notification carries (see log-notice.ts), as the scripts take it. */
  private readonly noticeMaxBytes: string;
  private readonly replicaWait: ReplicaWait;

  constructor(options: ObjectStoreOptions) {
    this.replicaWait = new ReplicaWait({
      redis: options.redis,
      replicas: options.writeReplicas ?? 0,
      timeoutMs: options.writeReplicasTimeoutMs ?? DEFAULT_WRITE_REPLICAS_TIMEOUT_MS,
      ...(options.logger ? { logger: options.logger } : {}),
    });
    this.redis = options.redis;
    this.prefix = options.keyPrefix;
    this.logRetention = String(options.logRetention ?? DEFAULT_LOG_RETENTION);
    this.requestLogRetention = options.requestLogRetention ?? DEFAULT_REQUEST_LOG_RETENTION;
    this.noticeMaxBytes = String(options.logNoticeMaxBytes ?? LOG_NOTICE_MAX_BYTES);
    this.hub = new WatchHub({
      redis: options.redis,
      logKey: (classroom) => this.keys(classroom).log,
      notifyChannel: (classroom) => this.keys(classroom).logNotify,
      readLog: (classroom, afterRv, count) => this.logAfter(classroom, afterRv, count),
      resourceVersion: async (classroom) => CounterSchema.parse(await this.redis.get(this.keys(classroom).rv)),
      onEntry: (classroom, event) => this.observe(classroom, event),
      onWentBack: (classroom) => this.cache.forgetClassroom(classroom),
      ...(options.watchCatchUpMs !== undefined ? { catchUpMs: options.watchCatchUpMs } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
    });
  }

  keys(classroom: string): StoreKeys {
    return storeKeys(this.prefix, classroom);
  }

  // ---- reads ----

  /** The stored object, read-only: the one the version cache and this process's watchers hold (see mutation-detector.ts). */
  async get<K extends Kind>(classroom: string, ref: ObjectRef<K>): Promise<Persisted<ObjectOfKind<K>>> {
    const { object } = await this.read(classroom, ref, {});
    if (!object) throw new ApiError(notFound(ref.kind, ref.name));
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
   * This process no longer does the classroom's control work: the objects it knew of go from
   * memory (a later write of it reads Redis first). A process that owned classrooms one after
   * another kept every one's objects until the cache's cap.
   */
  forgetClassroom(classroom: string): void {
    this.cache.forgetClassroom(classroom);
  }

  /** The classroom's last resourceVersion: how far a cache must get to hold every change made so far. */
  async resourceVersion(classroom: string): Promise<string> {
    return CounterSchema.parse(await this.redis.get(this.keys(classroom).rv)) ?? '0';
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
   * Resolves to the function that stops the watch. `onExpired`: the watch ended because the log
   * went back (a Redis failover lost acknowledged writes, see watch-hub.ts); list again.
   */
  watch(classroom: string, fromResourceVersion: string, listener: WatchListener, onExpired?: () => void): Promise<() => void> {
    return this.hub.watch(classroom, parseResourceVersion(fromResourceVersion), listener, onExpired);
  }

  // ---- writes: each request is admitted by shared/sim/admission, then committed in one script ----

  /**
   * One API request, as shared/sim's loops return them: the stored object is read, the shared
   * write rules decide, one compare-and-swap commits (one version, one log entry). Resolves to the
   * stored object (a deleted one's last state); refusals are thrown as ApiError.
   * The rulebook builds its objects from validated state and from actions checked at the boundary,
   * so they are not validated again here (the parse was a sixth of a move's CPU before its commit);
   * moves.test and cluster.test check (shared/sim/testing/revalidated.ts) that validation accepts each of them unchanged.
   * Objects from outside (kubectl, the instructor's manifests) come through create/update/patch.
   */
  async apply(classroom: string, req: AdmissionRequest, context: WriteContext): Promise<Persisted<KubeObject>> {
    return this.admitAndCommit(classroom, req, context);
  }

  /**
   * A request and the Events that report it (creates), committed by one script, one round trip:
   * each object still gets its own resourceVersion and watch event, in order, and the request's
   * entry (context.request) rides with the last. Refusals of the request are thrown as by `apply`,
   * with no Event written. Resolves to null, with nothing written, where the caller is to write them
   * one by one as before: an Event's name is taken, the request changes nothing, or its write takes
   * more than one step (a Service's ClusterIP).
   */
  async applyWithEvents(classroom: string, req: AdmissionRequest, events: readonly AdmissionRequest[], context: WriteContext): Promise<Persisted<KubeObject>[] | null> {
    const reports = events.map((event) => {
      const admitted = event.verb === 'create' && event.kind === 'Event' ? admit(undefined, event, context.simTime) : null;
      return admitted?.ok ? { kind: event.kind, field: objectKey(admitted.object), object: withUid(admitted.object, randomUUID()) } : null;
    });
    if (!events.length || req.kind === 'Service' || reports.some((r) => r === null)) return null;
    const request = await this.withPriority(classroom, req, context.priorityClasses);
    const namespace = request.namespace ?? ('object' in request ? request.object.metadata.namespace : undefined);
    const ref: ObjectRef = { kind: request.kind, name: request.name, namespace };
    const field = fieldOf(ref);
    const hint: ReadHint = request.verb === 'create' ? { absent: true } : { cached: true, rv: request.resourceVersion };
    for (let attempt = 0; attempt <= MAX_RETRIES; attempt++) {
      const { object: current, fresh } = await this.read(classroom, ref, attempt === 0 ? hint : {});
      const admission = admit(current, request, context.simTime);
      if (!admission.ok) throw new ApiError(admission.error);
      if (!admission.changed && current) {
        if (fresh) return null;
        continue;
      }
      const object = admission.type === 'ADDED' ? withUid(admission.object, randomUUID()) : admission.object;
      const changes = [
        { target: { kind: ref.kind, field, readAt: current?.metadata.resourceVersion }, change: { type: admission.type, object } },
        ...reports.flatMap((r) => (r ? [{ target: { kind: r.kind, field: r.field, readAt: undefined }, change: { type: 'ADDED' as const, object: r.object } }] : [])),
      ];
      const entry = this.entryArgs(classroom, context);
      const ended = this.hub.commitStarted(classroom);
      try {
        const generation = this.cache.generation;
        const done = await commitBatch(this.redis, this.keys(classroom), changes, entry.args, context.guard);
        if ('stale' in done) {
          if (done.stale.includes(0)) continue;
          return null;
        }
        const last = done.committed.length - 1;
        if (context.request) context.request.committedAt = String(done.committed[last]?.rv);
        const { request: _request, ...unlogged } = entry.fields;
        // In order, as the log has them: this process's watchers need not wait for the log read.
        const written = done.committed.map((c, i) => this.publish(classroom, c.rv, { type: changes[i]?.change.type ?? 'ADDED', object: c.json, ...(i === last ? entry.fields : unlogged) }));
        await this.replicaWait.after(this.keys(classroom).log);
        return done.committed.map((c, i) => {
          const change = changes[i];
          const object = written[i];
          if (!change || !object) throw new Error('a committed change that was not sent');
          return this.committed(classroom, change.target.kind, change.target.field, change.change.type, c.rv, object, generation);
        });
      } finally {
        ended();
      }
    }
    throw new ApiError(conflict(ref.kind, ref.name));
  }

  /**
   * Independent requests, each by its own actor (every due node's Lease renewal, each by its node's
   * kubelet), committed by one script, one round trip: each is admitted as `apply` admits it and
   * gets its own resourceVersion and watch event, in order. Resolves to each request's stored object,
   * or its refusal (an ApiError, nothing written for it) while the others commit. One whose object
   * moved since it was read is read again and decided again, as `apply` does.
   */
  async applyEach(classroom: string, writes: readonly { request: AdmissionRequest; actor: string }[], context: { simTime: SimTime }): Promise<(Persisted<KubeObject> | ApiError)[]> {
    const refs = writes.map(({ request }) => refOf(request));
    // A Service's ClusterIP and a Pod's or PriorityClass's priority are steps of their own (see admitAndCommit).
    const whole = ({ request }: { request: AdmissionRequest }): boolean =>
      request.verb !== 'delete' && request.kind !== 'Service' && request.kind !== 'PriorityClass' && !(request.kind === 'Pod' && request.verb === 'create');
    if (!writes.every(whole) || new Set(refs.map((r) => `${r.kind}/${fieldOf(r)}`)).size < refs.length) {
      throw new Error('applyEach takes writes of one step each (no delete, Service, PriorityClass or Pod create), one an object');
    }
    const results = new Array<Persisted<KubeObject> | ApiError | undefined>(writes.length);
    const fromRedis = new Set<number>();
    for (let attempt = 0; attempt <= MAX_RETRIES; attempt++) {
      const batch: { at: number; actor: string; target: Target; change: Change }[] = [];
      for (const [at, { request, actor }] of writes.entries()) {
        if (results[at] !== undefined) continue;
        const decided = await this.decideOne(classroom, request, context.simTime, fromRedis.has(at));
        if ('answer' in decided) results[at] = decided.answer;
        else batch.push({ at, actor, ...decided });
      }
      const [first] = batch;
      if (!first) break;
      const entry = this.entryArgs(classroom, { actor: first.actor, simTime: context.simTime });
      const ended = this.hub.commitStarted(classroom);
      try {
        const generation = this.cache.generation;
        const done = await commitBatch(this.redis, this.keys(classroom), batch, entry.args);
        if ('stale' in done) {
          for (const i of done.stale) fromRedis.add(batch[i]?.at ?? -1);
          continue;
        }
        // In order, as the log has them: this process's watchers need not wait for the log read.
        const written = done.committed.map((c, i) => {
          const { change, actor } = batch[i] ?? first;
          return this.publish(classroom, c.rv, { type: change.type, object: c.json, ...entry.fields, actor });
        });
        await this.replicaWait.after(this.keys(classroom).log);
        for (const [i, c] of done.committed.entries()) {
          const { at, target, change } = batch[i] ?? first;
          const object = written[i];
          if (object) results[at] = this.committed(classroom, target.kind, target.field, change.type, c.rv, object, generation);
        }
      } finally {
        ended();
      }
      break;
    }
    // Array.from, not map: a slot never filled (retries ran out) is a hole that map would skip.
    return Array.from(results, (result, at) => result ?? new ApiError(conflict(refs[at]?.kind ?? 'Lease', refs[at]?.name ?? '')));
  }

  /** One request of `applyEach` decided on the object as read (from the cache unless `fromRedis`): its change, or its answer when it writes nothing. */
  private async decideOne(
    classroom: string,
    request: AdmissionRequest,
    simTime: SimTime,
    fromRedis: boolean,
  ): Promise<{ answer: Persisted<KubeObject> | ApiError } | { target: Target; change: Change }> {
    const ref = refOf(request);
    let hint: ReadHint = fromRedis ? {} : request.verb === 'create' ? { absent: true } : { cached: true, rv: request.resourceVersion };
    for (;;) {
      const { object: current, fresh } = await this.read(classroom, ref, hint);
      const admission = admit(current, request, simTime);
      if (!admission.ok) return { answer: new ApiError(admission.error) };
      if (!admission.changed && current) {
        // "Nothing to write" is an answer only about the stored object: a cached copy may be behind it.
        if (fresh) return { answer: current };
        hint = {};
        continue;
      }
      const object = admission.type === 'ADDED' ? withUid(admission.object, randomUUID()) : admission.object;
      return { target: { kind: ref.kind, field: fieldOf(ref), readAt: current?.metadata.resourceVersion }, change: { type: admission.type, object } };
    }
  }

  create<T extends KubeObject>(classroom: string, object: T, context: WriteContext): Promise<Persisted<T>>;
  create(classroom: string, object: unknown, context: WriteContext): Promise<Persisted<KubeObject>>;
  async create(classroom: string, input: unknown, context: WriteContext): Promise<Persisted<KubeObject>> {
    const object = validateCreate(input);
    if (object.metadata.resourceVersion !== undefined) throw new ApiError(badRequest('resourceVersion should not be set on objects to be created'));
    return this.admitAndCommit(classroom, { verb: 'create', ...targetOf(object), object }, context);
  }

  /**
   * Replaces the object. With `metadata.resourceVersion` it succeeds only if that is still the
   * stored version (409 Conflict otherwise); without, it applies to the latest version.
   * For kinds with a status subresource the stored status is kept: use updateStatus for it.
   */
  update<T extends KubeObject>(classroom: string, object: T, context: WriteContext): Promise<Persisted<T>>;
  update(classroom: string, object: unknown, context: WriteContext): Promise<Persisted<KubeObject>>;
  async update(classroom: string, input: unknown, context: WriteContext): Promise<Persisted<KubeObject>> {
    const object = validate(input);
    return this.admitAndCommit(classroom, { verb: 'update', ...targetOf(object), object, resourceVersion: object.metadata.resourceVersion }, context);
  }

  /** Writes only `.status` (the status subresource), with the same resourceVersion rule as update. */
  updateStatus<T extends KubeObject>(classroom: string, object: T, context: WriteContext): Promise<Persisted<T>>;
  updateStatus(classroom: string, object: unknown, context: WriteContext): Promise<Persisted<KubeObject>>;
  async updateStatus(classroom: string, input: unknown, context: WriteContext): Promise<Persisted<KubeObject>> {
    const object = validate(input);
    return this.admitAndCommit(classroom, { verb: 'updateStatus', ...targetOf(object), object, resourceVersion: object.metadata.resourceVersion }, context);
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
    const verb = options.subresource === 'status' ? 'updateStatus' : 'update';
    const written = await this.transact(classroom, ref, context, { cached: true, rv }, (current) => {
      if (!current) return { ok: false, error: notFound(ref.kind, ref.name) };
      const patched = validate(applyMergePatch(current, patch));
      if (patched.kind !== ref.kind || objectKey(patched) !== fieldOf(ref)) {
        throw new ApiError(badRequest('a patch cannot change the kind, name or namespace of an object'));
      }
      return admit(current, { verb, ...targetOf(patched), object: patched, resourceVersion: rv }, context.simTime);
    });
    return written as Persisted<ObjectOfKind<K>>;
  }

  /**
   * Removes the object at once (DELETED, as a delete with gracePeriodSeconds 0, finalizers not
   * waited for) and returns its last state; `apply` of a delete request is the graceful deletion (see the file comment).
   */
  async delete<K extends Kind>(
    classroom: string,
    ref: ObjectRef<K>,
    context: WriteContext,
    options: DeleteOptions = {},
  ): Promise<Persisted<ObjectOfKind<K>>> {
    const { uid, resourceVersion } = options.preconditions ?? {};
    const req: AdmissionRequest = { verb: 'delete', kind: ref.kind, name: ref.name, namespace: ref.namespace, gracePeriodSeconds: 0, resourceVersion, uid, ignoreFinalizers: true };
    return (await this.admitAndCommit(classroom, req, context)) as Persisted<ObjectOfKind<K>>;
  }

  // ---- the API request log ----

  /** To the capped live request log (the class's panel) and to the session record (replay). */
  appendRequestLog(classroom: string, entry: ApiRequestEntry): Promise<void> {
    return appendRequestLog(this.redis, this.keys(classroom), entry, { requests: this.requestLogRetention, record: Number(this.logRetention) });
  }

  /** One entry of the session record (see record.ts), placed after the classroom's current resourceVersion. */
  async appendRecord(classroom: string, entry: NewRecordEntry): Promise<void> {
    await appendRecordEntry(this.redis, this.keys(classroom), entry, Number(this.logRetention));
  }

  /**
   * A round marker on the replay timeline, for the rounds code: round boundaries (`roundStart`,
   * `roundEnd`), `step`s and `goal`s reached, with who marked it and when on the simulated clock.
   *   await store.appendMarker(classroomId, { kind: 'goal', label: 'web: 3/3 Ready' }, { actor: 'system:rounds', simTime });
   */
  appendMarker(classroom: string, marker: RoundMarker, context: WriteContext): Promise<void> {
    return this.appendRecord(classroom, markerEntry(marker, context));
  }

  /** The last `count` requests, oldest first. */
  readRequestLog(classroom: string, count: number): Promise<ApiRequestEntry[]> {
    return readRequestLog(this.redis, this.keys(classroom).requests, count);
  }

  /** Throws GuardMoved unless the guard holds now: one GET, for a guarded move that commits nothing. */
  async checkGuard(guard: Guard): Promise<void> {
    if (((await this.redis.get(guard.key)) ?? '0') !== guard.value) throw new GuardMoved(guard);
  }

  /** Stops the watch's subscriber; the Redis client belongs to the caller. */
  close(): Promise<void> {
    return this.hub.close();
  }

  // ---- internals ----

  /** The scripts' last arguments (see scripts.ts), and the fields of the log entry they write but its type and object. */
  private entryArgs(classroom: string, context: WriteContext): { args: string[]; fields: Record<string, string> } {
    const { actor } = context;
    const simTime = String(context.simTime);
    const wallTime = String(Date.now());
    const args = [actor, simTime, wallTime, this.logRetention, this.keys(classroom).logNotify, this.noticeMaxBytes];
    // Built by the API server, typed: no parse on every move.
    const entry = context.request?.entry;
    if (!entry) return { args: [...args, '', '', String(this.requestLogRetention)], fields: { actor, simTime, wallTime } };
    const request = JSON.stringify(entry);
    return { args: [...args, request, requestRecordJson(entry, request), String(this.requestLogRetention)], fields: { actor, simTime, wallTime, request } };
  }

  /**
   * Priority admission needs every PriorityClass, which the write script does not see: they are read
   * here (one HGETALL, only for pod creates and class writes), or taken from the caller's informer
   * for a pod create (WriteContext.priorityClasses), so every writer — kube-api, the game's API
   * server, the controller manager's ReplicaSet pods — is admitted alike.
   */
  private async withPriority(classroom: string, request: AdmissionRequest, known?: readonly PriorityClass[]): Promise<AdmissionRequest> {
    if (request.verb !== 'create' && request.verb !== 'update') return request;
    const { object } = request;
    if (object.kind !== 'PriorityClass' && !(object.kind === 'Pod' && request.verb === 'create')) return request;
    // Only one class may be the default: a class write checks the classes stored, never a copy.
    const stored =
      known && object.kind === 'Pod'
        ? known
        : Object.values(await this.redis.hGetAll(this.keys(classroom).objects('PriorityClass'))).map((json) => decodeObject(json) as PriorityClass);
    if (object.kind === 'PriorityClass') {
      const refused = admitPriorityClass(object, stored, request.verb);
      if (refused) throw new ApiError(refused);
      return request;
    }
    if (object.kind !== 'Pod') return request;
    const decided = admitPodPriority(object, withSystemPriorityClasses(stored));
    if (!decided.ok) throw new ApiError(decided.error);
    return { ...request, object: decided.pod };
  }

  private async admitAndCommit(classroom: string, admissionRequest: AdmissionRequest, context: WriteContext): Promise<Persisted<KubeObject>> {
    const namespace = admissionRequest.namespace ?? ('object' in admissionRequest ? admissionRequest.object.metadata.namespace : undefined);
    // NamespaceLifecycle is the first admission plugin: before priority admission and a ClusterIP (admit checks it again, for every writer).
    const missing = admissionRequest.verb === 'create' ? namespaceLifecycle(admissionRequest.kind, namespace) : undefined;
    if (missing) throw new ApiError(missing);
    const request = await this.withPriority(classroom, admissionRequest, context.priorityClasses);
    const ref: ObjectRef = { kind: request.kind, name: request.name, namespace };
    // A new Service's ClusterIP is reserved first, and given back if the create does not commit. A dry run
    // takes none: a real create racing it for the same address must get it, as in 1.32.
    const ipKey = this.keys(classroom).clusterIPs;
    const creating = request.verb === 'create' && request.object.kind === 'Service' ? request.object : undefined;
    const reserved = creating && !context.dryRun ? await reserveClusterIP(this.redis, ipKey, fieldOf(ref), creating) : undefined;
    const service = reserved ?? (creating && dryRunClusterIPOf(creating));
    const req: AdmissionRequest = service && request.verb === 'create' ? { ...request, object: service } : request;
    // A create needs no read first: the script refuses if the object exists, and the retry reads it.
    const hint: ReadHint = req.verb === 'create' ? { absent: true } : { cached: true, rv: req.resourceVersion };
    try {
      const written = await this.transact(classroom, ref, context, hint, (current) => admit(current, req, context.simTime));
      if (context.dryRun) return written;
      // Gone (a delete, or an update that removed the last finalizer): its address is free again.
      if (written.kind === 'Service' && req.verb !== 'create' && !(await this.redis.hExists(this.keys(classroom).objects('Service'), fieldOf(ref)))) {
        await releaseClusterIP(this.redis, ipKey, fieldOf(ref), written);
      }
      return written;
    } catch (error) {
      if (reserved) await releaseClusterIP(this.redis, ipKey, fieldOf(ref), reserved);
      throw error;
    }
  }

  /**
   * Read, decide, compare-and-swap. The first read may come from the cache (one round trip in all);
   * when another write came in between, the script refuses and the object is read again and the
   * request decided again, as etcd3's GuaranteedUpdate does: a request with a resourceVersion
   * precondition then gets its Conflict, one without applies to the latest version.
   */
  private async transact(
    classroom: string,
    ref: ObjectRef,
    context: WriteContext,
    hint: ReadHint,
    decide: (current: Persisted<KubeObject> | undefined) => Admission,
  ): Promise<Persisted<KubeObject>> {
    const field = fieldOf(ref);
    for (let attempt = 0; attempt <= MAX_RETRIES; attempt++) {
      // A dry run has no compare-and-swap to catch a stale copy: it reads the stored object.
      const { object: current, fresh } = await this.read(classroom, ref, attempt === 0 && !context.dryRun ? hint : {});
      const admission = decide(current);
      if (!admission.ok) throw new ApiError(admission.error);
      if (context.dryRun) return dryRunAnswer(admission, current);
      if (!admission.changed && current) {
        // "Nothing to write" is an answer only about the stored object: a cached copy may be behind it.
        if (!fresh) continue;
        // A guarded write answers only while its guard holds, whether it commits or not.
        if (context.guard) await this.checkGuard(context.guard);
        return current;
      }
      const object = admission.type === 'ADDED' ? withUid(admission.object, randomUUID()) : admission.object;
      const target = { kind: ref.kind, field, readAt: current?.metadata.resourceVersion };
      const entry = this.entryArgs(classroom, context);
      // Until its answer is made, what the hub hears is kept for it (see WatchHub.commitStarted).
      const ended = this.hub.commitStarted(classroom);
      try {
        const generation = this.cache.generation;
        const done = await commit(this.redis, this.keys(classroom), target, { type: admission.type, object }, entry.args, context.guard);
        if (!done) continue;
        if (context.request) context.request.committedAt = String(done.rv);
        // This process's watchers need not wait for the log read to bring back what it just wrote.
        const written = this.publish(classroom, done.rv, { type: admission.type, object: done.json, ...entry.fields });
        await this.replicaWait.after(this.keys(classroom).log);
        return this.committed(classroom, ref.kind, field, admission.type, done.rv, written, generation);
      } finally {
        ended();
      }
    }
    throw new ApiError(conflict(ref.kind, ref.name));
  }

  /** The stored object (undefined: absent); from the cache when the hint allows, as the scripts check versions anyway. */
  private async read(classroom: string, ref: ObjectRef, hint: ReadHint): Promise<{ object: Persisted<KubeObject> | undefined; fresh: boolean }> {
    if (hint.absent) return { object: undefined, fresh: false };
    const field = fieldOf(ref);
    const known = hint.cached ? this.cache.get(classroom, ref.kind, field) : undefined;
    if (known && (hint.rv === undefined || String(known.rv) === hint.rv)) return { object: known.object, fresh: false };
    const json = await this.redis.hGet(this.keys(classroom).objects(ref.kind), field);
    if (json === null || json === undefined) return { object: undefined, fresh: true };
    const object = decodeObject(json);
    this.cache.remember(classroom, ref.kind, field, Number(object.metadata.resourceVersion), object);
    return { object, fresh: true };
  }

  /**
   * Entry `rv` this process committed, to this process's watchers (see WatchHub.committed);
   * resolves to its object, which the writer is answered with: the watchers hold it too, so it is
   * read-only. Decoded once in this process (by the hub, when the notification came first), with
   * decodeObject: a stored object's envelope (uid, resourceVersion) checked, and a DELETED one
   * carrying the deletion's version, as its watch event does.
   */
  private publish(classroom: string, rv: number, fields: Record<string, string>): Persisted<KubeObject> {
    return this.hub.committed(classroom, rv, fields).object as Persisted<KubeObject>;
  }

  /** `object`: the committed object as `publish` answered it; `generation`: the cache's, read before the commit was sent. */
  private committed(classroom: string, kind: Kind, field: string, type: WatchEventType, rv: number, object: Persisted<KubeObject>, generation: number): Persisted<KubeObject> {
    if (type === 'DELETED') this.cache.forget(classroom, kind, field, rv);
    else this.cache.remember(classroom, kind, field, rv, object, generation);
    return object;
  }

  private observe(classroom: string, event: WatchEvent): void {
    const field = objectKey(event.object);
    const rv = Number(event.resourceVersion);
    if (event.type === 'DELETED') this.cache.forget(classroom, event.object.kind, field, rv);
    else this.cache.remember(classroom, event.object.kind, field, rv, event.object as Persisted<KubeObject>);
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
