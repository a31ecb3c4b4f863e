import type { NetworkInterfaceInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import { joinBaseUrl, lanAddress } from './join-url';

const card = (address: string, family: 'IPv4' | 'IPv6' = 'IPv4', internal = false): NetworkInterfaceInfo =>
  ({ address, family, internal, netmask: '', mac: '00:00:00:00:00:00', cidr: null, ...(family === 'IPv6' ? { scopeid: 0 } : {}) }) as NetworkInterfaceInfo;

// A laptop on the classroom Wi-Fi, as os.networkInterfaces() lists it: loopback first, then the cards.
const laptop = {
  lo: [card('127.0.0.1', 'IPv4', true), card('::1', 'IPv6', true)],
  docker0: [card('169.254.10.2')],
  wlan0: [card('fe80::1c2a', 'IPv6'), card('192.168.1.23')],
  eth1: [card('10.0.0.5')],
};

describe('the join link students open', () => {
  it('is PUBLIC_URL when set, without a trailing slash, whatever the network cards say', () => {
    expect(joinBaseUrl({ publicUrl: 'https://class.example.org/', host: '0.0.0.0', port: 3000, interfaces: laptop })).toBe('https://class.example.org');
  });

  it("is the first network card's IPv4 address on the listening port: never loopback, link-local or IPv6", () => {
    expect(lanAddress(laptop)).toBe('192.168.1.23');
    expect(joinBaseUrl({ host: '0.0.0.0', port: 3000, interfaces: laptop })).toBe('http://192.168.1.23:3000');
    expect(joinBaseUrl({ host: '::', port: 8080, interfaces: laptop })).toBe('http://192.168.1.23:8080');
  });

  it('is the listening address itself when the server listens on one address of the LAN', () => {
    expect(joinBaseUrl({ host: '10.0.0.5', port: 3000, interfaces: laptop })).toBe('http://10.0.0.5:3000');
  });

  it('is unknown (the caller falls back to the address the browser used) on loopback only, or with no network card up', () => {
    expect(joinBaseUrl({ host: '127.0.0.1', port: 3000, interfaces: laptop })).toBeNull();
    expect(joinBaseUrl({ host: 'localhost', port: 3000, interfaces: laptop })).toBeNull();
    expect(joinBaseUrl({ host: '0.0.0.0', port: 3000, interfaces: { lo: laptop.lo } })).toBeNull();
    expect(lanAddress({})).toBeNull();
  });
});
