/**
 * Endpoints controller: for each Service with a selector, the IPs of the pods it selects, ready ones
 * under `addresses` and the others under `notReadyAddresses`; terminating pods and pods without an IP
 * are left out. It stamps the change time kube-proxy uses (`endpoints.kubernetes.io/last-change-trigger-time`).
 */
import {
  byteOrder,
  isPodReady,
  objectKey,
  toRFC3339,
  type ContainerPort,
  type EndpointAddress,
  type EndpointPort,
  type Endpoints,
  type EndpointSubset,
  type Pod,
  type Service,
  type SimTime,
} from '@shared/model';
import { create, remove, update, type Step } from '../requests';
import type { ClusterState } from '../state';
import { sameValue } from '../hash';

export const LAST_CHANGE_TRIGGER_TIME = 'endpoints.kubernetes.io/last-change-trigger-time';

function address(pod: Pod): EndpointAddress {
  const a: EndpointAddress = {
    ip: pod.status?.podIP ?? '',
    targetRef: { kind: 'Pod', name: pod.metadata.name, namespace: pod.metadata.namespace ?? 'default', ...(pod.metadata.uid ? { uid: pod.metadata.uid } : {}) },
  };
  if (pod.spec.nodeName) a.nodeName = pod.spec.nodeName;
  return a;
}

/** A Service port's targetPort as a number on `pod` (a name is looked up in the containers' ports). */
function targetPortOf(port: NonNullable<Service['spec']['ports']>[number], pod: Pod | undefined): number | undefined {
  const target = port.targetPort ?? port.port;
  if (typeof target === 'number') return target;
  const ports: ContainerPort[] = (pod?.spec.containers ?? []).flatMap((c) => c.ports ?? []);
  return ports.find((p) => p.name === target)?.containerPort;
}

function ipNumber(ip: string): number {
  return ip.split('.').reduce((n, part) => n * 256 + (Number(part) || 0), 0);
}
function sortedByIP(addresses: EndpointAddress[]): EndpointAddress[] {
  return addresses
    .map((a) => ({ a, n: ipNumber(a.ip) }))
    .sort((x, y) => x.n - y.n || byteOrder(x.a.ip, y.a.ip))
    .map((x) => x.a);
}

export function desiredSubsets(service: Service, pods: readonly Pod[]): EndpointSubset[] {
  const eligible = pods.filter((p) => p.status?.podIP && p.metadata.deletionTimestamp === undefined && p.status.phase !== 'Failed' && p.status.phase !== 'Succeeded');
  if (eligible.length === 0) return [];
  const ready = sortedByIP(eligible.filter((p) => isPodReady(p)).map(address));
  const notReady = sortedByIP(eligible.filter((p) => !isPodReady(p)).map(address));
  const ports: EndpointPort[] = [];
  for (const port of service.spec.ports ?? []) {
    const number = targetPortOf(port, eligible[0]);
    if (number === undefined) continue;
    ports.push({ ...(port.name ? { name: port.name } : {}), port: number, protocol: port.protocol ?? 'TCP' });
  }
  const subset: EndpointSubset = {};
  if (ready.length) subset.addresses = ready;
  if (notReady.length) subset.notReadyAddresses = notReady;
  if (ports.length) subset.ports = ports;
  return [subset];
}

export function readyIPs(endpoints: Endpoints | undefined): string[] {
  return (endpoints?.subsets ?? []).flatMap((s) => (s.addresses ?? []).map((a) => a.ip));
}

export function reconcileService(state: ClusterState, service: Service, now: SimTime): Step[] {
  if (!service.spec.selector) return [];
  const ns = service.metadata.namespace ?? 'default';
  const subsets = desiredSubsets(service, state.podsMatching(ns, service.spec.selector));
  const current = state.endpointsOf(service);
  if (current && sameValue(current.subsets ?? [], subsets)) return [];
  const name = service.metadata.name;
  const ips = subsets.flatMap((s) => (s.addresses ?? []).map((a) => a.ip));
  const why = `${name}: ${ips.length} ready endpoint(s)${ips.length ? ` ${ips.join(', ')}` : ''}`;
  const metadata = { ...current?.metadata, name, namespace: ns, labels: { ...service.metadata.labels }, annotations: { ...current?.metadata.annotations, [LAST_CHANGE_TRIGGER_TIME]: toRFC3339(now) } };
  const next: Endpoints = { apiVersion: 'v1', kind: 'Endpoints', metadata, subsets };
  return [current ? update(current, next, why) : create(next, why)];
}

/** Every Service (or the keys in `only`), and Endpoints whose Service is gone. */
export function reconcileEndpoints(state: ClusterState, now: SimTime, only?: Iterable<string>): Step[] {
  const services = only ? [...only].map((k) => state.get('Service', k)).filter((s): s is Service => s !== undefined) : [...state.services()];
  const steps = services.flatMap((s) => reconcileService(state, s, now));
  const keys = only ? [...only] : [...state.list('Endpoints')].map(objectKey);
  for (const key of keys) {
    const endpoints = state.get('Endpoints', key);
    if (endpoints && !state.get('Service', key)) steps.push(remove(endpoints, `service ${endpoints.metadata.name} is gone`));
  }
  return steps;
}
