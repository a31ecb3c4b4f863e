/**
 * Service ClusterIPs (IPv4), as the API server allocates them from its service CIDR
 * (`--service-cluster-ip-range`, default 10.96.0.0/12) with the bitmap allocator of Kubernetes 1.32
 * (pkg/registry/core/service/ipallocator): the network and broadcast addresses are never handed
 * out; a lower band of `offset` addresses is kept for IPs asked by name, and a new Service gets a
 * random free address from the upper band first, the lower band only when the upper one is full.
 * The first address (10.96.0.1) belongs to the `kubernetes` Service.
 */

export const SERVICE_CIDR = '10.96.0.0/12';
export const KUBERNETES_SERVICE_IP = '10.96.0.1';
/** `clusterIP: None`: a headless Service, with no virtual IP (DNS only). */
export const CLUSTER_IP_NONE = 'None';

export interface ServiceRange {
  cidr: string;
  /** The address of index 0 (the network address + 1), as a number. */
  base: number;
  /** How many addresses can be allocated. */
  max: number;
  /** Indexes below it form the band kept for IPs asked by name. */
  offset: number;
}

const OCTET = /^(0|[1-9]\d{0,2})$/;

/** A dotted-quad IPv4 address as a number, or null when it is not one. */
export function parseIPv4(ip: string): number | null {
  const parts = ip.split('.');
  if (parts.length !== 4 || !parts.every((p) => OCTET.test(p) && Number(p) <= 255)) return null;
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

export function formatIPv4(n: number): string {
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** min(max(16, size / 16), 256), and 0 for a range of 16 addresses or fewer (calculateRangeOffset). */
export function rangeOffset(size: number): number {
  if (size <= 16) return 0;
  return Math.min(Math.max(16, Math.floor(size / 16)), 256);
}

/** The allocatable range of an IPv4 CIDR (`a.b.c.d/n`), or null when it is not one. */
export function serviceRange(cidr: string): ServiceRange | null {
  const [ip, bits, ...rest] = cidr.split('/');
  const address = parseIPv4(ip ?? '');
  const prefix = Number(bits);
  if (rest.length || address === null || !/^\d{1,2}$/.test(bits ?? '') || prefix > 32) return null;
  const size = 2 ** (32 - prefix);
  const network = address - (address % size);
  return { cidr: `${formatIPv4(network)}/${prefix}`, base: network + 1, max: Math.max(0, size - 2), offset: rangeOffset(size) };
}

/** The default range, for the API server. */
export const DEFAULT_SERVICE_RANGE = serviceRange(SERVICE_CIDR) as ServiceRange;

export const ERR_FULL = 'range is full';
export const ERR_ALLOCATED = 'provided IP is already allocated';
export const errNotInRange = (ip: string, range: ServiceRange): string => `the provided IP (${ip}) is not in the valid range. The range of valid IPs is ${range.cidr}`;

export type Allocation = { ok: true; ip: string } | { ok: false; message: string };

/** Asks for one address by name (Allocate). `allocated` holds the addresses in use. */
export function allocateIP(range: ServiceRange, ip: string, allocated: ReadonlySet<string>): Allocation {
  const n = parseIPv4(ip);
  if (n === null || n < range.base || n >= range.base + range.max) return { ok: false, message: errNotInRange(ip, range) };
  return allocated.has(formatIPv4(n)) ? { ok: false, message: ERR_ALLOCATED } : { ok: true, ip: formatIPv4(n) };
}

/** The next free address (AllocateNext): a random scan of the upper band, then of the lower one. */
export function allocateNext(range: ServiceRange, allocated: ReadonlySet<string>, random: () => number): Allocation {
  const bands: [number, number][] = [
    [range.offset, range.max - range.offset],
    [0, range.offset],
  ];
  for (const [first, size] of bands) {
    if (size <= 0) continue;
    const start = Math.floor(random() * size);
    for (let i = 0; i < size; i++) {
      const ip = formatIPv4(range.base + first + ((start + i) % size));
      if (!allocated.has(ip)) return { ok: true, ip };
    }
  }
  return { ok: false, message: ERR_FULL };
}
