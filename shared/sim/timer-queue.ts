/** Pending timers ordered by due time (then id, for determinism), one per id: a binary heap. */
import type { Timer } from './timers';

const before = (a: Timer, b: Timer): boolean => a.dueAt < b.dueAt || (a.dueAt === b.dueAt && a.id < b.id);

export class TimerQueue {
  private readonly heap: Timer[] = [];
  private readonly ids = new Set<string>();

  get size(): number {
    return this.heap.length;
  }

  /** Adds the timer unless one with the same id is already pending. */
  push(timer: Timer): void {
    if (this.ids.has(timer.id)) return;
    this.ids.add(timer.id);
    const h = this.heap;
    h.push(timer);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(h[i] as Timer, h[parent] as Timer)) break;
      [h[i], h[parent]] = [h[parent] as Timer, h[i] as Timer];
      i = parent;
    }
  }

  has(id: string): boolean {
    return this.ids.has(id);
  }

  peek(): Timer | undefined {
    return this.heap[0];
  }

  pop(): Timer | undefined {
    const h = this.heap;
    const top = h[0];
    if (top === undefined) return undefined;
    const last = h.pop() as Timer;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before(h[l] as Timer, h[m] as Timer)) m = l;
        if (r < h.length && before(h[r] as Timer, h[m] as Timer)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m] as Timer, h[i] as Timer];
        i = m;
      }
    }
    this.ids.delete(top.id);
    return top;
  }
}
