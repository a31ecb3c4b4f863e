/**
 * Kubernetes resource quantities (`250m`, `0.5`, `128Mi`, `1G`, `2`), parsed exactly:
 * the arithmetic is done on BigInt fractions, so `0.1` + `0.2` CPU is exactly 300 millicores.
 * Results follow resource.Quantity: `value` is Value() and `milliValue` is MilliValue(),
 * both rounded away from zero to an integer.
 */

/** A quantity as stored in objects. Numbers submitted in JSON are turned into strings by the schemas. */
export type Quantity = string;

export interface ParsedQuantity {
  /** Value() rounded up: bytes for memory, a count for `pods`. */
  readonly value: number;
  /** MilliValue() rounded up: millicores for CPU. */
  readonly milliValue: number;
}

export const QUANTITY_REGEX_TEXT = '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$';
export const QUANTITY_FORMAT_MESSAGE = `quantities must match the regular expression '${QUANTITY_REGEX_TEXT}'`;
export const QUANTITY_SUFFIX_MESSAGE = "unable to parse quantity's suffix";
export const QUANTITY_NUMERIC_MESSAGE = 'unable to parse numeric part of quantity';

export class QuantityError extends Error {
  override readonly name = 'QuantityError';
  constructor(
    readonly input: string,
    readonly reason: string,
  ) {
    super(`${JSON.stringify(input)}: ${reason}`);
  }
}

interface Fraction {
  readonly num: bigint; // signed
  readonly den: bigint; // > 0
}

const BINARY_SUFFIXES: Readonly<Record<string, number>> = { Ki: 1, Mi: 2, Gi: 3, Ti: 4, Pi: 5, Ei: 6 };
const DECIMAL_SUFFIXES: Readonly<Record<string, number>> = {
  n: -9,
  u: -6,
  m: -3,
  '': 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};
const SUFFIX_CHARS = 'eEinumkKMGTP';
const MAX_EXPONENT = 64;

function toText(q: string | number): string {
  if (typeof q === 'number') {
    if (!Number.isFinite(q)) throw new QuantityError(String(q), QUANTITY_FORMAT_MESSAGE);
    return String(q);
  }
  return q;
}

function parseFraction(text: string): Fraction {
  const fail = (reason: string): never => {
    throw new QuantityError(text, reason);
  };
  let pos = 0;
  let negative = false;
  if (text[pos] === '+' || text[pos] === '-') {
    negative = text[pos] === '-';
    pos++;
  }
  const wholeStart = pos;
  while (pos < text.length && isDigit(text[pos])) pos++;
  const whole = text.slice(wholeStart, pos);
  let frac = '';
  if (text[pos] === '.') {
    pos++;
    const fracStart = pos;
    while (pos < text.length && isDigit(text[pos])) pos++;
    frac = text.slice(fracStart, pos);
  }
  if (whole.length + frac.length === 0) fail(QUANTITY_FORMAT_MESSAGE);
  const suffixStart = pos;
  while (pos < text.length && SUFFIX_CHARS.includes(text[pos] ?? '')) pos++;
  if (text[pos] === '+' || text[pos] === '-') pos++;
  while (pos < text.length && isDigit(text[pos])) pos++;
  if (pos !== text.length) fail(QUANTITY_FORMAT_MESSAGE);
  const suffix = text.slice(suffixStart);

  let num = BigInt(whole + frac);
  let den = 10n ** BigInt(frac.length);
  const binary = BINARY_SUFFIXES[suffix];
  const decimal = DECIMAL_SUFFIXES[suffix];
  let exponent: number;
  if (binary !== undefined) {
    num *= 1n << BigInt(10 * binary);
    exponent = 0;
  } else if (decimal !== undefined) {
    exponent = decimal;
  } else if (/^[eE][-+]?\d+$/.test(suffix)) {
    exponent = Number(suffix.slice(1));
  } else {
    return fail(QUANTITY_SUFFIX_MESSAGE);
  }
  if (Math.abs(exponent) > MAX_EXPONENT) fail(QUANTITY_NUMERIC_MESSAGE);
  if (exponent >= 0) num *= 10n ** BigInt(exponent);
  else den *= 10n ** BigInt(-exponent);
  return { num: negative ? -num : num, den };
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

/** Division rounded away from zero, as resource.Quantity rounds Value() and MilliValue(). */
function divAwayFromZero(num: bigint, den: bigint): bigint {
  const magnitude = num < 0n ? -num : num;
  const q = (magnitude + den - 1n) / den;
  return num < 0n ? -q : q;
}

function toSafeNumber(text: string, n: bigint): number {
  if (n > BigInt(Number.MAX_SAFE_INTEGER) || n < -BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new QuantityError(text, QUANTITY_NUMERIC_MESSAGE);
  }
  return Number(n);
}

/**
 * Parses a quantity. Throws `QuantityError` (with Kubernetes' reason text) when it is malformed
 * or its value does not fit a safe integer (about 8 PiB, far outside the game). `milliValue`
 * is exact up to 2^53 millis (9 TB of cores); use `cpuMillis` to have that checked.
 */
export function parseQuantity(q: Quantity | number): ParsedQuantity {
  const text = toText(q);
  const { num, den } = parseFraction(text);
  return {
    value: toSafeNumber(text, divAwayFromZero(num, den)),
    milliValue: Number(divAwayFromZero(num * 1000n, den)),
  };
}

/** Kubernetes' reason when `q` is not a quantity, else undefined. Does not reject negatives. */
export function quantityError(q: unknown): string | undefined {
  if (typeof q !== 'string' && typeof q !== 'number') return QUANTITY_FORMAT_MESSAGE;
  try {
    parseQuantity(q);
    return undefined;
  } catch (err) {
    if (err instanceof QuantityError) return err.reason;
    throw err;
  }
}

export function isQuantity(q: unknown): q is Quantity | number {
  return quantityError(q) === undefined;
}

/** CPU quantity in millicores (`"250m"` -> 250, `"0.5"` -> 500, `2` -> 2000). */
export function cpuMillis(q: Quantity | number): number {
  const text = toText(q);
  const { num, den } = parseFraction(text);
  return toSafeNumber(text, divAwayFromZero(num * 1000n, den));
}

/** Memory quantity in bytes (`"128Mi"` -> 134217728, `"1G"` -> 1e9). */
export function memoryBytes(q: Quantity | number): number {
  return parseQuantity(q).value;
}

/** Any quantity as an integer, rounded up (Value()): e.g. the `pods` count of a node. */
export function quantityValue(q: Quantity | number): number {
  return parseQuantity(q).value;
}

/** Exact comparison (`"1Gi"` > `"1G"`, `"500m"` == `"0.5"`): -1, 0 or 1. */
export function compareQuantities(a: Quantity | number, b: Quantity | number): -1 | 0 | 1 {
  const x = parseFraction(toText(a));
  const y = parseFraction(toText(b));
  const left = x.num * y.den;
  const right = y.num * x.den;
  return left < right ? -1 : left > right ? 1 : 0;
}

function assertInteger(n: number, what: string): void {
  if (!Number.isSafeInteger(n)) throw new RangeError(`${what} must be a safe integer, got ${n}`);
}

/** Canonical CPU text: whole cores as `1`, `2`; otherwise millicores `250m`, `1500m`. */
export function formatCpu(millis: number): Quantity {
  assertInteger(millis, 'millicores');
  return millis % 1000 === 0 ? String(millis / 1000) : `${millis}m`;
}

const BINARY_STEPS: readonly (readonly [string, number])[] = [
  ['Pi', 1024 ** 5],
  ['Ti', 1024 ** 4],
  ['Gi', 1024 ** 3],
  ['Mi', 1024 ** 2],
  ['Ki', 1024],
];
const DECIMAL_STEPS: readonly (readonly [string, number])[] = [
  ['P', 1e15],
  ['T', 1e12],
  ['G', 1e9],
  ['M', 1e6],
  ['k', 1e3],
];

/**
 * Canonical memory text: the largest binary suffix that divides exactly (`128Mi`, `1Gi`,
 * `1536Mi`), else the largest decimal one (`1G`, `500k`), else plain bytes (`1000001`).
 */
export function formatMemory(bytes: number): Quantity {
  assertInteger(bytes, 'bytes');
  if (bytes === 0) return '0';
  for (const steps of [BINARY_STEPS, DECIMAL_STEPS]) {
    for (const [suffix, size] of steps) {
      if (bytes % size === 0) return `${bytes / size}${suffix}`;
    }
  }
  return String(bytes);
}
