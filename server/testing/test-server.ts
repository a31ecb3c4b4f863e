import pino from 'pino';
import { inject } from 'vitest';
import { startServer, type RunningServer } from '../app';
import { loadConfig } from '../config';

export const silentLogger = pino({ level: 'silent' });

/** The real server on a free port against the test run's Redis. */
export async function startTestServer(env: Record<string, string> = {}): Promise<RunningServer> {
  const config = loadConfig({
    NODE_ENV: 'test',
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    REDIS_URL: inject('redisUrl'),
    REDIS_KEY_PREFIX: inject('redisKeyPrefix'),
    CLIENT_DIR: 'dist/client',
    ...env,
  });
  return startServer(config, silentLogger);
}
