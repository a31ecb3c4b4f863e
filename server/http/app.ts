import { existsSync } from 'node:fs';
import path from 'node:path';
import cors from 'cors';
import express, { type ErrorRequestHandler, type Express, type Request, type RequestHandler, type Response } from 'express';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';
import { httpStatusOf, type ErrorBody } from '@shared/protocol';
import type { ClassroomChanges } from '../classroom/changes';
import type { JoinLimiter } from '../classroom/join-limiter';
import { RefusalError } from '../classroom/refusal-error';
import type { ClassroomRepository } from '../classroom/repository';
import type { Cluster } from '../cluster/start-cluster';
import { kubeconfigRoutes } from '../kube-api/kubeconfig';
import { K8S_PREFIX, redactRequest } from '../kube-api/redact';
import { kubeApiRoutes } from '../kube-api/routes';
import type { MemberRateLimiter } from '../classroom/member-rate';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import { redisReachable, type RedisClient } from '../redis/connect';
import { classroomRoutes } from './classroom-routes';
import { clientRoutes } from './client-assets';
import { displayRoutes } from './display-routes';
import { groupRoutes } from './group-routes';
import { roundRoutes, scenarioUploadRoutes, type RoundRoutesDeps } from './round-routes';
import { replayRoutes, type ReplayRoutesDeps } from './replay-routes';

/** REST bodies are small (a code and a name); anything bigger is refused before parsing. */
export const JSON_BODY_LIMIT = '16kb';
/**
 * How long a request body may take to arrive. 16 KiB takes a few seconds on the slowest phone
 * network; a body that never finishes would otherwise hold its connection for Node's 300 s.
 */
export const BODY_TIMEOUT_MS = 10_000;

export interface HttpAppDeps {
  logger: Logger;
  redis: RedisClient;
  /** The built client; not served when it does not exist (dev mode uses Vite instead). */
  clientDir: string;
  classrooms: ClassroomRepository;
  /** Every process's classroom changes (an open watch follows its student into a group). */
  changes: ClassroomChanges;
  joinLimiter: JoinLimiter;
  /** The cluster the Kubernetes API (kubectl) reads and writes through its API server. */
  cluster: Cluster;
  /** Each member's request budget, shared by their sockets and their Kubernetes API requests. */
  memberRate: MemberRateLimiter;
  /** Aborted when the server shuts down: open Kubernetes watches end, so the HTTP server can close. */
  stopping: AbortSignal;
  /** Comma-separated origins allowed to call the API from another site; unset means same origin only. */
  corsOrigin?: string;
  /** Express's `trust proxy`: whose X-Forwarded-For gives a client's address (TRUST_PROXY). */
  trustProxy?: boolean | number | string;
  /** This process's metrics, served at /metrics. */
  metrics?: Metrics;
  /** Where students open the join link (PUBLIC_URL or the LAN address); null when unknown. */
  joinBaseUrl: () => string | null;
  /** Scenarios and rounds over REST. */
  rounds?: Omit<RoundRoutesDeps, 'classrooms'>;
  /** Session export, import and replay (NDJSON bodies: mounted before the JSON-only body rules). */
  replay?: ReplayRoutesDeps;
}

function sendError(res: Response, status: number, body: ErrorBody): void {
  res.status(status).json(body);
}

const charsetMessage = (charset: string): string => `the request body's charset "${charset}" is not supported: send JSON in UTF-8`;

/**
 * An empty body is not JSON, though the parser would take it for `{}`: refused, so that a body the
 * client did not mean to be empty (a wrong Content-Encoding that inflates to nothing) creates nothing.
 */
const EMPTY_BODY = 'entity.empty';
function refuseEmptyBody(_req: unknown, _res: unknown, body: Buffer): void {
  if (body.length === 0) throw Object.assign(new Error('the request body is empty'), { status: 400, type: EMPTY_BODY });
}

/** What body-parser (through http-errors) throws: a client's mistake when `expose` is set and the status is 4xx. */
interface BodyParserError {
  status: number;
  expose: boolean;
  type?: string;
  charset?: string;
}

function isBodyParserError(error: unknown): error is BodyParserError {
  if (typeof error !== 'object' || error === null || !('status' in error) || !('expose' in error)) return false;
  return typeof error.status === 'number' && error.status >= 400 && error.status < 500 && error.expose === true;
}

/** The body parser's refusals, in the API's words; the status passes through. */
function bodyParserRefusal(error: BodyParserError, req: Request): ErrorBody {
  const encoding = String(req.headers['content-encoding'] ?? 'identity').toLowerCase();
  switch (error.type) {
    case 'entity.too.large':
      return { code: 'PayloadTooLarge', message: `the request body is larger than ${JSON_BODY_LIMIT}` };
    case 'entity.parse.failed':
      return { code: 'BadRequest', message: 'the request body is not valid JSON' };
    case 'charset.unsupported':
      return { code: 'UnsupportedMediaType', message: charsetMessage(error.charset ?? '') };
    case EMPTY_BODY:
      return { code: 'BadRequest', message: 'the request body is empty: send a JSON object ({} for the defaults)' };
    case 'encoding.unsupported':
      return { code: 'UnsupportedMediaType', message: `Content-Encoding "${encoding}" is not supported: send the body as it is, or gzip, deflate or br` };
    case 'request.size.invalid':
      return { code: 'BadRequest', message: 'the request body is not as long as its Content-Length says' };
    case 'request.aborted':
      return { code: 'BadRequest', message: 'the request was aborted before its body arrived' };
  }
  if (encoding !== 'identity') return { code: 'BadRequest', message: `the request body is not valid ${encoding} data (Content-Encoding: ${encoding})` };
  return { code: error.status === 413 ? 'PayloadTooLarge' : error.status === 415 ? 'UnsupportedMediaType' : 'BadRequest', message: 'the request body cannot be read' };
}

/**
 * Every API error leaves as `{ code, message }` with the status Kubernetes would use. Client
 * mistakes (refusals, the body parser's 4xx) are answered quietly; anything else is a bug: 500 and a log line.
 */
const apiErrors =
  (logger: Logger): ErrorRequestHandler =>
  (error: unknown, req, res, next) => {
    if (res.headersSent) {
      // Answered already (a body that timed out): the client's mistake needs no second answer.
      if (isBodyParserError(error)) return;
      return next(error);
    }
    if (error instanceof RefusalError) return sendError(res, httpStatusOf[error.code], { code: error.code, message: error.message });
    if (isBodyParserError(error)) return sendError(res, error.status, bodyParserRefusal(error, req));
    logger.error({ err: error }, 'request failed');
    sendError(res, 500, { code: 'InternalError', message: 'the server failed to handle this request' });
  };

/** A request body that does not arrive in time is answered 408 and its connection closed. */
const bodyTimeout =
  (timeoutMs: number): RequestHandler =>
  (req, res, next) => {
    if (req.readableEnded) return next();
    const timer = setTimeout(() => {
      if (res.headersSent) return;
      res.setHeader('Connection', 'close');
      sendError(res, 408, { code: 'BadRequest', message: `the request body did not arrive within ${timeoutMs / 1000} s; send the whole body at once` });
      res.once('finish', () => req.socket.destroy());
    }, timeoutMs);
    const done = () => clearTimeout(timer);
    req.once('end', done);
    req.once('close', done);
    res.once('finish', done);
    next();
  };

/**
 * The API takes JSON only. Besides telling a client what to send, this keeps other web sites out:
 * a plain HTML form (or a no-cors fetch) can post text/plain, urlencoded or multipart bodies, or none,
 * without the browser asking this server first; only a JSON body needs a CORS preflight.
 */
const jsonBodiesOnly: RequestHandler = (req, _res, next) => {
  if (req.method !== 'POST' && req.method !== 'PUT' && req.method !== 'PATCH') return next();
  if (req.is('application/json')) {
    // JSON is UTF-8 (RFC 8259): other charsets (the parser would take utf-16) decode into something else.
    const charset = /;\s*charset\s*=\s*"?([^";\s]*)/i.exec(req.headers['content-type'] ?? '')?.[1]?.toLowerCase();
    if (charset === undefined || charset === 'utf-8' || charset === 'utf8') return next();
    throw new RefusalError('UnsupportedMediaType', charsetMessage(charset));
  }
  const type = req.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
  const path = req.originalUrl.split('?')[0] ?? '';
  throw new RefusalError('UnsupportedMediaType', `${req.method} ${path} takes a JSON body (Content-Type: application/json)${type ? `, not ${type}` : ''}`);
};

export function createHttpApp({ logger, memberRate, redis, clientDir, classrooms, changes, joinLimiter, cluster, stopping, corsOrigin, trustProxy, joinBaseUrl, rounds, replay, metrics }: HttpAppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  // req.ip, which the join limit counts by, is then the client's address as the trusted proxies forwarded it.
  if (trustProxy !== undefined) app.set('trust proxy', trustProxy);
  app.use(pinoHttp({ logger, serializers: { req: redactRequest }, autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/readyz' || req.url === '/metrics' } }));
  // No upgrade-insecure-requests: a classroom often serves plain HTTP on its LAN (http://10.0.0.5:3000).
  app.use(helmet({ contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } } }));
  if (corsOrigin) app.use('/api', cors({ origin: corsOrigin.split(',') }));
  // Uploaded logs are NDJSON of any length: answered before the body rules below.
  if (replay) app.use(replayRoutes(replay));
  // Scenario uploads are YAML: answered before the JSON-only body rule.
  if (rounds) app.use(bodyTimeout(BODY_TIMEOUT_MS), scenarioUploadRoutes({ classrooms, ...rounds }));
  app.use('/api', bodyTimeout(BODY_TIMEOUT_MS), jsonBodiesOnly, express.json({ limit: JSON_BODY_LIMIT, verify: refuseEmptyBody }));
  app.use(classroomRoutes({ classrooms, joinLimiter }));
  app.use(displayRoutes({ classrooms, joinBaseUrl }));
  app.use(kubeconfigRoutes(classrooms));
  // kubectl's own API: Status errors of its own, never the SPA's fallback.
  app.use(`${K8S_PREFIX}/:token`, kubeApiRoutes({ classrooms, changes, cluster, logger, stopping, memberRate }));
  if (rounds) app.use(roundRoutes({ classrooms, ...rounds }));
  app.use(groupRoutes({ classrooms, groups: cluster.groups }));

  // Liveness: the process answers. Readiness: it can reach its etcd (Redis).
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  if (metrics) {
    app.get('/metrics', async (_req, res) => {
      const { contentType, body } = await metrics.text();
      res.type(contentType).send(body);
    });
  }
  app.get('/readyz', async (_req, res) => {
    const ok = await redisReachable(redis);
    res.status(ok ? 200 : 503).json({ status: ok ? 'ok' : 'unavailable', redis: ok ? 'reachable' : 'unreachable' });
  });

  if (existsSync(path.join(clientDir, 'index.html'))) app.use(clientRoutes(clientDir));
  app.use('/api', (req, res) => sendError(res, 404, { code: 'NotFound', message: `no API route ${req.method} ${req.originalUrl}` }));
  app.use(apiErrors(logger));
  return app;
}
