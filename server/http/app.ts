import { existsSync } from 'node:fs';
import path from 'node:path';
import express, { type Express } from 'express';
import { pinoHttp } from 'pino-http';
import type { Logger } from '../logger';
import { redisReachable, type RedisClient } from '../redis/connect';

export interface HttpAppDeps {
  logger: Logger;
  redis: RedisClient;
  /** The built client; not served when it does not exist (dev mode uses Vite instead). */
  clientDir: string;
}

export function createHttpApp({ logger, redis, clientDir }: HttpAppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(pinoHttp({ logger, autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/readyz' } }));

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
  return app;
}
