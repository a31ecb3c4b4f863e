import { listeningMessage, startServer } from './app';
import { loadConfig } from './config';
import { createLogger } from './logger';
import { RedisServerMissingError } from './redis/embedded-redis';
import { RedisTooOldError } from './redis/version';

const config = loadConfig();
const logger = createLogger(config.LOG_LEVEL, config.NODE_ENV === 'development' && process.stdout.isTTY);

try {
  const server = await startServer(config, logger);
  logger.info({ url: server.url, redis: server.redisUrl }, listeningMessage(server));
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 15_000);
    force.unref();
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
} catch (error) {
  if (error instanceof RedisServerMissingError || error instanceof RedisTooOldError) {
    console.error(`ClusterPlay cannot start: ${error.message}`);
  } else {
    logger.fatal({ err: error }, 'ClusterPlay failed to start');
  }
  process.exit(1);
}
