/**
 * `?watch=true`: the classroom's changes to one resource as a stream of `{"type","object"}` lines,
 * from the resourceVersion the client names (a list's, usually), then live. A version the log no
 * longer holds gets an ERROR event carrying 410 Expired, as the watch cache answers, and client-go
 * (kubectl, informers) lists again. With `allowWatchBookmarks` a BOOKMARK carries the current
 * version now and then, so a client that hears nothing of its kind still resumes close to now.
 * An object that starts or stops matching the selectors arrives as ADDED or DELETED, as in Kubernetes.
 */
import type { Request, Response } from 'express';
import { expired, objectKey, type KubeObject } from '@shared/model';
import type { Identity, WatchEvent } from '@shared/protocol';
import { listObjects } from './reads';
import { isTrue, queryParam, type KubeRequest } from './request';
import type { KubeApiDeps } from './routes';
import { groupVersion } from './resources';
import { parseFieldSelector, parseLabelSelector } from './selectors';
import { servedClock } from './served-time';
import { statusOf } from './status';
import { TABLE_MEDIA, toTable, wantsTable } from './tables';
import { onWatcherMoved } from './watch-moves';

/** How often a bookmark is sent while the stream is quiet (Kubernetes sends one about every minute). */
export const BOOKMARK_EVERY_MS = 5_000;
/** The longest a watch stays open without `timeoutSeconds` (the API server's --min-request-timeout is 1800 s). */
const DEFAULT_TIMEOUT_S = 1800;

type EventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export async function serveWatch(deps: KubeApiDeps, req: Request, res: Response, parsed: KubeRequest, identity: Identity): Promise<void> {
  const { classroomId } = identity;
  const query = req.query as Record<string, unknown>;
  const match = parseLabelSelector(queryParam(query, 'labelSelector'));
  const fields = parseFieldSelector(queryParam(query, 'fieldSelector'), parsed.resource.kind);
  const selected = (o: KubeObject) =>
    o.kind === parsed.resource.kind && (parsed.namespace === undefined || o.metadata.namespace === parsed.namespace) && (parsed.name === undefined || o.metadata.name === parsed.name) && match(o) && fields(o);
  const bookmarks = isTrue(queryParam(query, 'allowWatchBookmarks'));
  const initialEvents = isTrue(queryParam(query, 'sendInitialEvents'));
  const asTable = wantsTable(req.headers.accept);
  const timeoutSeconds = Number(queryParam(query, 'timeoutSeconds') ?? DEFAULT_TIMEOUT_S);
  let fromRv = queryParam(query, 'resourceVersion') ?? '';

  const state = await deps.cluster.runtime.state(classroomId);
  let run = await deps.cluster.runtime.run(classroomId);
  // What the client holds: the objects selected now (it listed them, or gets them as ADDED below).
  const known = new Set(listObjects(state, parsed.resource, parsed.namespace, (o) => selected(o)).map(objectKey));
  // The cache can be past the client's version: an object deleted in between is no longer in it,
  // though the client's list (kubectl delete's wait lists, then watches from the list's version)
  // holds it. Its deletion, replayed from the log, goes out when the deleted object matched, as
  // Kubernetes judges a deletion by the object's last state, unless it was created after the
  // client's version and never sent.
  const cachedRv = BigInt(state.resourceVersion);
  const createdSince = new Set<string>();
  const initial = fromRv === '' || fromRv === '0' || initialEvents ? listObjects(state, parsed.resource, parsed.namespace, selected) : [];
  if (fromRv === '' || fromRv === '0' || initialEvents) fromRv = state.resourceVersion;
  let lastRv = fromRv;
  let headersSent = false;

  const write = (type: EventType, object: object): void => {
    const clock = servedClock(run?.clock, Date.now());
    let body = clock.serve(object);
    if (asTable && (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED')) {
      const o = body as KubeObject;
      body = toTable(parsed.resource.kind, [o], clock.now, o.metadata.resourceVersion ?? lastRv, { includeObject: queryParam(query, 'includeObject'), noHeaders: headersSent });
      headersSent = true;
    }
    res.write(`${JSON.stringify({ type, object: body })}\n`);
  };
  const bookmark = (annotations?: Record<string, string>): void =>
    write('BOOKMARK', { kind: parsed.resource.kind, apiVersion: groupVersion(parsed.resource.group), metadata: { resourceVersion: lastRv, ...(annotations ? { annotations } : {}) } });

  const onEvents = (events: WatchEvent[]): void => {
    // The clock (pause, time scale) as of this batch, for the ages of table rows.
    void deps.cluster.runtime.run(classroomId).then((latest) => (run = latest ?? run), () => undefined);
    for (const event of events) {
      lastRv = event.resourceVersion;
      const object = event.object;
      if (object.kind !== parsed.resource.kind) continue;
      const key = objectKey(object);
      if (event.type === 'ADDED') createdSince.add(key);
      const deletedBeforeCache = event.type === 'DELETED' && BigInt(event.resourceVersion) <= cachedRv && !createdSince.has(key);
      const was = known.has(key) || (deletedBeforeCache && selected(object));
      const is = event.type !== 'DELETED' && selected(object);
      // A deletion's object carries the version of its deletion, as Kubernetes sends it.
      const sent = event.type === 'DELETED' ? ({ ...object, metadata: { ...object.metadata, resourceVersion: event.resourceVersion } } as KubeObject) : object;
      if (is) known.add(key);
      else known.delete(key);
      // Created after the client's version: it cannot know the object, whatever it held before.
      if (is) write(was && event.type !== 'ADDED' ? 'MODIFIED' : 'ADDED', sent);
      else if (was) write('DELETED', sent);
    }
  };

  res.status(200);
  res.setHeader('Content-Type', asTable ? TABLE_MEDIA : 'application/json');
  res.setHeader('Cache-Control', 'no-cache, private');
  res.flushHeaders();
  let stop: (() => void) | null = null;
  const timers: NodeJS.Timeout[] = [];
  const close = (): void => {
    deps.stopping.removeEventListener('abort', close);
    stop?.();
    stop = null;
    for (const timer of timers) clearInterval(timer);
    if (!res.writableEnded) res.end();
  };
  req.on('close', close);
  deps.stopping.addEventListener('abort', close, { once: true });
  // The student placed in a group (or back in the class) meanwhile: this classroom is no longer theirs to watch.
  const unfollow = onWatcherMoved(deps, String(req.params['token']), identity, (end) => {
    if (res.writableEnded) return;
    write('ERROR', end);
    close();
  });
  res.once('close', unfollow);
  try {
    for (const object of initial) write('ADDED', object);
    if (initialEvents && bookmarks) bookmark({ 'k8s.io/initial-events-end': 'true' });
    // The store went back under the watch (a Redis failover lost writes it sent): it ends with 410,
    // as past a compaction, and the client lists again (kubectl's reflector does).
    const wentBack = (): void => {
      if (res.writableEnded) return;
      write('ERROR', expired(lastRv, lastRv));
      close();
    };
    stop = await deps.cluster.runtime.store.watch(classroomId, fromRv, onEvents, wentBack);
    if (res.writableEnded) stop();
  } catch (error) {
    // Too old (410 Expired) and other failures arrive in the stream, as the watch cache sends them.
    write('ERROR', statusOf(error, deps.logger));
    return close();
  }
  if (bookmarks) timers.push(setInterval(() => bookmark(), BOOKMARK_EVERY_MS));
  timers.push(setTimeout(close, Math.max(1, Math.min(timeoutSeconds, DEFAULT_TIMEOUT_S)) * 1000));
}
