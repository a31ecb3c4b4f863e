import { describe, expect, test } from 'vitest';
import { canonicalQuantity, compareQuantities, parseQuantity, quantityError, scaledValue, type ParsedQuantity } from '../quantity';
import { CMP_CASES, EMIT_CASES, INVALID_CASES, NEW_CASES, PARSE_CASES, ROUND_UP_CASES, SCALED_VALUE_CASES, STRING_CASES } from './quantity.cases';
import { caseTitle } from './source';

const q = (mantissa: bigint, exponent: number, format: ParsedQuantity['format'] = 'DecimalSI'): ParsedQuantity => ({ mantissa, exponent, format });
const negated = (p: ParsedQuantity): ParsedQuantity => ({ ...p, mantissa: -p.mantissa });

describe('quantities, case for case with Kubernetes', () => {
  for (const c of PARSE_CASES) {
    test(caseTitle(c, `parse ${JSON.stringify(c.input)}`), () => {
      const want = q(c.mantissa, c.exponent, c.format);
      const got = parseQuantity(c.input);
      expect(compareQuantities(got, want)).toBe(0);
      expect(got.format).toBe(c.format);
      if (c.source.test !== 'TestQuantityParse') return;
      // The same with an explicit sign, as the upstream loops check.
      const plus = parseQuantity(`+${c.input}`);
      expect([compareQuantities(plus, want), plus.format]).toEqual([0, c.format]);
      const minus = parseQuantity(`-${c.input}`);
      expect([compareQuantities(minus, negated(want)), minus.format]).toEqual([0, c.format]);
    });
  }

  for (const c of INVALID_CASES) {
    test(caseTitle(c, `refuse ${JSON.stringify(c.input)}`), () => {
      expect(quantityError(c.input)).toBeDefined();
    });
  }

  for (const c of CMP_CASES) {
    test(caseTitle(c, `cmp(${c.x}, ${c.y}) = ${c.expect}`), () => {
      expect(compareQuantities(c.x, c.y)).toBe(c.expect);
      expect(compareQuantities(c.y, c.x)).toBe(-c.expect || 0);
    });
  }

  for (const c of STRING_CASES) {
    test(caseTitle(c, `${c.mantissa}e${c.exponent} ${c.format} prints ${c.expect}`), () => {
      const value = q(c.mantissa, c.exponent, c.format);
      expect(canonicalQuantity(value)).toBe(c.expect);
      if (c.mantissa !== 0n && !c.expect.startsWith('-')) expect(canonicalQuantity(negated(value))).toBe(`-${c.expect}`);
      // The printed text parses back to the same value (and prints the same).
      expect(compareQuantities(parseQuantity(c.expect), value)).toBe(0);
      if (c.source.test === 'TestQuantityString') expect(canonicalQuantity(c.expect)).toBe(c.expect);
      if (c.alternate !== '') expect(canonicalQuantity(c.alternate)).toBe(c.expect);
    });
  }

  for (const c of EMIT_CASES) {
    test(caseTitle(c, `${c.input} prints ${c.expect}`), () => {
      expect(canonicalQuantity(c.input)).toBe(c.expect);
      expect(canonicalQuantity(`-${c.input}`)).toBe(`-${c.expect}`);
    });
  }

  for (const c of ROUND_UP_CASES) {
    test(caseTitle(c, `${c.input} rounded up to 10^${c.scale}`), () => {
      const [mantissa, exponent] = c.expect;
      const rounded = q(scaledValue(c.input, c.scale), c.scale);
      expect(compareQuantities(rounded, q(mantissa, exponent))).toBe(0);
    });
  }

  for (const c of NEW_CASES) {
    test(caseTitle(c, `${c.value}e${c.scale} ${c.format} prints ${c.expect}`), () => {
      expect(canonicalQuantity(q(c.value, c.scale, c.format))).toBe(c.expect);
      if (c.format === 'DecimalSI') expect(scaledValue(c.expect, c.scale)).toBe(c.value);
    });
  }

  for (const c of SCALED_VALUE_CASES) {
    test(caseTitle(c, `1e${c.from} in units of 1e${c.to} is ${c.expect}`), () => {
      expect(scaledValue(q(1n, c.from), c.to)).toBe(c.expect);
    });
  }
});
