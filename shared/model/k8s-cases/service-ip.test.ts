/**
 * Service ClusterIPs: the service range's allocator (pkg/registry/core/service/ipallocator, the
 * bitmap allocator Kubernetes 1.32 uses by default) and the ClusterIP rules of Service validation.
 * IPv6 cases are not ported: ClusterPlay's service range is IPv4 only.
 */
import { describe, expect, test } from 'vitest';
import { assignClusterIP, updateClusterIP } from '@shared/sim/admission';
import { seededRng } from '@shared/sim/rng';
import { makeService } from '../factories';
import { DEFAULT_SERVICE_RANGE, ERR_ALLOCATED, ERR_FULL, allocateIP, allocateNext, formatIPv4, parseIPv4, rangeOffset, serviceRange, type ServiceRange } from '../service-cidr';
import type { Service } from '../service';
import { caseTitle, k8s, type K8sCase } from './source';

const BITMAP = 'pkg/registry/core/service/ipallocator/bitmap_test.go';
const VALIDATION = 'pkg/apis/core/validation/validation_test.go';
const REST = 'pkg/registry/core/service/storage/alloc.go';

const range = (cidr: string): ServiceRange => serviceRange(cidr) as ServiceRange;
const inRange = (r: ServiceRange, ip: string): boolean => {
  const n = parseIPv4(ip) ?? -1;
  return n >= r.base && n < r.base + r.max;
};

interface OffsetCase extends K8sCase {
  name: string;
  cidr: string;
  offset: number;
}
const OFFSET_CASES: OffsetCase[] = (
  [
    ['full mask IPv4', '192.168.1.1/32', 0],
    ['very small mask IPv4', '192.168.1.1/30', 0],
    ['small mask IPv4', '192.168.1.1/28', 0],
    ['small mask IPv4', '192.168.1.1/27', 16],
    ['medium mask IPv4', '192.168.1.1/22', 64],
    ['large mask IPv4', '192.168.1.1/8', 256],
  ] as const
).map(([name, cidr, offset]) => ({ source: k8s(BITMAP, 'Test_calculateRangeOffset'), name, cidr, offset }));

describe('the service range: the band kept for addresses asked by name, case for case with Kubernetes', () => {
  for (const c of OFFSET_CASES) {
    test(caseTitle(c, `${c.name}: ${c.cidr} keeps ${c.offset}`), () => {
      expect(range(c.cidr).offset).toBe(c.offset);
    });
  }
  test('the default range 10.96.0.0/12 keeps 256 and allocates 1048574 addresses', () => {
    expect(DEFAULT_SERVICE_RANGE).toEqual({ cidr: '10.96.0.0/12', base: parseIPv4('10.96.0.1'), max: 1048574, offset: 256 });
    expect(rangeOffset(2 ** 20)).toBe(256);
  });
});

interface AllocateCase extends K8sCase {
  name: string;
  cidr: string;
  free: number;
  released: string;
  outOfRange: string[];
  alreadyAllocated: string;
}
const ALLOCATE_CASES: AllocateCase[] = [
  {
    source: k8s(BITMAP, 'TestAllocate'),
    name: 'IPv4',
    cidr: '192.168.1.0/24',
    free: 254,
    released: '192.168.1.5',
    outOfRange: ['192.168.0.1', '192.168.1.0', '192.168.1.255', '192.168.2.2'],
    alreadyAllocated: '192.168.1.1',
  },
  {
    source: k8s(BITMAP, 'TestAllocate'),
    name: 'IPv4 large',
    cidr: '10.0.0.0/15',
    free: 131070,
    released: '10.0.0.5',
    outOfRange: ['10.0.0.0', '10.15.255.255', '10.255.255.2'],
    alreadyAllocated: '10.0.0.1',
  },
];

describe('allocating ClusterIPs, case for case with Kubernetes', () => {
  for (const c of ALLOCATE_CASES) {
    test(caseTitle(c, `${c.name}: ${c.cidr} hands out ${c.free} distinct addresses, then is full`), { timeout: 60_000 }, () => {
      const r = range(c.cidr);
      expect(r.cidr).toBe(c.cidr);
      expect(r.max).toBe(c.free);
      const rng = seededRng(1);
      // A large range is first filled by name, leaving one address in 256 free (131070 scans by
      // AllocateNext would take minutes here); the rest go through AllocateNext as in the table.
      const byName = c.free > 1000 ? Array.from({ length: c.free }, (_, i) => i).filter((i) => i % 256 !== 0) : [];
      const allocated = new Set(byName.map((i) => formatIPv4(r.base + i)));
      for (let i = byName.length; i < c.free; i++) {
        const next = allocateNext(r, allocated, () => rng.next());
        if (!next.ok) throw new Error(`full after ${i}`);
        expect(inRange(r, next.ip)).toBe(true);
        allocated.add(next.ip);
      }
      expect(allocated.size).toBe(c.free);
      expect(allocateNext(r, allocated, () => rng.next())).toEqual({ ok: false, message: ERR_FULL });
      // Released, it is the one address the next allocation finds.
      allocated.delete(c.released);
      expect(allocateNext(r, allocated, () => rng.next())).toEqual({ ok: true, ip: c.released });
      for (const ip of c.outOfRange) expect(allocateIP(r, ip, allocated)).toEqual({ ok: false, message: `the provided IP (${ip}) is not in the valid range. The range of valid IPs is ${c.cidr}` });
      expect(allocateIP(r, c.alreadyAllocated, allocated)).toEqual({ ok: false, message: ERR_ALLOCATED });
      expect(allocateIP(r, c.released, allocated)).toEqual({ ok: true, ip: c.released });
    });
  }

  test(caseTitle({ source: k8s(BITMAP, 'TestAllocateTiny') }, '/32 has no address to give'), () => {
    const r = range('192.168.1.0/32');
    expect(r.max).toBe(0);
    expect(allocateNext(r, new Set(), () => 0.5)).toEqual({ ok: false, message: ERR_FULL });
  });

  test(caseTitle({ source: k8s(BITMAP, 'TestAllocateSmall') }, '/30 gives two distinct addresses, then stays full'), () => {
    const r = range('192.168.1.240/30');
    expect(r.max).toBe(2);
    const rng = seededRng(3);
    const allocated = new Set<string>();
    for (let i = 0; i < 2; i++) {
      const next = allocateNext(r, allocated, () => rng.next());
      expect(next.ok).toBe(true);
      if (next.ok) allocated.add(next.ip);
    }
    expect(allocated.size).toBe(2);
    for (const ip of allocated) expect(allocateIP(r, ip, allocated)).toEqual({ ok: false, message: ERR_ALLOCATED });
    for (let i = 0; i < 100; i++) expect(allocateNext(r, allocated, () => rng.next()).ok).toBe(false);
  });

  test(caseTitle({ source: k8s(BITMAP, 'TestAllocateReserved') }, '/25: new Services fill the upper band first; the lower 16 stay for addresses asked by name'), () => {
    const r = range('192.168.1.0/25');
    expect(r.offset).toBe(16);
    const rng = seededRng(5);
    const allocated = new Set<string>();
    for (let i = 0; i < r.max - r.offset; i++) {
      const next = allocateNext(r, allocated, () => rng.next());
      if (next.ok) allocated.add(next.ip);
    }
    for (let i = r.offset; i < r.max; i++) expect(allocated.has(`192.168.1.${i + 1}`)).toBe(true);
    expect(r.max - allocated.size).toBe(r.offset);
    for (let i = 0; i < r.offset; i++) {
      const asked = allocateIP(r, `192.168.1.${i + 1}`, allocated);
      expect(asked.ok).toBe(true);
      if (asked.ok) allocated.add(asked.ip);
    }
    expect(allocated.size).toBe(r.max);
    allocated.delete('192.168.1.10');
    expect(allocateNext(r, allocated, () => rng.next())).toEqual({ ok: true, ip: '192.168.1.10' });
  });

  test('addresses print as dotted quads', () => {
    expect(formatIPv4(parseIPv4('10.111.255.254') ?? 0)).toBe('10.111.255.254');
    expect(parseIPv4('10.96.0.256')).toBeNull();
    expect(parseIPv4('10.96.0')).toBeNull();
  });
});

const service = (clusterIP: string | undefined, type: Service['spec']['type'] = 'ClusterIP'): Service => {
  const s = makeService('web', { app: 'web' }, 80);
  s.spec.type = type;
  if (clusterIP === undefined) delete s.spec.clusterIP;
  else s.spec.clusterIP = clusterIP;
  return s;
};

interface CreateCase extends K8sCase {
  name: string;
  service: Service;
  /** The Invalid message, or undefined when the Service is accepted. */
  error?: string;
}
const CREATE_CASES: CreateCase[] = [
  {
    source: k8s(VALIDATION, 'TestValidateServiceCreate'),
    name: 'invalid cluster ip',
    service: service('invalid'),
    error: 'Service "web" is invalid: spec.clusterIPs[0]: Invalid value: "invalid": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
  },
  { source: k8s(VALIDATION, 'TestValidateServiceCreate'), name: 'valid cluster ip - none', service: service('None') },
  { source: k8s(VALIDATION, 'TestValidateServiceCreate'), name: 'valid cluster ip - empty', service: service('') },
  {
    source: k8s(VALIDATION, 'TestValidateServiceCreate'),
    name: 'invalid node port with clusterIP None',
    service: service('None', 'NodePort'),
    error: `Service "web" is invalid: spec.clusterIPs[0]: Invalid value: "None": may not be set to 'None' for NodePort services`,
  },
  {
    source: k8s(VALIDATION, 'TestValidateServiceCreate'),
    name: 'invalid load balancer with clusterIP None',
    service: service('None', 'LoadBalancer'),
    error: `Service "web" is invalid: spec.clusterIPs[0]: Invalid value: "None": may not be set to 'None' for LoadBalancer services`,
  },
  {
    source: k8s(REST, 'allocClusterIPs (an address asked by name that is taken)'),
    name: 'a ClusterIP already allocated',
    service: service('10.96.0.10'),
    error: 'Service "web" is invalid: spec.clusterIPs: Invalid value: []string{"10.96.0.10"}: failed to allocate IP 10.96.0.10: provided IP is already allocated',
  },
  {
    source: k8s(REST, 'allocClusterIPs (an address outside the range)'),
    name: 'a ClusterIP outside the service range',
    service: service('10.0.0.10'),
    error: 'Service "web" is invalid: spec.clusterIPs: Invalid value: []string{"10.0.0.10"}: failed to allocate IP 10.0.0.10: the provided IP (10.0.0.10) is not in the valid range. The range of valid IPs is 10.96.0.0/12',
  },
  {
    source: k8s(REST, 'allocClusterIPs (10.96.0.1 is the kubernetes Service)'),
    name: "the kubernetes Service's address",
    service: service('10.96.0.1'),
    error: 'Service "web" is invalid: spec.clusterIPs: Invalid value: []string{"10.96.0.1"}: failed to allocate IP 10.96.0.1: provided IP is already allocated',
  },
];

describe('a new Service and its ClusterIP, case for case with Kubernetes', () => {
  const allocated = new Set(['10.96.0.1', '10.96.0.10']);
  for (const c of CREATE_CASES) {
    test(caseTitle(c, c.name), () => {
      const decided = assignClusterIP(c.service, allocated, () => 0.5);
      if (c.error === undefined) expect(decided.ok).toBe(true);
      else expect(decided.ok ? 'accepted' : decided.error.message).toBe(c.error);
    });
  }
  test('none asked: the next free address of the upper band; headless: none', () => {
    const decided = assignClusterIP(service(undefined), allocated, () => 0);
    expect(decided.ok && decided.service.spec.clusterIP).toBe('10.96.1.1');
    const headless = assignClusterIP(service('None'), allocated, () => 0);
    expect(headless.ok && headless.service.spec.clusterIP).toBe('None');
  });
});

interface UpdateCase extends K8sCase {
  name: string;
  old: string;
  sent: string | undefined;
  /** The stored ClusterIP after the update, or the Invalid message. */
  outcome: string;
}
const UPDATE_CASES: UpdateCase[] = [
  {
    source: k8s(VALIDATION, 'TestValidateServiceUpdate'),
    name: 'change cluster IP',
    old: '1.2.3.4',
    sent: '8.6.7.5',
    outcome: 'Service "web" is invalid: spec.clusterIPs[0]: Invalid value: []string{"8.6.7.5"}: may not change once set',
  },
  {
    source: k8s(VALIDATION, 'TestValidateServiceUpdate'),
    name: 'change ClusterIP to None',
    old: '1.2.3.4',
    sent: 'None',
    outcome: 'Service "web" is invalid: spec.clusterIPs[0]: Invalid value: []string{"None"}: may not change once set',
  },
  { source: k8s(VALIDATION, 'TestValidateServiceUpdate'), name: 'headless stays headless', old: 'None', sent: 'None', outcome: 'None' },
  { source: k8s(VALIDATION, 'TestValidateServiceUpdate'), name: 'the same cluster IP', old: '1.2.3.4', sent: '1.2.3.4', outcome: '1.2.3.4' },
  {
    source: k8s('pkg/registry/core/service/storage/storage.go', 'patchAllocatedValues'),
    name: 'an update without clusterIP (kubectl apply) keeps the allocated one',
    old: '10.96.23.4',
    sent: undefined,
    outcome: '10.96.23.4',
  },
];

describe('a Service update and its ClusterIP, case for case with Kubernetes', () => {
  for (const c of UPDATE_CASES) {
    test(caseTitle(c, c.name), () => {
      const decided = updateClusterIP(service(c.old), service(c.sent));
      expect(decided.ok ? decided.service.spec.clusterIP : decided.error.message).toBe(c.outcome);
    });
  }
});
