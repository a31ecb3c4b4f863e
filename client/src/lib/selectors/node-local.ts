/**
 * Node-local state (the container runtime's CRI calls, containers and image cache; kube-proxy's
 * programmed rules) arrives as `ContainerRuntime` and `ProxyTable` objects, one per node, in the
 * same snapshot/watch stream. The views read them only through these selectors, so a change of
 * shape is absorbed here.
 */
import { fromRFC3339, type ContainerRuntime, type CriCall, type Node, type ProxyTable, type RuntimeContainer } from '@shared/model';
import { proxyRole, type ApiRequestEntry } from '@shared/protocol';
import { fullImageName } from '@shared/sim/runtime/images';

export function runtimeOf(runtimes: readonly ContainerRuntime[], node: string): ContainerRuntime | undefined {
  return runtimes.find((r) => r.spec.nodeName === node || r.metadata.name === node);
}

export interface RuntimeView {
  /** The calls not yet read by the kubelet: it removes each from the runtime once it has read the answer. */
  calls: CriCall[];
  /** How many calls the kubelet has sent this runtime, read ones included. */
  sent: number;
  images: string[];
  containers: RuntimeContainer[];
}

/** What the container runtime of `node` holds: its CRI calls (newest first), image cache and containers. */
export function runtimeView(runtimes: readonly ContainerRuntime[], node: string): RuntimeView {
  const status = runtimeOf(runtimes, node)?.status;
  return {
    calls: [...(status?.calls ?? [])].reverse(),
    sent: status?.callSeq ?? 0,
    images: (status?.images ?? []).map((i) => i.name),
    containers: status?.containers ?? [],
  };
}

/**
 * Images the node has (the runtime's cache and what the kubelet reported in status.images), by
 * fully qualified reference as the runtime stores them: ask with `fullImageName(container.image)`.
 */
export function cachedImages(runtimes: readonly ContainerRuntime[], node: Node | undefined): Set<string> {
  const name = node?.metadata.name ?? '';
  const reported = (node?.status?.images ?? []).flatMap((i) => i.names);
  return new Set([...runtimeView(runtimes, name).images, ...reported].map(fullImageName));
}

/** A CRI call the runtime is working on, with the simulated ms left until it finishes. */
export function callRemainingMs(call: CriCall, simNow: number): number | null {
  return call.status === 'running' && call.dueAt ? Math.max(0, fromRFC3339(call.dueAt) - simNow) : null;
}

export interface ProxyServiceRow {
  node: string;
  /** `namespace/name` */
  service: string;
  endpoints: string[];
  served: number;
  refused: number;
  failed: number;
}

export interface ProxyView {
  /** node -> `namespace/name` -> the row as programmed there. */
  programmed: Map<string, Map<string, ProxyServiceRow>>;
  /** Requests kube-proxy routed, newest first, as the API server logged them. */
  requests: ApiRequestEntry[];
  /** Requests routed from the node so far, and those refused or failed among them. */
  routed: number;
  bad: number;
}

/** What kube-proxy on `node` has programmed and routed: its table, its requests, its error rate. */
export function proxyView(tables: readonly ProxyTable[], requestLog: readonly ApiRequestEntry[], node: string): ProxyView {
  const programmed = new Map<string, Map<string, ProxyServiceRow>>();
  let total = 0;
  let bad = 0;
  for (const table of tables) {
    const on = table.spec.nodeName || table.metadata.name;
    const rows = new Map<string, ProxyServiceRow>();
    for (const s of table.status?.services ?? []) {
      rows.set(s.service, { node: on, service: s.service, endpoints: s.endpoints.map((e) => e.ip).sort(), served: s.served, refused: s.refused, failed: s.failed });
      if (on !== node) continue;
      total += s.served + s.refused + s.failed;
      bad += s.refused + s.failed;
    }
    programmed.set(on, rows);
  }
  const role = proxyRole(node);
  const requests = requestLog.filter((r) => r.verb === 'routeRequest' && r.role === role).reverse().slice(0, 50);
  return { programmed, requests, routed: total, bad };
}
