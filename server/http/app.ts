import { existsSync } from 'node:fs';
import path from 'node:path';
import cors from 'cors';
import express, { type ErrorRequestHandler, type Express } from 'express';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';
import { httpStatusOf, type ErrorBody } from '@shared/protocol';
import type { JoinLimiter } from '../classroom/join-limiter';
import { RefusalError } from '../classroom/refusal-error';
import type { ClassroomRepository } from '../classroom/repository';
import type { Logger } from '../logger';
import { redisReachable, type RedisClient } from '../redis/connect';
import { classroomRoutes } from './classroom-routes';

/** REST bodies are small (a code and a name); anything bigger is refused before parsing. */
export const JSON_BODY_LIMIT = '16kb';

export interface HttpAppDeps {
  logger: Logger;
  redis: RedisClient;
  /** The built client; not served when it does not exist (dev mode uses Vite instead). */
  clientDir: string;
  classrooms: ClassroomRepository;
  joinLimiter: JoinLimiter;
  /** Comma-separated origins allowed to call the API from another site; unset means same origin only. */
  corsOrigin?: string;
}

function sendError(res: Parameters<ErrorRequestHandler>[2], status: number, body: ErrorBody): void {
  res.status(status).json(body);
}

/** Every API error leaves as `{ code, message }` with the status Kubernetes would use. */
const apiErrors =
  (logger: Logger): ErrorRequestHandler =>
  (error: unknown, _req, res, next) => {
    if (res.headersSent) return next(error);
    if (error instanceof RefusalError) return sendError(res, httpStatusOf[error.code], { code: error.code, message: error.message });
    const type = typeof error === 'object' && error !== null && 'type' in error ? error.type : undefined;
    if (type === 'entity.too.large') return sendError(res, 413, { code: 'PayloadTooLarge', message: `the request body is larger than ${JSON_BODY_LIMIT}` });
    if (type === 'entity.parse.failed') return sendError(res, 400, { code: 'BadRequest', message: 'the request body is not valid JSON' });
    logger.error({ err: error }, 'request failed');
    sendError(res, 500, { code: 'InternalError', message: 'the server failed to handle this request' });
  };

export function createHttpApp({ logger, redis, clientDir, classrooms, joinLimiter, corsOrigin }: HttpAppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(pinoHttp({ logger, autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/readyz' } }));
  // No upgrade-insecure-requests: a classroom often serves plain HTTP on its LAN (http://10.0.0.5:3000).
  app.use(helmet({ contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } } }));
  if (corsOrigin) app.use('/api', cors({ origin: corsOrigin.split(',') }));
  app.use('/api', express.json({ limit: JSON_BODY_LIMIT }));
  app.use(classroomRoutes({ classrooms, joinLimiter }));

  // Liveness: the process answers. Readiness: it can reach its etcd (Redis).
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const ok = await redisReachable(redis);
    res.status(ok ? 200 : 503).json({ status: ok ? 'ok' : 'unavailable', redis: ok ? 'reachable' : 'unreachable' });
  });

  if (existsSync(path.join(clientDir, 'index.html'))) {
    app.use(express.static(clientDir, { index: false, maxAge: '1h' }));
    // Client-side routes (/join/ABC123, /classroom/...) all load the single-page app.
    app.get(/^\/(?!api\/|socket\.io\/).*/, (_req, res) => {
      res.sendFile(path.join(clientDir, 'index.html'), { maxAge: 0 });
    });
  }
  app.use('/api', (req, res) => sendError(res, 404, { code: 'NotFound', message: `no API route ${req.method} ${req.originalUrl}` }));
  app.use(apiErrors(logger));
  return app;
}
