/**
 * kube-proxy, one table per node: the Service -> endpoint IPs it has programmed, which follow the
 * Endpoints objects at least `minSyncPeriod` (1 s) after each change, so a node can route to a pod
 * that is already gone. Routing a request picks the next programmed endpoint (round robin).
 */
import {
  byteOrder,
  fromRFC3339,
  isPodReady,
  makeProxyTable,
  objectKey,
  toMicroTime,
  type Endpoints,
  type ProgrammedService,
  type ProxyTable,
  type Service,
  type SimTime,
} from '@shared/model';
import { PROXY_SYNC_DELAY_SECONDS } from '../defaults';
import { create, timer, update, type Step } from '../requests';
import type { ClusterState } from '../state';
import { makeTimer } from '../timers';
import { LAST_CHANGE_TRIGGER_TIME } from '../controllers/endpoints';
import { sameValue } from '../hash';
import { kubeProxyStopped } from '../faults';

interface Wanted {
  service: string;
  clusterIP?: string;
  endpoints: { ip: string; pod?: string }[];
  endpointsResourceVersion?: string;
  /** When the Endpoints last changed: rules may follow from PROXY_SYNC_DELAY_SECONDS later. */
  changedAt: SimTime;
}

// Endpoints objects are immutable in the state: what they ask of kube-proxy is computed once per version.
const wantedByEndpoints = new WeakMap<Endpoints, Wanted>();

/**
 * kube-proxy programs only Services with a virtual IP: a headless Service (`clusterIP: None`) and an
 * ExternalName one are left to DNS (pkg/proxy/util ShouldSkipService).
 */
export function proxied(service: Service): boolean {
  return service.spec.clusterIP !== 'None' && service.spec.type !== 'ExternalName';
}

const proxiedServices = (state: ClusterState): Service[] => [...state.services()].filter(proxied);

function wanted(state: ClusterState, service: Service): Wanted {
  const endpoints = state.endpointsOf(service);
  const known = endpoints && wantedByEndpoints.get(endpoints);
  if (known && known.service === objectKey(service) && known.clusterIP === service.spec.clusterIP) return known;
  const w = computeWanted(service, endpoints);
  if (endpoints) wantedByEndpoints.set(endpoints, w);
  return w;
}

function computeWanted(service: Service, endpoints: Endpoints | undefined): Wanted {
  const list = (endpoints?.subsets ?? []).flatMap((s) => (s.addresses ?? []).map((a) => ({ ip: a.ip, ...(a.targetRef?.name ? { pod: a.targetRef.name } : {}) })));
  const trigger = endpoints?.metadata.annotations?.[LAST_CHANGE_TRIGGER_TIME];
  const w: Wanted = { service: objectKey(service), endpoints: list, changedAt: trigger ? fromRFC3339(trigger) : 0 };
  if (service.spec.clusterIP) w.clusterIP = service.spec.clusterIP;
  if (endpoints?.metadata.resourceVersion) w.endpointsResourceVersion = endpoints.metadata.resourceVersion;
  return w;
}

function sameRules(p: ProgrammedService, w: Wanted): boolean {
  if (p.clusterIP !== w.clusterIP) return false;
  // Programmed from this very Endpoints version: nothing to compare.
  if (p.endpointsResourceVersion !== undefined && p.endpointsResourceVersion === w.endpointsResourceVersion) return true;
  return sameValue(p.endpoints, w.endpoints);
}

function program(previous: ProgrammedService | undefined, w: Wanted, now: SimTime): ProgrammedService {
  const entry: ProgrammedService = {
    service: w.service,
    endpoints: w.endpoints,
    programmedAt: toMicroTime(now),
    next: previous && w.endpoints.length ? previous.next % w.endpoints.length : 0,
    served: previous?.served ?? 0,
    refused: previous?.refused ?? 0,
    failed: previous?.failed ?? 0,
  };
  if (w.clusterIP) entry.clusterIP = w.clusterIP;
  if (w.endpointsResourceVersion) entry.endpointsResourceVersion = w.endpointsResourceVersion;
  return entry;
}

/** Writes the table; `syncedAt` when rules were programmed (routing only moves counters). */
function write(table: ProxyTable, services: ProgrammedService[], why: string, syncedAt?: SimTime): Step {
  const sorted = [...services].sort((a, b) => byteOrder(a.service, b.service));
  const status = { ...table.status, services: sorted, ...(syncedAt === undefined ? {} : { lastSyncTime: toMicroTime(syncedAt) }) };
  return update(table, { ...table, status }, why);
}

/** The kube-proxy bot on one node: program what changed at least minSyncPeriod ago; timers for the rest. */
export function reconcileProxy(state: ClusterState, node: string, now: SimTime): Step[] {
  if (kubeProxyStopped(state, node)) return [];
  const table = state.proxyTable(node);
  if (!table) return state.node(node) ? [create(makeProxyTable(node), `kube-proxy starts on ${node}`)] : [];
  const current = new Map(table.status.services.map((s) => [s.service, s]));
  const next = new Map(current);
  const notes: string[] = [];
  const steps: Step[] = [];
  const live = new Set<string>();
  for (const service of proxiedServices(state)) {
    const w = wanted(state, service);
    live.add(w.service);
    const programmed = current.get(w.service);
    if (programmed && sameRules(programmed, w)) continue;
    const due = w.changedAt + PROXY_SYNC_DELAY_SECONDS * 1000;
    if (due > now) {
      steps.push(timer(makeTimer('proxySync', due, { node }), `kube-proxy on ${node} syncs ${w.service}`));
      continue;
    }
    next.set(w.service, program(programmed, w, now));
    notes.push(`${w.service} -> [${w.endpoints.map((e) => e.ip).join(', ')}]`);
  }
  for (const key of current.keys()) {
    if (!live.has(key)) {
      next.delete(key);
      notes.push(`${key} removed`);
    }
  }
  if (notes.length) steps.unshift(write(table, [...next.values()], `kube-proxy on ${node} programs ${notes.join('; ')}`, now));
  return steps;
}

/** One Service whose rules on a node differ from its Endpoints: programmable from `due` on. */
export interface ProxyChange {
  /** `namespace/name` */
  service: string;
  due: SimTime;
  /** What programming it means, for the class: `default/web -> [10.244.1.2]` or `default/web removed`. */
  rules: string;
  /** The table write that programs (or removes) this one Service. */
  steps: Step[];
  /**
   * Whether programming it changes where a request from the node goes. A Service with no endpoints
   * is refused there whether its rules are programmed or not (see routeRequest): a new Service
   * before its pods are Ready, or one removed while it had none.
   */
  reroutes: boolean;
}

/** What kube-proxy on `node` would program, Service by Service. */
export function proxyChanges(state: ClusterState, node: string, now: SimTime): ProxyChange[] {
  const table = state.proxyTable(node);
  if (!table) return [];
  const changes: ProxyChange[] = [];
  const live = new Set<string>();
  for (const service of proxiedServices(state)) {
    const w = wanted(state, service);
    live.add(w.service);
    const previous = table.status.services.find((s) => s.service === w.service);
    if (previous && sameRules(previous, w)) continue;
    const rules = `${w.service} -> [${w.endpoints.map((e) => e.ip).join(', ')}]`;
    const services = [...table.status.services.filter((s) => s.service !== w.service), program(previous, w, now)];
    const reroutes = w.endpoints.length > 0 || (previous?.endpoints.length ?? 0) > 0;
    changes.push({ service: w.service, due: w.changedAt + PROXY_SYNC_DELAY_SECONDS * 1000, rules, steps: [write(table, services, `kube-proxy on ${node} programs ${rules}`, now)], reroutes });
  }
  for (const entry of table.status.services) {
    if (live.has(entry.service)) continue;
    const rules = `${entry.service} removed`;
    const services = table.status.services.filter((s) => s.service !== entry.service);
    changes.push({ service: entry.service, due: 0, rules, steps: [write(table, services, `kube-proxy on ${node}: ${rules}`, now)], reroutes: entry.endpoints.length > 0 });
  }
  return changes;
}

/**
 * The Services whose rules on `node` no longer match their Endpoints (`namespace/name`): what a
 * request from that node may route wrongly until its kube-proxy syncs. Each sync clears its entry;
 * a stopped kube-proxy leaves them all in place. A Service with no endpoints yet is none of them:
 * in the lobby (no controller has run) or in a scenario's briefing (the clock waits) the cluster
 * map named the demo Service on every node, "rules syncing", with nothing to sync.
 */
export function staleRules(state: ClusterState, node: string, now: SimTime): string[] {
  return proxyChanges(state, node, now)
    .filter((c) => c.reroutes)
    .map((c) => c.service);
}

export type RouteOutcome =
  | { outcome: 'served'; pod: string; ip: string; message: string }
  | { outcome: 'refused' | 'failed'; message: string };

/**
 * A request to a Service from `node`: kube-proxy's rules pick the next programmed endpoint. No
 * endpoint: connection refused (the REJECT rule). An endpoint whose pod is gone or not ready: the
 * request fails (stale rules). Counters and the round-robin cursor are written back.
 */
export function routeRequest(state: ClusterState, node: string, serviceKey: string): { outcome: RouteOutcome; steps: Step[] } {
  const table = state.proxyTable(node);
  const entry = table?.status.services.find((s) => s.service === serviceKey);
  const address = `${entry?.clusterIP ?? serviceKey}`;
  if (!table || !entry || entry.endpoints.length === 0) {
    const outcome: RouteOutcome = { outcome: 'refused', message: `dial tcp ${address}: connect: connection refused (no endpoints programmed on ${node})` };
    if (!table || !entry) return { outcome, steps: [] };
    return { outcome, steps: [write(table, replace(table, { ...entry, refused: entry.refused + 1 }), `${serviceKey} from ${node}: refused`)] };
  }
  const target = entry.endpoints[entry.next % entry.endpoints.length] as { ip: string; pod?: string };
  const ns = serviceKey.includes('/') ? serviceKey.slice(0, serviceKey.indexOf('/')) : 'default';
  const pod = target.pod === undefined ? undefined : state.pod(`${ns}/${target.pod}`);
  const alive = pod !== undefined && pod.status?.podIP === target.ip && pod.metadata.deletionTimestamp === undefined && isPodReady(pod);
  const advanced = { ...entry, next: (entry.next + 1) % entry.endpoints.length };
  const outcome: RouteOutcome = alive
    ? { outcome: 'served', pod: target.pod ?? '', ip: target.ip, message: `served by ${target.pod} (${target.ip})` }
    : { outcome: 'failed', message: `dial tcp ${target.ip}: connect: no route to host (stale rule: ${target.pod ?? target.ip} is gone or not ready)` };
  const counted = alive ? { ...advanced, served: advanced.served + 1 } : { ...advanced, failed: advanced.failed + 1 };
  return { outcome, steps: [write(table, replace(table, counted), `${serviceKey} from ${node}: ${outcome.message}`)] };
}

function replace(table: ProxyTable, entry: ProgrammedService): ProgrammedService[] {
  return table.status.services.map((s) => (s.service === entry.service ? entry : s));
}
