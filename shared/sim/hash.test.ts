import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { canonicalJson, sameValue } from './hash';

describe('sameValue', () => {
  test('[property] two JSON values are the same exactly when their canonical JSON is (key order and undefined keys aside)', () => {
    const value = fc.jsonValue({ maxDepth: 3 });
    // Pairs that are often equal: a value and a copy with its keys reordered or one leaf changed.
    const reordered = (v: unknown): unknown =>
      Array.isArray(v) ? v.map(reordered) : v !== null && typeof v === 'object' ? Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reordered(x)])) : v;
    fc.assert(
      fc.property(value, value, fc.boolean(), (a, b, copy) => {
        const other = copy ? reordered(a) : b;
        expect(sameValue(a, other)).toBe(canonicalJson(a) === canonicalJson(other));
      }),
      { numRuns: 500 },
    );
  });

  test('a key whose value is undefined is no key; an array is not an object with index keys', () => {
    expect(sameValue({ a: 1, b: undefined }, { a: 1 })).toBe(true);
    expect(sameValue({ a: 1 }, { a: 1, b: 2 })).toBe(false);
    expect(sameValue({ a: undefined }, { b: undefined })).toBe(true);
    expect(sameValue(['x'], { 0: 'x' })).toBe(false);
    expect(sameValue([1, [2, { c: 3 }]], [1, [2, { c: 3 }]])).toBe(true);
    expect(sameValue([1, [2, { c: 3 }]], [1, [2, { c: 4 }]])).toBe(false);
  });
});
