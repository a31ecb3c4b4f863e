/**
 * One timer per connection bounds how long its commands wait for a reply, instead of node-redis'
 * per-command `AbortSignal.timeout`: that one arms a timer per command which fires (building a
 * DOMException) long after the reply came, a few percent of a busy server's CPU. Every command
 * of a connection gets the same bound, so the oldest pending one is due first: one timer, armed
 * for it, suffices.
 */
interface Pending {
  due: number;
  reject: (error: Error) => void;
}

export class Deadlines {
  /** In the order sent, which is the order due. */
  readonly #pending = new Set<Pending>();
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ms: number,
    private readonly overdue: () => Error,
  ) {}

  /** The reply, or the `overdue` error once `ms` have passed without it. */
  bound<T>(reply: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const pending: Pending = { due: Date.now() + this.ms, reject };
      this.#pending.add(pending);
      this.#arm();
      reply.then(
        (value) => {
          this.#pending.delete(pending);
          resolve(value);
        },
        (error: unknown) => {
          this.#pending.delete(pending);
          reject(error);
        },
      );
    });
  }

  #arm(): void {
    if (this.#timer) return;
    const first = this.#pending.values().next();
    if (first.done) return;
    this.#timer = setTimeout(() => this.#expire(), Math.max(0, first.value.due - Date.now()));
    this.#timer.unref(); // a pending command's socket keeps the process alive, not its deadline
  }

  #expire(): void {
    this.#timer = undefined;
    const now = Date.now();
    for (const pending of this.#pending) {
      if (pending.due > now) break;
      this.#pending.delete(pending);
      pending.reject(this.overdue());
    }
    this.#arm();
  }
}
