import { OVERDUE_EVENT, redisReachable, type RedisClient } from '../redis/connect';

/** While the store is unreachable, how often the process asks again (one check per process, never per socket). */
export const RECHECK_MS = 1000;

/**
 * What the application's client says about its connection: one Redis emits 'error' when it loses
 * it and 'ready' when it has it back; a cluster client emits 'node-error' and 'node-ready' per
 * node; either emits OVERDUE_EVENT when a command went unanswered (a Redis that hangs closes nothing).
 */
const SIGNALS = ['error', 'ready', 'node-error', 'node-ready', OVERDUE_EVENT] as const;
type Listener = () => void;
export interface ConnectionSignals {
  on(event: (typeof SIGNALS)[number], listener: Listener): unknown;
  off(event: (typeof SIGNALS)[number], listener: Listener): unknown;
}

/**
 * Whether this process reaches its store (Redis), by the same check as /readyz, followed at no
 * cost while all is well: a client's connection signal starts a check, and a failed check is
 * repeated every RECHECK_MS until one passes. The signals alone would not do: on a Redis Cluster
 * a master that failed over never reports back (its replica took over its slots), and a node's
 * 'node-ready' may come while a slot is still unserved.
 */
export class StoreReachability {
  reachable = true;
  #checking = false;
  #again = false;
  #closed = false;
  #timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly signals: ConnectionSignals,
    private readonly check: () => Promise<boolean>,
    private readonly onChange: (reachable: boolean) => void,
  ) {
    for (const signal of SIGNALS) signals.on(signal, this.#trigger);
  }

  close(): void {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    for (const signal of SIGNALS) this.signals.off(signal, this.#trigger);
  }

  /** One check at a time; signals that arrive during one ask for another after it. */
  readonly #trigger = (): void => {
    if (this.#closed) return;
    if (this.#checking) {
      this.#again = true;
      return;
    }
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#checking = true;
    void this.check()
      .catch(() => false)
      .then((reachable) => {
        this.#checking = false;
        if (this.#closed) return;
        if (reachable !== this.reachable) {
          this.reachable = reachable;
          this.onChange(reachable);
        }
        if (this.#again) {
          this.#again = false;
          this.#trigger();
        } else if (!reachable) {
          this.#timer = setTimeout(this.#trigger, RECHECK_MS);
        }
      });
  };
}

/** The Socket.IO adapter's own client is connected to the same Redis (or cluster) as the application's. */
export function followStore(client: RedisClient, onChange: (reachable: boolean) => void): StoreReachability {
  return new StoreReachability(client as unknown as ConnectionSignals, () => redisReachable(client), onChange);
}
