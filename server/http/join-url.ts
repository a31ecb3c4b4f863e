import type { NetworkInterfaceInfo } from 'node:os';

export interface JoinUrlInputs {
  /** `PUBLIC_URL`: where students reach this server (a proxy, a DNS name); wins when set. */
  publicUrl?: string | undefined;
  /** The address the server listens on (`HOST`). */
  host: string;
  /** The port it listens on. */
  port: number;
  /** `os.networkInterfaces()`, as of now (a laptop may have moved to the classroom's network). */
  interfaces: NodeJS.Dict<NetworkInterfaceInfo[]>;
}

const WILDCARDS = new Set(['0.0.0.0', '::', '']);
const isLoopback = (host: string): boolean => host === 'localhost' || host === '::1' || host.startsWith('127.');

/** The first IPv4 address of a network card (not loopback, not link-local), in the order the system lists them. */
export function lanAddress(interfaces: JoinUrlInputs['interfaces']): string | null {
  for (const addresses of Object.values(interfaces)) {
    for (const a of addresses ?? []) if (a.family === 'IPv4' && !a.internal && !a.address.startsWith('169.254.')) return a.address;
  }
  return null;
}

/**
 * Where students' phones open the classroom: `PUBLIC_URL` when set; else this machine's LAN address
 * on the listening port, since `localhost` on a phone is the phone. Null when neither exists (the
 * server listens on loopback only, or the machine has no network card up): then only the address
 * the instructor's own browser used can work, and the caller falls back to it.
 */
export function joinBaseUrl({ publicUrl, host, port, interfaces }: JoinUrlInputs): string | null {
  if (publicUrl) return publicUrl.replace(/\/+$/, '');
  if (isLoopback(host)) return null;
  const address = WILDCARDS.has(host) ? lanAddress(interfaces) : host;
  if (!address) return null;
  return `http://${address.includes(':') ? `[${address}]` : address}:${port}`;
}
