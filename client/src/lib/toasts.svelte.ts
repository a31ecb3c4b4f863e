export interface Toast {
  id: number;
  tone: 'error' | 'info';
  title: string;
  message: string;
}

const LIFETIME_MS = { error: 10_000, info: 5_000 } as const;

/** Short messages over the page: above all the API server's refusals, in its own words. */
class Toasts {
  items = $state<Toast[]>([]);
  #next = 1;

  show(tone: Toast['tone'], title: string, message: string): void {
    const id = this.#next++;
    this.items = [...this.items, { id, tone, title, message }].slice(-4);
    setTimeout(() => this.dismiss(id), LIFETIME_MS[tone]);
  }

  dismiss(id: number): void {
    this.items = this.items.filter((t) => t.id !== id);
  }
}

export const toasts = new Toasts();
