export type ToastTone = 'error' | 'info';

export interface Toast {
  id: number;
  tone: ToastTone;
  title: string;
  message: string;
  /** How many times this same toast was shown while on screen: 1, then 2 ("×2"), … */
  count: number;
}

/** At most this many toasts are on screen: a burst of refusals must not bury the page. */
export const MAX_TOASTS = 2;
export const LIFETIME_MS: Readonly<Record<ToastTone, number>> = { error: 10_000, info: 5_000 };

/**
 * Short messages in a strip of their own under the header (see Toasts.svelte): above all the API
 * server's refusals, in its own words. The same toast again (same tone, title and message) is folded
 * into the one on screen with a repeat count and a fresh timer; a third distinct one pushes out the
 * one shown or repeated longest ago. Timers stand still while `paused` (the reader points at or
 * focuses the strip), and start afresh when the pause ends.
 */
export class ToastStack {
  items = $state<Toast[]>([]);
  #next = 1;
  #paused = false;
  #tick = 0;
  /**
   * Per toast on screen: when it was last shown or repeated (a sequence number, not a clock) and its
   * expiry timer. Bookkeeping only, never rendered, so not reactive.
   */
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  #clocks = new Map<number, { touched: number; timer?: ReturnType<typeof setTimeout> }>();

  constructor(
    readonly limit = MAX_TOASTS,
    readonly lifetimeMs: Readonly<Record<ToastTone, number>> = LIFETIME_MS,
  ) {}

  show(tone: ToastTone, title: string, message: string): void {
    const same = this.items.find((t) => t.tone === tone && t.title === title && t.message === message);
    if (same) {
      // Folded in place: the strip does not jump, the count and the timer say it happened again.
      this.items = this.items.map((t) => (t.id === same.id ? { ...t, count: t.count + 1 } : t));
      this.#touch(same.id, tone);
      return;
    }
    const id = this.#next++;
    this.#touch(id, tone);
    let items = [...this.items, { id, tone, title, message, count: 1 }];
    while (items.length > Math.max(1, this.limit)) {
      const stalest = items.reduce((a, b) => (this.#lastTouched(a) <= this.#lastTouched(b) ? a : b));
      items = items.filter((t) => t.id !== stalest.id);
      this.#forget(stalest.id);
    }
    this.items = items;
  }

  dismiss(id: number): void {
    this.#forget(id);
    this.items = this.items.filter((t) => t.id !== id);
  }

  /** Stop every toast's clock (true) or give each its full lifetime again (false). */
  setPaused(paused: boolean): void {
    if (paused === this.#paused) return;
    this.#paused = paused;
    for (const toast of this.items) {
      if (paused) this.#stopTimer(toast.id);
      else this.#startTimer(toast.id, toast.tone);
    }
  }

  #touch(id: number, tone: ToastTone): void {
    this.#clocks.set(id, { ...this.#clocks.get(id), touched: ++this.#tick });
    if (!this.#paused) this.#startTimer(id, tone);
  }

  #lastTouched(toast: Toast): number {
    return this.#clocks.get(toast.id)?.touched ?? 0;
  }

  #startTimer(id: number, tone: ToastTone): void {
    const clock = this.#clocks.get(id);
    if (!clock) return;
    clearTimeout(clock.timer);
    clock.timer = setTimeout(() => this.dismiss(id), this.lifetimeMs[tone]);
  }

  #stopTimer(id: number): void {
    const clock = this.#clocks.get(id);
    if (!clock) return;
    clearTimeout(clock.timer);
    clock.timer = undefined;
  }

  #forget(id: number): void {
    this.#stopTimer(id);
    this.#clocks.delete(id);
  }
}

export const toasts = new ToastStack();
