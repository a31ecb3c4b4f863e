import type { Logger } from '../logger';
import { isConnectionError } from '../redis/unavailable';

/**
 * Async work started by socket events (presence writes, announcements). Shutdown waits for it, so
 * nothing touches Redis after the server closed it. Grace periods are not timers here: they end on
 * the shared hand-back timers in Redis (server/classroom/process-heartbeat.ts), which outlive this process.
 */
export class BackgroundWork {
  readonly #pending = new Set<Promise<void>>();

  constructor(private readonly logger: Logger) {}

  run(what: string, work: () => Promise<void>): void {
    const promise = work()
      // While Redis is down every such write fails: the outage is logged once, by the connection.
      .catch((error: unknown) => (isConnectionError(error) ? this.logger.debug({ err: error }, `${what} failed: redis unavailable`) : this.logger.error({ err: error }, `${what} failed`)))
      .finally(() => this.#pending.delete(promise));
    this.#pending.add(promise);
  }

  async drain(): Promise<void> {
    while (this.#pending.size) await Promise.allSettled([...this.#pending]);
  }
}
