import type { ApiRequestEntry } from '@shared/protocol';

const KEEP = 200;

/** The API server's request log as the server streams it: who asked for what, and the answer. */
class RequestLog {
  entries = $state.raw<readonly ApiRequestEntry[]>([]);

  append(entries: readonly ApiRequestEntry[]): void {
    const known = new Set(this.entries.map((e) => e.id));
    const fresh = entries.filter((e) => !known.has(e.id));
    if (fresh.length) this.entries = [...this.entries, ...fresh].slice(-KEEP);
  }

  clear(): void {
    this.entries = [];
  }
}

export const requestLog = new RequestLog();
