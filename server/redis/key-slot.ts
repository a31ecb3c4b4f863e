/**
 * The Redis Cluster hash slot of a key (cluster spec: CRC16-XMODEM of the key's hash tag, or of
 * the whole key when it has none, modulo 16384). Needed to send a keyless command (WAIT) to the
 * master that holds a key: node-redis sends WAIT to every master when asked by key.
 */
const SLOTS = 16384;

function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

/** The part of the key that is hashed: the first non-empty `{…}`, else the whole key. */
function hashed(key: string): string {
  const open = key.indexOf('{');
  if (open === -1) return key;
  const close = key.indexOf('}', open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : key;
}

export const keySlot = (key: string): number => crc16(new TextEncoder().encode(hashed(key))) % SLOTS;
