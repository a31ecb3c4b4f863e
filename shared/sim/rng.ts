/** The seeded random source every loop takes as an argument (never Math.random): mulberry32. */
export interface Rng {
  /** A float in [0, 1). */
  next(): number;
}

export function seededRng(seed: number): Rng {
  let a = seed >>> 0;
  return {
    next() {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
  };
}

/** An integer in [0, n). */
export function randomInt(rng: Rng, n: number): number {
  return Math.floor(rng.next() * n);
}

/** `length` characters drawn from `alphabet`. */
export function randomString(rng: Rng, alphabet: string, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[randomInt(rng, alphabet.length)] ?? '';
  return out;
}

/** 32-bit FNV-1a of a string. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return hash;
}

/**
 * The random source of one decision in a seeded round: from the round's seed, the resourceVersion of
 * the state it is decided on and who decides. Processes that decide on the same state agree, and the
 * same seed makes the same draws for the same history.
 */
export function decisionRng(seed: number, resourceVersion: string, decider: string): Rng {
  return seededRng(fnv1a(`${seed}/${resourceVersion}/${decider}`));
}
