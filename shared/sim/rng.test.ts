import { describe, expect, it } from 'vitest';
import { decisionRng, randomString } from './rng';

const draws = (seed: number, rv: string, decider: string) => randomString(decisionRng(seed, rv, decider), 'bcdfghjklmnpqrstvwxz2456789', 5);

describe('decisionRng: a seeded round draws the same for the same decision', () => {
  it('gives the same draws for the same seed, state version and decider, on any process', () => {
    expect(draws(42, '118', 'controller-manager')).toBe(draws(42, '118', 'controller-manager'));
  });

  it('differs when the seed, the version or the decider differs', () => {
    const base = draws(42, '118', 'controller-manager');
    expect(new Set([base, draws(43, '118', 'controller-manager'), draws(42, '119', 'controller-manager'), draws(42, '118', 'scheduler')]).size).toBe(4);
  });

  it('spreads its first draw over [0, 1) across versions', () => {
    const firsts = Array.from({ length: 1000 }, (_, rv) => decisionRng(7, String(rv), 'kubelet:node-1').next());
    const buckets = [0, 0, 0, 0];
    for (const x of firsts) buckets[Math.floor(x * 4)]! += 1;
    for (const count of buckets) expect(count).toBeGreaterThan(200);
  });
});
