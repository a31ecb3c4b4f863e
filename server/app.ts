import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from './config';
import { createSocketServer } from './gateway/socket-server';
import { createHttpApp } from './http/app';
import type { Logger } from './logger';
import { connectRedis } from './redis/connect';
import { startEmbeddedRedis, type EmbeddedRedis } from './redis/embedded-redis';

export interface RunningServer {
  url: string;
  port: number;
  redisUrl: string;
  /** Stops accepting work, closes sockets and Redis, and stops the private redis-server if any. */
  close(): Promise<void>;
}

/** The composition root: config -> redis -> gateway -> http. */
export async function startServer(config: Config, logger: Logger): Promise<RunningServer> {
  let embedded: EmbeddedRedis | null = null;
  let redisUrl = config.REDIS_URL;
  if (!redisUrl) {
    embedded = await startEmbeddedRedis({ dataDir: config.redisDataDir });
    redisUrl = embedded.url;
    logger.info({ dataDir: config.redisDataDir, port: embedded.port }, 'started private redis-server');
  }
  try {
    const redis = await connectRedis(redisUrl, logger);
    const app = createHttpApp({ logger, redis, clientDir: config.clientDir });
    const httpServer = createServer(app);
    const io = createSocketServer(httpServer, {
      logger,
      serverId: randomUUID(),
      ...(config.CORS_ORIGIN ? { corsOrigin: config.CORS_ORIGIN } : {}),
    });
    await new Promise<void>((resolve, reject) => {
      httpServer.once('error', reject);
      httpServer.listen(config.PORT, config.HOST, () => resolve());
    });
    const { port } = httpServer.address() as AddressInfo;
    let closing: Promise<void> | null = null;
    return {
      url: `http://localhost:${port}`,
      port,
      redisUrl,
      close() {
        closing ??= (async () => {
          await io.close(); // also closes the HTTP server
          await redis.close().catch(() => redis.destroy());
          await embedded?.stop();
        })();
        return closing;
      },
    };
  } catch (error) {
    await embedded?.stop();
    throw error;
  }
}

export function listeningMessage(server: RunningServer): string {
  return `ClusterPlay is serving ${server.url}`;
}
