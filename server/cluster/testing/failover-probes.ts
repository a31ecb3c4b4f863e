/**
 * What a user and an operator notice while Redis fails over, recorded from outside the server
 * processes: a writer that creates Leases over the Kubernetes API and keeps what it was told
 * (acknowledged or refused, and how long the answer took), a /readyz poller per process that keeps
 * each change of answer with its time, and a heap sampler.
 */
import { waitFor } from '../../testing/wait';

export interface WriteAnswer {
  name: string;
  status: number | 'no answer';
  /** Who answered: a server process (a Kubernetes Status or object, JSON), or the load balancer's own page. */
  from: 'server' | 'load balancer' | 'nobody';
  /** When it was sent (epoch ms), and how long its answer took. */
  at: number;
  ms: number;
  /** The resourceVersion an acknowledged (201) create carried. */
  resourceVersion?: string;
}

export interface Probe<T> {
  readonly seen: T[];
  stop(): Promise<void>;
}

/** No request may take longer than this to be answered (the server promises 2 s; haproxy adds its queue). */
const ANSWER_WITHIN_MS = 5000;

const leases = (url: string, token: string) => `${url}/k8s/${token}/apis/coordination.k8s.io/v1/namespaces/default/leases`;

function lease(name: string): object {
  return { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace: 'default' }, spec: { holderIdentity: 'failover-probe' } };
}

/** Creates `<prefix>-<n>` Leases one after the other, every `everyMs`, until stopped. */
export function leaseWriter(url: string, token: string, prefix: string, everyMs = 50): Probe<WriteAnswer> {
  const seen: WriteAnswer[] = [];
  let running = true;
  const loop = (async () => {
    for (let n = 0; running; n++) {
      const name = `${prefix}-${n}`;
      const started = Date.now();
      try {
        const res = await fetch(leases(url, token), {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(lease(name)),
          signal: AbortSignal.timeout(ANSWER_WITHIN_MS),
        });
        const json = res.headers.get('content-type')?.includes('application/json') ?? false;
        const body = (json ? await res.json() : await res.text()) as { metadata?: { resourceVersion?: string } };
        const resourceVersion = res.status === 201 ? body.metadata?.resourceVersion : undefined;
        const from = json ? 'server' : 'load balancer';
        seen.push({ name, status: res.status, from, at: started, ms: Date.now() - started, ...(resourceVersion ? { resourceVersion } : {}) });
      } catch {
        seen.push({ name, status: 'no answer', from: 'nobody', at: started, ms: Date.now() - started });
      }
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    seen,
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

/** The Leases the store holds now, by name, with their resourceVersions. */
export async function storedLeases(url: string, token: string): Promise<Map<string, string>> {
  const res = await waitFor(async () => {
    const r = await fetch(leases(url, token), { signal: AbortSignal.timeout(ANSWER_WITHIN_MS) });
    return r.status === 200 && r;
  }, { what: 'the Lease list', timeoutMs: 20_000 });
  const list = (await res.json()) as { items: Array<{ metadata: { name: string; resourceVersion: string } }> };
  return new Map(list.items.map((item) => [item.metadata.name, item.metadata.resourceVersion]));
}

export interface ReadyzChange {
  at: number;
  status: number | 'no answer';
}

/** Polls a process's /readyz every `everyMs` and keeps each change of answer. */
export function readyzWatcher(port: number, everyMs = 100): Probe<ReadyzChange> & { answers: number } {
  const seen: ReadyzChange[] = [];
  let running = true;
  const probe = {
    seen,
    answers: 0,
    stop: async () => {
      running = false;
      await loop;
    },
  };
  const loop = (async () => {
    while (running) {
      let status: ReadyzChange['status'];
      try {
        status = (await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(ANSWER_WITHIN_MS) })).status;
      } catch {
        status = 'no answer';
      }
      probe.answers++;
      if (seen[seen.length - 1]?.status !== status) seen.push({ at: Date.now(), status });
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return probe;
}

/** A process's heap in use (prom-client's default metric), in bytes. */
export async function heapUsed(port: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return Number(/^nodejs_heap_size_used_bytes (\S+)/m.exec(text)?.[1] ?? NaN);
}
