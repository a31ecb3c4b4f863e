import type { Logger } from '../logger';

/**
 * Async work started by socket events (presence writes, announcements) and timers (grace
 * periods). Shutdown waits for the work and cancels the timers, so nothing touches Redis after
 * the server closed it.
 */
export class BackgroundWork {
  readonly #pending = new Set<Promise<void>>();
  readonly #timers = new Set<NodeJS.Timeout>();

  constructor(private readonly logger: Logger) {}

  run(what: string, work: () => Promise<void>): void {
    const promise = work()
      .catch((error: unknown) => this.logger.error({ err: error }, `${what} failed`))
      .finally(() => this.#pending.delete(promise));
    this.#pending.add(promise);
  }

  after(ms: number, what: string, work: () => Promise<void>): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      this.run(what, work);
    }, Math.max(0, ms));
    this.#timers.add(timer);
  }

  async drain(): Promise<void> {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    while (this.#pending.size) await Promise.allSettled([...this.#pending]);
  }
}
