/**
 * Kubernetes resource quantities (`250m`, `0.5`, `128Mi`, `1G`, `3Ei`, `1e21`), as resource.Quantity
 * parses, rounds, compares and prints them. A quantity is held as an exact decimal, a BigInt
 * mantissa times a power of ten, so nothing is limited to 2^53 and a huge exponent costs nothing.
 * Parsing rounds up to whole nanos (away from zero); Value() and MilliValue() also round away from zero.
 */

/** A quantity as stored in objects. Numbers submitted in JSON are turned into strings by the schemas. */
export type Quantity = string;

/** How the quantity prints itself (resource.Format), taken from the suffix it was written with. */
export type QuantityFormat = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

/** The value is `mantissa * 10^exponent`, exactly. */
export interface ParsedQuantity {
  readonly mantissa: bigint;
  readonly exponent: number;
  readonly format: QuantityFormat;
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

const BINARY_SUFFIXES: Readonly<Record<string, number>> = { Ki: 1, Mi: 2, Gi: 3, Ti: 4, Pi: 5, Ei: 6 };
const DECIMAL_SUFFIXES: Readonly<Record<string, number>> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const DECIMAL_SUFFIX_OF: ReadonlyMap<number, string> = new Map(Object.entries(DECIMAL_SUFFIXES).map(([s, e]) => [e, s]));
const BINARY_SUFFIX_OF: ReadonlyMap<number, string> = new Map(Object.entries(BINARY_SUFFIXES).map(([s, e]) => [e, s]));
const SUFFIX_CHARS = 'eEinumkKMGTP';
/** The exponent is an int32 scale that gets negated, so ±(2^31 - 1) is the widest accepted. */
const MAX_EXPONENT = 2 ** 31 - 1;
const NANO = -9;
/** BinarySI values are capped at the largest int64 (maxAllowed). */
const MAX_ALLOWED = 2n ** 63n - 1n;

const pow10 = (n: number): bigint => 10n ** BigInt(n);
const abs = (n: bigint): bigint => (n < 0n ? -n : n);

function toText(q: string | number): string {
  if (typeof q === 'number') {
    if (!Number.isFinite(q)) throw new QuantityError(String(q), QUANTITY_FORMAT_MESSAGE);
    return String(q);
  }
  return q;
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

/** Splits `-1.5Gi` into sign, whole digits, fraction digits and suffix, with Kubernetes' leniency (`.`, `1.`, `+`). */
function split(text: string): { negative: boolean; whole: string; frac: string; suffix: string } {
  const fail = (): never => {
    throw new QuantityError(text, QUANTITY_FORMAT_MESSAGE);
  };
  if (text === '') fail();
  let pos = 0;
  const negative = text[0] === '-';
  if (text[0] === '-' || text[0] === '+') pos++;
  const wholeStart = pos;
  while (isDigit(text[pos])) pos++;
  const whole = text.slice(wholeStart, pos);
  let frac = '';
  if (text[pos] === '.') {
    const fracStart = ++pos;
    while (isDigit(text[pos])) pos++;
    frac = text.slice(fracStart, pos);
  }
  const suffixStart = pos;
  while (pos < text.length && SUFFIX_CHARS.includes(text[pos] ?? '')) pos++;
  if (text[pos] === '+' || text[pos] === '-') pos++;
  while (isDigit(text[pos])) pos++;
  if (pos !== text.length) fail();
  return { negative, whole, frac, suffix: text.slice(suffixStart) };
}

/** The suffix as a base-10 exponent, a binary power (1024^n) or a written exponent. */
function interpretSuffix(text: string, suffix: string): { format: QuantityFormat; exponent: number; binary: number } {
  const binary = BINARY_SUFFIXES[suffix];
  if (binary !== undefined) return { format: 'BinarySI', exponent: 0, binary };
  const decimal = DECIMAL_SUFFIXES[suffix];
  if (decimal !== undefined) return { format: 'DecimalSI', exponent: decimal, binary: 0 };
  if (/^[eE][-+]?\d+$/.test(suffix)) {
    const exponent = Number(suffix.slice(1));
    if (Math.abs(exponent) <= MAX_EXPONENT) return { format: 'DecimalExponent', exponent, binary: 0 };
  }
  throw new QuantityError(text, QUANTITY_SUFFIX_MESSAGE);
}

/** Rounds `mantissa * 10^exponent` up (away from zero) to a multiple of 10^scale. */
function roundUpTo(mantissa: bigint, exponent: number, scale: number): { mantissa: bigint; exponent: number } {
  if (exponent >= scale || mantissa === 0n) return { mantissa, exponent };
  const shift = scale - exponent;
  const magnitude = abs(mantissa);
  // A shift past every digit leaves less than one unit: it rounds up to exactly one.
  const q = shift > magnitude.toString().length ? 1n : (magnitude + pow10(shift) - 1n) / pow10(shift);
  return { mantissa: mantissa < 0n ? -q : q, exponent: scale };
}

function compareMagnitude(a: ParsedQuantity, b: ParsedQuantity): -1 | 0 | 1 {
  const x = normalized(a);
  const y = normalized(b);
  if (x.mantissa === 0n || y.mantissa === 0n) return x.mantissa === y.mantissa ? 0 : x.mantissa === 0n ? -1 : 1;
  // Compare orders of magnitude first, so exponents far apart never build a huge power of ten.
  const orderX = abs(x.mantissa).toString().length + x.exponent;
  const orderY = abs(y.mantissa).toString().length + y.exponent;
  if (orderX !== orderY) return orderX < orderY ? -1 : 1;
  const e = Math.min(x.exponent, y.exponent);
  const left = abs(x.mantissa) * pow10(x.exponent - e);
  const right = abs(y.mantissa) * pow10(y.exponent - e);
  return left < right ? -1 : left > right ? 1 : 0;
}

/**
 * Parses a quantity as ParseQuantity does. Throws `QuantityError` with Kubernetes' reason when it
 * is malformed. BinarySI values above 2^63 - 1 are capped there; a BinarySI value below one
 * becomes DecimalSI (it would otherwise print as a fraction of a byte).
 */
export function parseQuantity(q: Quantity | number): ParsedQuantity {
  const text = toText(q);
  const { negative, whole, frac, suffix } = split(text);
  const { format: written, exponent: suffixExponent, binary } = interpretSuffix(text, suffix);
  let mantissa = BigInt((whole + frac).replace(/^0+/, '') || '0') * (1n << BigInt(10 * binary));
  let exponent = suffixExponent - frac.length;
  ({ mantissa, exponent } = roundUpTo(mantissa, exponent, NANO));
  let format = written;
  if (format === 'BinarySI') {
    const value: ParsedQuantity = { mantissa, exponent, format };
    if (compareMagnitude(value, { mantissa: MAX_ALLOWED, exponent: 0, format }) > 0) ({ mantissa, exponent } = { mantissa: MAX_ALLOWED, exponent: 0 });
    else if (mantissa !== 0n && compareMagnitude(value, { mantissa: 1n, exponent: 0, format }) < 0) format = 'DecimalSI';
  }
  return { mantissa: negative ? -mantissa : mantissa, exponent, format };
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

function parsed(q: Quantity | number | ParsedQuantity): ParsedQuantity {
  return typeof q === 'object' ? q : parseQuantity(q);
}

/** Trailing zeros moved into the exponent. */
function normalized(p: ParsedQuantity): ParsedQuantity {
  let { mantissa, exponent } = p;
  if (mantissa === 0n) return { ...p, exponent: 0 };
  while (mantissa % 10n === 0n) {
    mantissa /= 10n;
    exponent++;
  }
  return { ...p, mantissa, exponent };
}

/** Exact comparison (`"1Gi"` > `"1G"`, `"500m"` == `"0.5"`): -1, 0 or 1. */
export function compareQuantities(a: Quantity | number | ParsedQuantity, b: Quantity | number | ParsedQuantity): -1 | 0 | 1 {
  const x = parsed(a);
  const y = parsed(b);
  const signX = x.mantissa < 0n ? -1 : x.mantissa > 0n ? 1 : 0;
  const signY = y.mantissa < 0n ? -1 : y.mantissa > 0n ? 1 : 0;
  if (signX !== signY) return signX < signY ? -1 : 1;
  const m = compareMagnitude(x, y);
  return signX < 0 && m !== 0 ? (-m as -1 | 1) : m;
}

/** ScaledValue(scale): the value in units of 10^scale, rounded away from zero (Value() is scale 0, MilliValue() -3). */
export function scaledValue(q: Quantity | number | ParsedQuantity, scale: number): bigint {
  const p = normalized(parsed(q));
  if (p.exponent >= scale) return p.mantissa * pow10(p.exponent - scale);
  return roundUpTo(p.mantissa, p.exponent, scale).mantissa;
}

/** A scaled value as a number: exact up to 2^53, the nearest double beyond (Infinity past 1e308). */
function scaledNumber(q: Quantity | number | ParsedQuantity, scale: number): number {
  const p = normalized(parsed(q));
  if (p.mantissa === 0n) return 0;
  if (abs(p.mantissa).toString().length + p.exponent - scale > 309) return p.mantissa < 0n ? -Infinity : Infinity;
  return Number(scaledValue(p, scale));
}

/** CPU quantity in millicores (`"250m"` -> 250, `"0.5"` -> 500, `2` -> 2000). */
export function cpuMillis(q: Quantity | number): number {
  return scaledNumber(q, -3);
}

/** Memory quantity in bytes (`"128Mi"` -> 134217728, `"1G"` -> 1e9). */
export function memoryBytes(q: Quantity | number): number {
  return scaledNumber(q, 0);
}

/** Any quantity as an integer, rounded up (Value()): e.g. the `pods` count of a node. */
export function quantityValue(q: Quantity | number): number {
  return scaledNumber(q, 0);
}

/** Decimal canonical form: trailing zeros into the exponent, then the exponent down to a multiple of three. */
function decimalParts(p: ParsedQuantity): { digits: string; exponent: number } {
  let { mantissa, exponent } = normalized(p);
  const rest = ((exponent % 3) + 3) % 3;
  mantissa *= pow10(rest);
  exponent -= rest;
  return { digits: abs(mantissa).toString(), exponent };
}

/** Exponent notation: what DecimalExponent prints, and what SI falls back to past its suffixes. */
function exponentText(digits: string, exponent: number): string {
  return exponent === 0 ? digits : `${digits}e${exponent}`;
}

/**
 * Quantity.String(): the canonical text in the quantity's format. BinarySI prints the largest
 * power of 1024 that divides the value (`1Gi`, `2000`), else falls back to DecimalSI when the value
 * is below 1024 or not whole. SI values past `E`/`Ei` print in exponent notation (`1e21`), a fix
 * made after 1.32, which lost the magnitude.
 */
export function canonicalQuantity(q: Quantity | number | ParsedQuantity): string {
  const p = parsed(q);
  if (p.mantissa === 0n) return '0';
  const sign = p.mantissa < 0n ? '-' : '';
  let format = p.format;
  if (format === 'BinarySI') {
    const small = compareMagnitude(p, { mantissa: 1024n, exponent: 0, format }) < 0;
    if (small || normalized(p).exponent < 0) format = 'DecimalSI';
  }
  if (format === 'BinarySI') {
    let value = abs(scaledValue(p, 0));
    let power = 0;
    while (value % 1024n === 0n) {
      value /= 1024n;
      power++;
    }
    const suffix = BINARY_SUFFIX_OF.get(power);
    if (power === 0 || suffix !== undefined) return `${sign}${value}${suffix ?? ''}`;
    const { digits, exponent } = decimalParts(p);
    return `${sign}${exponentText(digits, exponent)}`;
  }
  const { digits, exponent } = decimalParts(p);
  if (format === 'DecimalExponent') return `${sign}${exponentText(digits, exponent)}`;
  const suffix = DECIMAL_SUFFIX_OF.get(exponent);
  return `${sign}${suffix === undefined ? exponentText(digits, exponent) : digits + suffix}`;
}

function assertInteger(n: number, what: string): void {
  if (!Number.isSafeInteger(n)) throw new RangeError(`${what} must be a safe integer, got ${n}`);
}

/** NewMilliQuantity(millis, DecimalSI).String(): `250m`, `1`, `1500m`. */
export function formatCpu(millis: number): Quantity {
  assertInteger(millis, 'millicores');
  return canonicalQuantity({ mantissa: BigInt(millis), exponent: -3, format: 'DecimalSI' });
}

/** NewQuantity(bytes, BinarySI).String(): `128Mi`, `1536Mi`, `2000`, `1000000000`. */
export function formatMemory(bytes: number): Quantity {
  assertInteger(bytes, 'bytes');
  return canonicalQuantity({ mantissa: BigInt(bytes), exponent: 0, format: 'BinarySI' });
}
