/**
 * core/v1 namespaces, read-only: the four a 1.32 cluster starts with, every one Active. The game's
 * objects live in them (default, kube-system's leader Leases, kube-node-lease's heartbeats) and a
 * classroom's cluster has no others, so they are not stored: each is made on read, born with the
 * classroom (nodes come and go; a namespace's AGE does not move with them). Creating or deleting one is refused by the authorizer, for everyone.
 */
import { createHash } from 'node:crypto';
import type { Request, Response } from 'express';
import { NAMESPACE_NAMES, badRequest, namespaceNotFound, toRFC3339, type KubeObject, type SimTime, type StatusError } from '@shared/model';
import type { Identity } from '@shared/protocol';
import { simTimeAtCreation } from '../classroom/run-state';
import { ApiError } from '../store';
import { denial, userOf, type Verb } from './authorize';
import { isTrue, queryParam } from './request';
import { NAMESPACES } from './resources';
import type { KubeApiDeps } from './routes';
import { parseFieldSelector, parseLabelSelector } from './selectors';
import { servedClockOf } from './served-time';
import { methodNotAllowed, sendStatus } from './status';
import { TABLE_MEDIA, namespaceTable, wantsTable } from './tables';

export interface Namespace {
  apiVersion: 'v1';
  kind: 'Namespace';
  metadata: { name: string; uid: string; resourceVersion: string; creationTimestamp: string; labels: Record<string, string> };
  spec: { finalizers: string[] };
  status: { phase: 'Active' };
}

/** A uid that stays the same for the classroom's namespace across reads (a UUID's shape, from a hash). */
function uidOf(classroomId: string, name: string): string {
  const hex = createHash('sha256').update(`${classroomId}/namespaces/${name}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** The classroom's namespaces, by name, created with it: `born` is its simulated time at creation. */
export function namespacesOf(classroomId: string, born: SimTime): Namespace[] {
  const creationTimestamp = toRFC3339(born);
  return NAMESPACE_NAMES.map((name) => ({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, uid: uidOf(classroomId, name), resourceVersion: '1', creationTimestamp, labels: { 'kubernetes.io/metadata.name': name } },
    spec: { finalizers: ['kubernetes'] },
    status: { phase: 'Active' },
  }));
}

/** Why this member may not write a namespace: their role's reason, or (the instructor) that the four are the cluster's. */
function reasonOf(identity: Identity, verb: Verb): string {
  if (identity.kind === 'instructor') return `a classroom's cluster has the namespaces ${NAMESPACE_NAMES.join(', ')} only`;
  return denial(identity, { verb, resource: NAMESPACES }) ?? '';
}

/**
 * The authorizer's refusal of a namespace write (k8s.io/apiserver responsewriters.forbiddenMessage, then the reason).
 * A path that names a namespace is a request in it (request/requestinfo.go takes `/namespaces/<name>` as its
 * namespace), so only the collection (create, deletecollection) is refused "at the cluster scope".
 */
export function namespaceForbidden(identity: Identity, verb: Verb, name: string | undefined, subresource?: NamespaceSubresource): StatusError {
  const subject = name ? `namespaces ${JSON.stringify(name)}` : 'namespaces';
  const scope = name ? `in the namespace ${JSON.stringify(name)}` : 'at the cluster scope';
  const resource = subresource ? `namespaces/${subresource}` : 'namespaces';
  const message = `${subject} is forbidden: User ${JSON.stringify(userOf(identity))} cannot ${verb} resource ${JSON.stringify(resource)} in API group "" ${scope}: ${reasonOf(identity, verb)}`;
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: 'Forbidden', details: { name: name ?? '', kind: 'namespaces' }, code: 403 };
}

const WRITE_VERB: Record<string, Verb> = { POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };

/** A namespace's subresources, as a 1.32 cluster serves them: status (get, patch, update) and finalize (update only). */
export type NamespaceSubresource = 'status' | 'finalize';

/**
 * `/api/v1/namespaces`, `/api/v1/namespaces/<name>` and its status and finalize: reads answered, writes
 * refused (and logged, as every kubectl write is). A namespace's status is read as the namespace
 * (StatusREST.Get of pkg/registry/core/namespace/storage); finalize has no get, so a GET of it is 405.
 */
export async function serveNamespaces(deps: KubeApiDeps, req: Request, res: Response, identity: Identity, subresource?: NamespaceSubresource): Promise<void> {
  const name = (req.params as Record<string, string | undefined>)['name'];
  const query = req.query as Record<string, unknown>;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    const verb = WRITE_VERB[req.method] ?? 'update';
    const refusal = namespaceForbidden(identity, name === undefined && verb === 'delete' ? 'deletecollection' : verb, name, subresource);
    if (identity.kind === 'display') return sendStatus(res, refusal);
    const target = name === undefined ? 'namespaces' : `namespaces/${name}${subresource ? `/${subresource}` : ''}`;
    return deps.cluster.api.kube(identity, verb, target, () => Promise.reject(new ApiError(refusal))).then(
      () => undefined,
      (error: unknown) => sendStatus(res, error instanceof ApiError ? error.status : refusal),
    );
  }
  if (subresource === 'finalize') return sendStatus(res, methodNotAllowed('the server does not allow this method on the requested resource'));
  const [state, clock, record] = await Promise.all([deps.cluster.runtime.state(identity.classroomId), servedClockOf(deps, identity.classroomId), deps.classrooms.read(identity.classroomId)]);
  // The token was just authenticated against it.
  if (!record) throw new Error(`classroom ${identity.classroomId} is gone`);
  const match = parseLabelSelector(queryParam(query, 'labelSelector'));
  const fields = parseFieldSelector(queryParam(query, 'fieldSelector'), NAMESPACES.kind);
  const all = clock.serve(namespacesOf(identity.classroomId, simTimeAtCreation(record.createdAt)));
  const table = wantsTable(req.headers.accept);
  const includeObject = queryParam(query, 'includeObject');
  if (name !== undefined) {
    const namespace = all.find((n) => n.metadata.name === name);
    if (!namespace) return sendStatus(res, namespaceNotFound(name));
    if (table) return sendTable(res, namespaceTable([namespace], clock.now, namespace.metadata.resourceVersion, { includeObject }));
    return void res.json(namespace);
  }
  const items = all.filter((n) => match(n as unknown as KubeObject) && fields(n as unknown as KubeObject));
  if (isTrue(queryParam(query, 'watch'))) return watchNamespaces(deps, req, res, items, table ? clock.now : undefined);
  if (table) return sendTable(res, namespaceTable(items, clock.now, state.resourceVersion, { includeObject }));
  res.json({ kind: 'NamespaceList', apiVersion: 'v1', metadata: { resourceVersion: state.resourceVersion }, items });
}

function sendTable(res: Response, table: object): void {
  res.setHeader('Content-Type', TABLE_MEDIA);
  res.send(JSON.stringify(table));
}

/** The namespaces never change: a watch sends them once (unless the client listed them already) and stays open until it times out. */
function watchNamespaces(deps: KubeApiDeps, req: Request, res: Response, items: readonly Namespace[], tableNow: number | undefined): void {
  const query = req.query as Record<string, unknown>;
  const fromRv = queryParam(query, 'resourceVersion') ?? '';
  const timeoutSeconds = Number(queryParam(query, 'timeoutSeconds') ?? 1800);
  if (!Number.isFinite(timeoutSeconds)) throw new ApiError(badRequest(`invalid timeoutSeconds: ${String(query['timeoutSeconds'])}`));
  res.status(200);
  res.setHeader('Content-Type', tableNow === undefined ? 'application/json' : TABLE_MEDIA);
  res.setHeader('Cache-Control', 'no-cache, private');
  res.flushHeaders();
  if (fromRv === '' || fromRv === '0') {
    items.forEach((n, i) => {
      const object = tableNow === undefined ? n : namespaceTable([n], tableNow, n.metadata.resourceVersion, { includeObject: queryParam(query, 'includeObject'), noHeaders: i > 0 });
      res.write(`${JSON.stringify({ type: 'ADDED', object })}\n`);
    });
  }
  const timer = setTimeout(close, Math.max(1, Math.min(timeoutSeconds, 1800)) * 1000);
  function close(): void {
    clearTimeout(timer);
    deps.stopping.removeEventListener('abort', close);
    if (!res.writableEnded) res.end();
  }
  req.on('close', close);
  deps.stopping.addEventListener('abort', close, { once: true });
}
