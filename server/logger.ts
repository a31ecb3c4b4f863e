import pino, { type Logger } from 'pino';

export type { Logger };

/** JSON logs in production; pretty lines when a developer watches a terminal. */
export function createLogger(level: string, pretty: boolean): Logger {
  if (pretty) {
    return pino({ level, transport: { target: 'pino-pretty', options: { translateTime: 'HH:MM:ss.l' } } });
  }
  return pino({ level });
}
