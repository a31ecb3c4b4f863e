/**
 * A Service's ClusterIP, as the API server decides it (Kubernetes 1.32): validated on every write
 * (pkg/apis/core/validation ValidateService / ValidateServiceUpdate), allocated from the service
 * range on create (pkg/registry/core/service/storage alloc.go), and immutable once set; an update
 * that leaves it out keeps the stored one, as the Service REST storage does.
 */
import {
  CLUSTER_IP_NONE,
  DEFAULT_SERVICE_RANGE,
  allocateIP,
  allocateNext,
  formatIPv4,
  internalError,
  invalid,
  parseIPv4,
  type FieldError,
  type Service,
  type ServiceRange,
  type StatusError,
} from '@shared/model';

const goStrings = (values: readonly string[]): string => `[]string{${values.map((v) => JSON.stringify(v)).join(', ')}}`;
const INVALID_IP = 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)';

/** What ValidateService says of the ClusterIP fields we model (clusterIP, type). */
export function clusterIPErrors(service: Service): FieldError[] {
  const ip = service.spec.clusterIP ?? '';
  const type = service.spec.type ?? 'ClusterIP';
  if (ip === '') return [];
  if (type === 'ExternalName') return [{ field: 'spec.clusterIPs', body: 'Forbidden: may not be set for ExternalName services' }];
  if (ip === CLUSTER_IP_NONE) {
    return type === 'NodePort' || type === 'LoadBalancer' ? [{ field: 'spec.clusterIPs[0]', body: `Invalid value: "None": may not be set to 'None' for ${type} services` }] : [];
  }
  return parseIPv4(ip) === null ? [{ field: 'spec.clusterIPs[0]', body: `Invalid value: ${JSON.stringify(ip)}: ${INVALID_IP}` }] : [];
}

export type ClusterIPDecision = { ok: true; service: Service } | { ok: false; error: StatusError };

/**
 * A new Service with its ClusterIP: an address asked by name is taken if it is in the range and
 * free; none asked, the next free one. `allocated` holds every address in use (the `kubernetes`
 * Service's included). Headless and ExternalName Services get none.
 */
export function assignClusterIP(service: Service, allocated: ReadonlySet<string>, random: () => number, range: ServiceRange = DEFAULT_SERVICE_RANGE): ClusterIPDecision {
  const name = service.metadata.name;
  const errors = clusterIPErrors(service);
  if (errors.length) return { ok: false, error: invalid('Service', name, errors) };
  const asked = service.spec.clusterIP ?? '';
  if (asked === CLUSTER_IP_NONE || service.spec.type === 'ExternalName') return { ok: true, service };
  if (asked === '') {
    const next = allocateNext(range, allocated, random);
    if (!next.ok) return { ok: false, error: internalError(`failed to allocate a serviceIP: ${next.message}`) };
    return { ok: true, service: { ...service, spec: { ...service.spec, clusterIP: next.ip } } };
  }
  const taken = allocateIP(range, asked, allocated);
  if (!taken.ok) return { ok: false, error: invalid('Service', name, [{ field: 'spec.clusterIPs', body: `Invalid value: ${goStrings([asked])}: failed to allocate IP ${asked}: ${taken.message}` }]) };
  return { ok: true, service };
}

/**
 * A dry run's ClusterIP, decided without taking one, as 1.32 does it (pkg/registry/core/service/storage/alloc.go
 * asks the allocator's DryRun form; pkg/registry/core/service/ipallocator/bitmap.go's dryRunRange): an address
 * asked by name is only checked to be in the range, taken or not ("racy and not worth the effort"), and none
 * asked shows the range's network address (`r.CIDR().IP`). Headless and ExternalName Services get none.
 */
export function dryRunClusterIP(service: Service, range: ServiceRange = DEFAULT_SERVICE_RANGE): ClusterIPDecision {
  if ((service.spec.clusterIP ?? '') !== '' || service.spec.type === 'ExternalName') return assignClusterIP(service, new Set(), () => 0, range);
  return { ok: true, service: { ...service, spec: { ...service.spec, clusterIP: formatIPv4(range.base - 1) } } };
}

/** An update: the stored ClusterIP carries over when the new object leaves it out, and may not change. */
export function updateClusterIP(current: Service, service: Service): ClusterIPDecision {
  const old = current.spec.clusterIP ?? '';
  const sent = service.spec.clusterIP ?? '';
  const next = sent === '' && old !== '' && service.spec.type !== 'ExternalName' ? { ...service, spec: { ...service.spec, clusterIP: old } } : service;
  const errors = clusterIPErrors(next);
  const ip = next.spec.clusterIP ?? '';
  if (ip !== old && current.spec.type !== 'ExternalName' && next.spec.type !== 'ExternalName' && old !== '') {
    errors.push({ field: 'spec.clusterIPs[0]', body: `Invalid value: ${goStrings([ip])}: may not change once set` });
  }
  return errors.length ? { ok: false, error: invalid('Service', service.metadata.name, errors) } : { ok: true, service: next };
}
