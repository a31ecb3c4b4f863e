import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import {
  QUANTITY_FORMAT_MESSAGE,
  QUANTITY_SUFFIX_MESSAGE,
  QuantityError,
  compareQuantities,
  cpuMillis,
  formatCpu,
  formatMemory,
  memoryBytes,
  parseQuantity,
  quantityError,
  quantityValue,
} from './quantity';

describe('parseQuantity', () => {
  test.each([
    ['250m', 250],
    ['1', 1000],
    ['0.5', 500],
    [2, 2000],
    [0.25, 250],
    ['1.5', 1500],
    ['100m', 100],
    ['0.1', 100],
    ['1e3', 1_000_000],
    ['+2', 2000],
    ['.5', 500],
    ['0.0001', 1], // MilliValue rounds up
    ['1500u', 2], // 1.5m rounds up to 2m
  ])('[quantity] CPU %j is %i millicores', (q, millis) => {
    expect(cpuMillis(q)).toBe(millis);
  });

  test.each([
    ['128Mi', 134_217_728],
    ['1Gi', 1_073_741_824],
    ['1.5Gi', 1_610_612_736],
    ['1G', 1_000_000_000],
    ['500k', 500_000],
    ['512Ki', 524_288],
    ['2Ti', 2 * 1024 ** 4],
    ['1M', 1_000_000],
    ['1000', 1000],
    ['0.5', 1], // Value rounds up
    ['1e6', 1_000_000],
    ['1Pi', 1024 ** 5],
  ])('[quantity] %j is %i bytes', (q, bytes) => {
    expect(memoryBytes(q)).toBe(bytes);
  });

  test('[quantity] "110" pods is 110', () => {
    expect(quantityValue('110')).toBe(110);
  });

  test('[quantity] no float drift: 0.1 + 0.2 CPU is exactly 300m', () => {
    expect(cpuMillis('0.1') + cpuMillis('0.2')).toBe(300);
    expect(parseQuantity('0.3')).toEqual({ mantissa: 3n, exponent: -1, format: 'DecimalSI' });
    expect([quantityValue('0.3'), cpuMillis('0.3')]).toEqual([1, 300]);
  });

  test.each([
    ['abc', QUANTITY_FORMAT_MESSAGE],
    ['1.5.5', QUANTITY_FORMAT_MESSAGE],
    ['', QUANTITY_FORMAT_MESSAGE],
    ['1 Gi', QUANTITY_FORMAT_MESSAGE],
    ['1Gu', QUANTITY_SUFFIX_MESSAGE],
    ['1K', QUANTITY_SUFFIX_MESSAGE], // only lowercase k is kilo
    ['1e', QUANTITY_SUFFIX_MESSAGE],
  ])('[quantity] %j is rejected: %s', (q, reason) => {
    expect(quantityError(q)).toBe(reason);
    expect(() => parseQuantity(q)).toThrow(QuantityError);
  });

  test('[quantity] non-finite numbers and non-quantities are rejected', () => {
    expect(quantityError(Number.NaN)).toBe(QUANTITY_FORMAT_MESSAGE);
    expect(quantityError(Infinity)).toBe(QUANTITY_FORMAT_MESSAGE);
    expect(quantityError(null)).toBe(QUANTITY_FORMAT_MESSAGE);
  });

  test('[quantity] values past 2^53 parse exactly; as numbers they are the nearest double', () => {
    expect(quantityError('1e100')).toBeUndefined();
    expect(memoryBytes('3Ei')).toBe(3 * 2 ** 60);
    expect(compareQuantities('9223372036854775807', '9223372036854775806')).toBe(1);
    expect(cpuMillis('1e400')).toBe(Infinity);
  });

  test('[quantity] a lone point or a bare suffix is zero, as Kubernetes parses them', () => {
    expect([quantityValue('.'), quantityValue('Gi'), quantityValue('+')]).toEqual([0, 0, 0]);
  });

  test('[quantity] "-1" parses (negativity is a validation rule, not a syntax rule)', () => {
    expect(quantityError('-1')).toBeUndefined();
    expect(cpuMillis('-1')).toBe(-1000);
  });
});

describe('compareQuantities', () => {
  test.each([
    ['1Gi', '1G', 1],
    ['500m', '0.5', 0],
    ['1', '1000m', 0],
    ['128Mi', '134217728', 0],
    ['100m', '0.2', -1],
    ['1k', '1Ki', -1],
  ] as const)('[quantity] compare(%j, %j) is %i', (a, b, expected) => {
    expect(compareQuantities(a, b)).toBe(expected);
  });
});

describe('format', () => {
  test.each([
    [250, '250m'],
    [1000, '1'],
    [1500, '1500m'],
    [0, '0'],
    [4000, '4'],
  ])('[quantity] formatCpu(%i) is %j', (millis, text) => {
    expect(formatCpu(millis)).toBe(text);
  });

  test.each([
    [134_217_728, '128Mi'],
    [1_073_741_824, '1Gi'],
    [1_610_612_736, '1536Mi'],
    [1_000_000_000, '1000000000'], // BinarySI: 1024 does not divide it
    [500_000, '500000'],
    [0, '0'],
    [1001, '1001'],
    [1024, '1Ki'],
  ])('[quantity] formatMemory(%i) is %j', (bytes, text) => {
    expect(formatMemory(bytes)).toBe(text);
  });

  test('[quantity] formatting needs integers', () => {
    expect(() => formatCpu(0.5)).toThrow(RangeError);
    expect(() => formatMemory(1.5)).toThrow(RangeError);
  });

  test('[quantity] property: canonical CPU quantities round-trip through parse and format', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e12, max: 1e12 }), (millis) => {
        const text = formatCpu(millis);
        expect(cpuMillis(text)).toBe(millis);
        expect(formatCpu(cpuMillis(text))).toBe(text);
      }),
    );
  });

  test('[quantity] property: canonical memory quantities round-trip through parse and format', () => {
    const bytes = fc.oneof(
      fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
      fc.tuple(fc.integer({ min: 1, max: 4096 }), fc.constantFrom(1, 1000, 1024, 1e6, 1024 ** 2, 1e9, 1024 ** 3, 1024 ** 4)).map(([n, unit]) => n * unit),
    );
    fc.assert(
      fc.property(bytes, (b) => {
        const text = formatMemory(b);
        expect(memoryBytes(text)).toBe(b);
        expect(formatMemory(memoryBytes(text))).toBe(text);
      }),
    );
  });
});
