/**
 * resource.Quantity cases, from apimachinery's quantity_test.go (1.32 unless the case says otherwise).
 * A value is written as [mantissa, exponent]: mantissa * 10^exponent.
 */
import type { QuantityFormat } from '../quantity';
import { K8S_AFTER_132, k8s, type K8sCase, type K8sSource } from './source';

const FILE = 'staging/src/k8s.io/apimachinery/pkg/api/resource/quantity_test.go';
const src = (test: string, version?: string): K8sSource => k8s(FILE, test, version);

export interface ParseCase extends K8sCase {
  input: string;
  mantissa: bigint;
  exponent: number;
  format: QuantityFormat;
}

const MAX_INT64 = 2n ** 63n - 1n;
const parseRows: [string, bigint, number, QuantityFormat][] = [
  ['0', 0n, 0, 'DecimalSI'], ['0n', 0n, 0, 'DecimalSI'], ['0u', 0n, 0, 'DecimalSI'], ['0m', 0n, 0, 'DecimalSI'],
  ['0Ki', 0n, 0, 'BinarySI'], ['0k', 0n, 0, 'DecimalSI'], ['0Mi', 0n, 0, 'BinarySI'], ['0M', 0n, 0, 'DecimalSI'],
  ['0Gi', 0n, 0, 'BinarySI'], ['0G', 0n, 0, 'DecimalSI'], ['0Ti', 0n, 0, 'BinarySI'], ['0T', 0n, 0, 'DecimalSI'],
  ['1', 1n, 0, 'DecimalSI'],
  ['1Ki', 1024n, 0, 'BinarySI'], ['8Ki', 8n * 1024n, 0, 'BinarySI'], ['7Mi', 7n * 1024n ** 2n, 0, 'BinarySI'],
  ['6Gi', 6n * 1024n ** 3n, 0, 'BinarySI'], ['5Ti', 5n * 1024n ** 4n, 0, 'BinarySI'], ['4Pi', 4n * 1024n ** 5n, 0, 'BinarySI'],
  ['3Ei', 3n * 1024n ** 6n, 0, 'BinarySI'], ['10Ti', 10n * 1024n ** 4n, 0, 'BinarySI'], ['100Ti', 100n * 1024n ** 4n, 0, 'BinarySI'],
  ['5n', 5n, -9, 'DecimalSI'], ['4u', 4n, -6, 'DecimalSI'], ['3m', 3n, -3, 'DecimalSI'], ['9', 9n, 0, 'DecimalSI'],
  ['8k', 8n, 3, 'DecimalSI'], ['50k', 5n, 4, 'DecimalSI'], ['7M', 7n, 6, 'DecimalSI'], ['6G', 6n, 9, 'DecimalSI'],
  ['5T', 5n, 12, 'DecimalSI'], ['40T', 4n, 13, 'DecimalSI'], ['300T', 3n, 14, 'DecimalSI'], ['2P', 2n, 15, 'DecimalSI'],
  ['1E', 1n, 18, 'DecimalSI'],
  ['1E-3', 1n, -3, 'DecimalExponent'], ['1e3', 1n, 3, 'DecimalExponent'], ['1E6', 1n, 6, 'DecimalExponent'],
  ['1e9', 1n, 9, 'DecimalExponent'], ['1E12', 1n, 12, 'DecimalExponent'], ['1e15', 1n, 15, 'DecimalExponent'],
  ['1E18', 1n, 18, 'DecimalExponent'], ['1e14', 1n, 14, 'DecimalExponent'], ['1e13', 1n, 13, 'DecimalExponent'],
  ['100.035k', 100035n, 0, 'DecimalSI'],
  ['0.001', 1n, -3, 'DecimalSI'], ['0.0005k', 5n, -1, 'DecimalSI'], ['0.005', 5n, -3, 'DecimalSI'], ['0.05', 5n, -2, 'DecimalSI'],
  ['0.5', 5n, -1, 'DecimalSI'], ['0.00050k', 5n, -1, 'DecimalSI'], ['0.00500', 5n, -3, 'DecimalSI'], ['0.05000', 5n, -2, 'DecimalSI'],
  ['0.50000', 5n, -1, 'DecimalSI'], ['0.5e0', 5n, -1, 'DecimalExponent'], ['0.5e-1', 5n, -2, 'DecimalExponent'],
  ['0.5e-2', 5n, -3, 'DecimalExponent'], ['10.035M', 10035n, 3, 'DecimalSI'],
  ['1.2e3', 12n, 2, 'DecimalExponent'], ['1.3E+6', 13n, 5, 'DecimalExponent'], ['1.40e9', 14n, 8, 'DecimalExponent'],
  ['1.53E12', 153n, 10, 'DecimalExponent'], ['1.6e15', 16n, 14, 'DecimalExponent'], ['1.7E18', 17n, 17, 'DecimalExponent'],
  ['9.01', 901n, -2, 'DecimalSI'], ['8.1k', 81n, 2, 'DecimalSI'], ['7.123456M', 7123456n, 0, 'DecimalSI'],
  ['6.987654321G', 6987654321n, 0, 'DecimalSI'], ['5.444T', 5444n, 9, 'DecimalSI'], ['40.1T', 401n, 11, 'DecimalSI'],
  ['300.2T', 3002n, 11, 'DecimalSI'], ['2.5P', 25n, 14, 'DecimalSI'], ['1.01E', 101n, 16, 'DecimalSI'],
  // Rounded up to whole nanos.
  ['3.001n', 4n, -9, 'DecimalSI'], ['1.1E-9', 2n, -9, 'DecimalExponent'], ['0.0000000001', 1n, -9, 'DecimalSI'],
  ['0.0000000005', 1n, -9, 'DecimalSI'], ['0.00000000050', 1n, -9, 'DecimalSI'], ['0.5e-9', 1n, -9, 'DecimalExponent'],
  ['0.9n', 1n, -9, 'DecimalSI'], ['0.00000012345', 124n, -9, 'DecimalSI'], ['0.00000012354', 124n, -9, 'DecimalSI'],
  // BinarySI is capped at the largest int64; decimal values are not.
  ['9Ei', MAX_INT64, 0, 'BinarySI'], ['9223372036854775807Ki', MAX_INT64, 0, 'BinarySI'], ['12E', 12n, 18, 'DecimalSI'],
  ['100.035Ki', 10243584n, -2, 'BinarySI'], ['0.5Mi', 524288n, 0, 'BinarySI'], ['0.05Gi', 536870912n, -1, 'BinarySI'],
  ['0.025Ti', 274877906944n, -1, 'BinarySI'],
  // Odd but valid forms.
  ['0.000000000001Ki', 2n, -9, 'DecimalSI'], ['.001', 1n, -3, 'DecimalSI'], ['.0001k', 100n, -3, 'DecimalSI'],
  ['1.', 1n, 0, 'DecimalSI'], ['1.G', 1n, 9, 'DecimalSI'],
];
export const PARSE_CASES: ParseCase[] = [
  ...parseRows.map(([input, mantissa, exponent, format]) => ({ source: src('TestQuantityParse'), input, mantissa, exponent, format })),
  // parseQuantityString accepts a lone point, with or without a sign: the value is zero.
  { source: src('TestParseQuantityString'), input: '.', mantissa: 0n, exponent: 0, format: 'DecimalSI' },
  { source: src('TestParseQuantityString'), input: '-.', mantissa: 0n, exponent: 0, format: 'DecimalSI' },
];

export interface InvalidCase extends K8sCase {
  input: string;
}
export const INVALID_CASES: InvalidCase[] = [
  ...['', '1.1.M', '1+1.0M', '0.1mi', '0.1am', 'aoeu', '.5i', '1i', '-3.01i', '-3.01e-', ' 1', '1 '].map((input) => ({
    source: src('TestQuantityParse'),
    input,
  })),
  // An exponent past int32 used to be truncated to an unrelated value; later releases refuse it, and so do we.
  { source: src('TestQuantityParse', K8S_AFTER_132), input: '1e4294967297' },
];

export interface CmpCase extends K8sCase {
  x: string;
  y: string;
  expect: -1 | 0 | 1;
}
export const CMP_CASES: CmpCase[] = (
  [
    ['0', '0', 0],
    ['100m', '50m', 1],
    ['50m', '100m', -1],
    ['10000T', '100Gi', 1],
  ] as const
).map(([x, y, expect]) => ({ source: src('TestQuantityCmp'), x, y, expect }));

export interface StringCase extends K8sCase {
  mantissa: bigint;
  exponent: number;
  format: QuantityFormat;
  expect: string;
  /** Another spelling that must print as `expect` once parsed ('' when none). */
  alternate: string;
}
const stringRows: [bigint, number, QuantityFormat, string, string][] = [
  [1024n ** 3n, 0, 'BinarySI', '1Gi', '1024Mi'], [300n * 1024n ** 2n, 0, 'BinarySI', '300Mi', '307200Ki'],
  [6n * 1024n, 0, 'BinarySI', '6Ki', ''], [1001n * 1024n ** 3n, 0, 'BinarySI', '1001Gi', '1025024Mi'],
  [1024n ** 4n, 0, 'BinarySI', '1Ti', '1024Gi'], [5n, 0, 'BinarySI', '5', '5000m'], [500n, -3, 'BinarySI', '500m', '0.5'],
  [1n, 9, 'DecimalSI', '1G', '1000M'], [1000n, 6, 'DecimalSI', '1G', '0.001T'], [1000000n, 3, 'DecimalSI', '1G', ''],
  [1000000000n, 0, 'DecimalSI', '1G', ''], [1n, -3, 'DecimalSI', '1m', '1000u'], [80n, -3, 'DecimalSI', '80m', ''],
  [1080n, -3, 'DecimalSI', '1080m', '1.08'], [108n, -2, 'DecimalSI', '1080m', '1080000000n'], [10800n, -4, 'DecimalSI', '1080m', ''],
  [300n, 6, 'DecimalSI', '300M', ''], [1n, 12, 'DecimalSI', '1T', ''], [1234567n, 6, 'DecimalSI', '1234567M', ''],
  [1234567n, -3, 'BinarySI', '1234567m', ''], [3n, 3, 'DecimalSI', '3k', ''], [1025n, 0, 'BinarySI', '1025', ''],
  [0n, 0, 'DecimalSI', '0', ''], [0n, 0, 'BinarySI', '0', ''], [1n, 9, 'DecimalExponent', '1e9', '.001e12'],
  [1n, -3, 'DecimalExponent', '1e-3', '0.001e0'], [1n, -9, 'DecimalExponent', '1e-9', '1000e-12'],
  [80n, -3, 'DecimalExponent', '80e-3', ''], [300n, 6, 'DecimalExponent', '300e6', ''], [1n, 12, 'DecimalExponent', '1e12', ''],
  [1n, 3, 'DecimalExponent', '1e3', ''], [3n, 3, 'DecimalExponent', '3e3', ''], [0n, 0, 'DecimalExponent', '0', '00'],
  [1n, -9, 'DecimalSI', '1n', ''], [80n, -9, 'DecimalSI', '80n', ''], [1080n, -9, 'DecimalSI', '1080n', ''],
  [108n, -8, 'DecimalSI', '1080n', ''], [10800n, -10, 'DecimalSI', '1080n', ''], [1n, -6, 'DecimalSI', '1u', ''],
  [80n, -6, 'DecimalSI', '80u', ''], [1080n, -6, 'DecimalSI', '1080u', ''], [1n, 18, 'DecimalSI', '1E', ''],
];
// Past the last suffix (E, Ei) 1.32 dropped the magnitude (`1000E` printed as `1`); later releases
// print exponent notation, and so do we: a quantity must never change value by being printed.
const laterStringRows: [bigint, number, QuantityFormat, string, string][] = [
  [1n, 21, 'DecimalSI', '1e21', '1000E'], [5n, 21, 'DecimalSI', '5e21', '5000E'], [1n, 24, 'DecimalSI', '1e24', '1000000E'],
  [1n, 70, 'BinarySI', '10e69', ''], [2n, 70, 'BinarySI', '20e69', ''], [1n, 72, 'BinarySI', '1e72', ''],
  [2n ** 70n, 0, 'BinarySI', '1180591620717411303424', ''],
];
export const STRING_CASES: StringCase[] = [
  ...stringRows.map(([mantissa, exponent, format, expect, alternate]) => ({ source: src('TestQuantityString'), mantissa, exponent, format, expect, alternate })),
  ...laterStringRows.map(([mantissa, exponent, format, expect, alternate]) => ({
    source: src('TestQuantityString', K8S_AFTER_132),
    mantissa,
    exponent,
    format,
    expect,
    alternate,
  })),
  // A BinarySI value that 1024 does not divide prints as plain digits, not with a decimal suffix.
  ...([[2000n, '2000'], [-2000n, '-2000']] as const).map(([mantissa, expect]) => ({
    source: src('TestBinarySIZeroExponentString', K8S_AFTER_132),
    mantissa,
    exponent: 0,
    format: 'BinarySI' as const,
    expect,
    alternate: '',
  })),
];

export interface EmitCase extends K8sCase {
  input: string;
  expect: string;
}
export const EMIT_CASES: EmitCase[] = (
  [
    ['1Ki', '1Ki'], ['1Mi', '1Mi'], ['1Gi', '1Gi'], ['1024Mi', '1Gi'], ['1000M', '1G'],
    ['.001Ki', '1024m'], ['.000001Ki', '1024u'], ['.000000001Ki', '1024n'], ['.000000000001Ki', '2n'],
  ] as const
).map(([input, expect]) => ({ source: src('TestQuantityParseEmit'), input, expect }));

export interface RoundUpCase extends K8sCase {
  input: string;
  scale: number;
  /** The rounded value, [mantissa, exponent]. */
  expect: readonly [bigint, number];
}
export const ROUND_UP_CASES: RoundUpCase[] = (
  [
    ['9.01', -3, [901n, -2]], ['9.01', -2, [901n, -2]], ['9.01', -1, [91n, -1]], ['9.01', 0, [10n, 0]], ['9.01', 1, [10n, 0]],
    ['9.01', 2, [100n, 0]], ['-9.01', -3, [-901n, -2]], ['-9.01', -2, [-901n, -2]], ['-9.01', -1, [-91n, -1]],
    ['-9.01', 0, [-10n, 0]], ['-9.01', 1, [-10n, 0]], ['-9.01', 2, [-100n, 0]],
  ] as const
).map(([input, scale, expect]) => ({ source: src('TestQuantityRoundUp'), input, scale, expect }));

export interface NewCase extends K8sCase {
  /** NewMilliQuantity (scale -3), NewQuantity (0) or NewScaledQuantity (any scale). */
  value: bigint;
  scale: number;
  format: QuantityFormat;
  expect: string;
}
export const NEW_CASES: NewCase[] = [
  ...(
    [
      [1n, 'DecimalSI', '1m'], [1000n, 'DecimalSI', '1'], [1234000n, 'DecimalSI', '1234'],
      [1024n, 'BinarySI', '1024m'], [1024n * 1024n, 'BinarySI', '1048576m'],
    ] as const
  ).map(([value, format, expect]) => ({ source: src('TestMilliNewSet'), value, scale: -3, format, expect })),
  ...(
    [
      [1n, 'DecimalSI', '1'], [1000n, 'DecimalSI', '1k'], [1234000n, 'DecimalSI', '1234k'],
      [1024n, 'BinarySI', '1Ki'], [1024n * 1024n, 'BinarySI', '1Mi'],
    ] as const
  ).map(([value, format, expect]) => ({ source: src('TestNewSet'), value, scale: 0, format, expect })),
  ...(
    [
      [1n, -9, '1n'], [1000n, -9, '1u'], [1n, -6, '1u'], [1000n, -6, '1m'], [1n, -3, '1m'], [1000n, -3, '1'],
      [1n, 0, '1'], [0n, -9, '0'], [0n, -6, '0'], [0n, -3, '0'], [0n, 0, '0'],
    ] as const
  ).map(([value, scale, expect]) => ({ source: src('TestNewScaledSet'), value, scale, format: 'DecimalSI' as const, expect })),
];

export interface ScaledValueCase extends K8sCase {
  from: number;
  to: number;
  expect: bigint;
}
export const SCALED_VALUE_CASES: ScaledValueCase[] = (
  [
    [-9, -9, 1n], [-9, -6, 1n], [-9, -3, 1n], [-9, 0, 1n], [-6, -9, 1000n], [-6, -6, 1n], [-6, -3, 1n], [-6, 0, 1n],
    [-3, -9, 1000000n], [-3, -6, 1000n], [-3, -3, 1n], [-3, 0, 1n], [0, -9, 1000000000n], [0, -6, 1000000n], [0, -3, 1000n],
    [0, 0, 1n], [2, -2, 10000n],
  ] as const
).map(([from, to, expect]) => ({ source: src('TestScaledValue'), from, to, expect }));
