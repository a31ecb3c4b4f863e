import type { Logger } from '../logger';
import { isConnectionError } from '../redis/unavailable';

const LOST_LOCK = /^(Missing lock for job|could not renew lock for job)/;
/** How long after a reconnect a lost lock is put down to the outage. */
const LOST_LOCK_WINDOW_MS = 60_000;

/**
 * One log line when a connection starts failing and one when it works again, not one per retry
 * (BullMQ re-emits every failed reconnect attempt as an error).
 */
export class OutageLog {
  private down = false;
  private backAt = 0;

  constructor(
    private readonly what: string,
    private readonly logger: Logger | undefined,
  ) {}

  error(err: unknown, message: string): void {
    // A job that ran through the outage lost its lock meanwhile: BullMQ hands it out again, and
    // the timer index lets it fire once. Expected right after an outage, so no error.
    if (err instanceof Error && LOST_LOCK.test(err.message) && Date.now() - this.backAt < LOST_LOCK_WINDOW_MS) {
      return void this.logger?.warn({ err: err.message }, `${this.what}: a job's lock lapsed during the redis outage; it runs again`);
    }
    if (!isConnectionError(err)) return void this.logger?.error({ err }, message);
    if (!this.down) this.logger?.warn({ err: err instanceof Error ? err.message : String(err) }, `${this.what}: redis connection lost; waiting for it`);
    this.down = true;
  }

  ready(): void {
    if (this.down) {
      this.logger?.info(`${this.what}: redis connection back`);
      this.backAt = Date.now();
    }
    this.down = false;
  }
}
