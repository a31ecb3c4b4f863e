/**
 * The Kubernetes API of a classroom, for kubectl and client libraries, at `/k8s/<token>/...`.
 *
 * Why the credential is in the path: kubectl 1.32 sends no bearer token to an `http://` server, and
 * a classroom usually runs on plain HTTP on its LAN. Serving HTTPS instead would need a CA created
 * on first start, its certificate trusted by every kubeconfig, and `openssl` (or a TLS stack) in the
 * image; a token in the URL path works over HTTP with kubectl and @kubernetes/client-node alike
 * (both accept a server URL with a path) and needs nothing else. The price: the URL is the secret,
 * so it is redacted from every log line (redact.ts), as a bearer header would be.
 *
 * The member behind the token acts with their own role: reads for all, writes as authorize.ts
 * allows, each write through the ApiServer (the one path every click takes) and its request log.
 */
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import type { Identity } from '@shared/protocol';
import type { ClassroomChanges } from '../classroom/changes';
import type { ClassroomRepository } from '../classroom/repository';
import { RefusalError } from '../classroom/refusal-error';
import type { Cluster } from '../cluster/start-cluster';
import type { Logger } from '../logger';
import { AGGREGATED_V2, aggregatedDiscovery, apiGroupList, apiResourceList, apiVersions, wantsAggregated } from './discovery';
import { listObjects, getObject, listOf } from './reads';
import { isTrue, parseRequest, queryParam, type KubeRequest } from './request';
import { SELF_SUBJECT_ACCESS_REVIEW, SELF_SUBJECT_REVIEW, SELF_SUBJECT_RULES_REVIEW, SERVER_VERSION } from './resources';
import { answerRulesReview, type PodsOnNode } from './rules-review';
import { answerSelfReview } from './self-review';
import { parseFieldSelector, parseLabelSelector } from './selectors';
import { UNAUTHORIZED, bodyRefusal, methodNotAllowed, notFoundPath, sendStatus, statusOf, tooManyRequests } from './status';
import { TABLE_MEDIA, toTable, wantsTable } from './tables';
import { scaleOf } from './scale';
import { servedClockOf } from './served-time';
import { serveWatch } from './watch';
import { BODY_LIMIT_BYTES, bodyOf, serveWrite } from './writes';
import { answerReview } from './access-review';
import type { MemberRateLimiter } from '../classroom/member-rate';
import { openApiRoutes } from './openapi';
import { serveNamespaces } from './namespaces';

export interface KubeApiDeps {
  classrooms: ClassroomRepository;
  /** Every process's classroom changes: a student's watch ends when a split or dissolve moves them. */
  changes: ClassroomChanges;
  cluster: Cluster;
  logger: Logger;
  /** Aborted at shutdown: every open watch ends. */
  stopping: AbortSignal;
  /** Each member's budget, shared with their sockets: a request beyond it is answered 429. */
  memberRate: MemberRateLimiter;
}

export interface KubeLocals {
  identity: Identity;
}

const identityOf = (res: Response): Identity => (res.locals as KubeLocals).identity;

type Handler = (req: Request, res: Response) => Promise<void>;

export function kubeApiRoutes(deps: KubeApiDeps): Router {
  const router = Router({ mergeParams: true });
  const guarded =
    (handler: Handler) =>
    (req: Request, res: Response): void => {
      handler(req, res).catch((error: unknown) => sendStatus(res, statusOf(error, deps.logger)));
    };

  // Authentication: the token in the path names the member (and so the classroom); nothing else is visible.
  router.use(async (req: Request<{ token: string }>, res: Response, next: NextFunction) => {
    try {
      const identity = await deps.classrooms.authenticate(req.params.token);
      if (!identity) return sendStatus(res, UNAUTHORIZED);
      const wait = await deps.memberRate.take(identity);
      if (wait > 0) return sendStatus(res, tooManyRequests(Math.ceil(wait / 1000)));
      (res.locals as KubeLocals).identity = identity;
      await deps.cluster.ensureCluster(identity.classroomId);
      next();
    } catch (error) {
      if (error instanceof RefusalError && error.code === 'Forbidden') {
        return sendStatus(res, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: error.message, reason: 'Forbidden', code: 403 });
      }
      sendStatus(res, statusOf(error, deps.logger));
    }
  });

  router.get('/version', (_req, res) => void res.json(SERVER_VERSION));
  router.get('/api', (req, res) => discovery(req, res, true));
  router.get('/apis', (req, res) => discovery(req, res, false));
  router.get('/api/v1', (_req, res) => void res.json(apiResourceList('')));
  router.get('/apis/:group/v1', (req, res) => {
    const list = apiResourceList(req.params.group);
    if (list) res.json(list);
    else sendStatus(res, notFoundPath(req.path));
  });

  router.use('/openapi', openApiRoutes());

  const resource = (group: (req: Request) => string): Handler => async (req, res) => {
    const segments = (req.params as Record<string, string[] | undefined>)['rest'] ?? [];
    const query = req.query as Record<string, unknown>;
    const watch = isTrue(queryParam(query, 'watch'));
    const parsed = parseRequest(req.method, group(req), segments, watch);
    if (!parsed) return sendStatus(res, notFoundPath(req.path));
    if (parsed.verb === 'get' || parsed.verb === 'list') return serveRead(deps, req, res, parsed);
    if (parsed.verb === 'watch') return serveWatch(deps, req, res, parsed, identityOf(res));
    return serveWrite(deps, req, res, parsed, identityOf(res));
  };
  const body = express.raw({ type: () => true, limit: BODY_LIMIT_BYTES });
  router.post(`/apis/${SELF_SUBJECT_ACCESS_REVIEW.group}/v1/${SELF_SUBJECT_ACCESS_REVIEW.plural}`, body, guarded(async (req, res) => {
    const identity = identityOf(res);
    const state = await deps.cluster.runtime.state(identity.classroomId);
    const review = answerReview(identity, bodyOf(req).value, (r, namespace, name) => state.get(r.kind, r.namespaced ? `${namespace ?? 'default'}/${name}` : name));
    res.status(201).json(review);
  }));
  router.post(`/apis/${SELF_SUBJECT_RULES_REVIEW.group}/v1/${SELF_SUBJECT_RULES_REVIEW.plural}`, body, guarded(async (req, res) => {
    const identity = identityOf(res);
    const state = await deps.cluster.runtime.state(identity.classroomId);
    const podsOn: PodsOnNode = (node, namespace) => [...state.list('Pod')].filter((p) => p.spec.nodeName === node && p.metadata.namespace === namespace).sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
    res.status(201).json(answerRulesReview(identity, bodyOf(req).value, podsOn));
  }));
  router.post(`/apis/${SELF_SUBJECT_REVIEW.group}/v1/${SELF_SUBJECT_REVIEW.plural}`, body, guarded(async (req, res) => {
    res.status(201).json(answerSelfReview(identityOf(res), bodyOf(req).value));
  }));
  // Namespaces are not stored (namespaces.ts); a path below a namespace names its objects, routed below.
  router.all(['/api/v1/namespaces', '/api/v1/namespaces/:name'], body, guarded((req, res) => serveNamespaces(deps, req, res, identityOf(res))));
  for (const sub of ['status', 'finalize'] as const) router.all(`/api/v1/namespaces/:name/${sub}`, body, guarded((req, res) => serveNamespaces(deps, req, res, identityOf(res), sub)));
  router.all('/api/v1/*rest', body, guarded(resource(() => '')));
  router.all('/apis/:group/v1/*rest', body, guarded(resource((req) => String(req.params['group']))));
  router.use((req, res) => sendStatus(res, notFoundPath(req.path)));
  // The body parser's refusals (a body over the cap, one cut short) as Statuses.
  router.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => sendStatus(res, bodyRefusal(error) ?? statusOf(error, deps.logger)));
  return router;
}

function discovery(req: Request, res: Response, legacy: boolean): void {
  if (wantsAggregated(req.headers.accept)) {
    res.setHeader('Content-Type', AGGREGATED_V2);
    res.send(JSON.stringify(aggregatedDiscovery(legacy)));
  } else res.json(legacy ? apiVersions() : apiGroupList());
}

async function serveRead(deps: KubeApiDeps, req: Request, res: Response, parsed: KubeRequest): Promise<void> {
  const { classroomId } = identityOf(res);
  const query = req.query as Record<string, unknown>;
  const [state, clock] = await Promise.all([deps.cluster.runtime.state(classroomId), servedClockOf(deps, classroomId)]);
  const rv = state.resourceVersion;
  const table = wantsTable(req.headers.accept);
  const includeObject = queryParam(query, 'includeObject');
  if (parsed.verb === 'get') {
    if (parsed.subresource === 'binding') return sendStatus(res, methodNotAllowed('the server does not allow this method on the requested resource'));
    const object = clock.serve(getObject(state, parsed.resource, parsed.namespace, parsed.name ?? ''));
    if (parsed.subresource === 'scale') return void res.json(scaleOf(object));
    if (table) return sendTable(res, toTable(parsed.resource.kind, [object], clock.now, object.metadata.resourceVersion ?? rv, { includeObject }));
    return void res.json(object);
  }
  const match = parseLabelSelector(queryParam(query, 'labelSelector'));
  const fields = parseFieldSelector(queryParam(query, 'fieldSelector'), parsed.resource.kind);
  const items = clock.serve(listObjects(state, parsed.resource, parsed.namespace, (o) => match(o) && fields(o)));
  if (table) return sendTable(res, toTable(parsed.resource.kind, items, clock.now, rv, { includeObject }));
  res.json(listOf(parsed.resource, items, rv));
}

function sendTable(res: Response, table: object): void {
  res.setHeader('Content-Type', TABLE_MEDIA);
  res.send(JSON.stringify(table));
}
