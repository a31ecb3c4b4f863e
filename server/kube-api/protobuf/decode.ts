/**
 * A Kubernetes protobuf body (`application/vnd.kubernetes.protobuf`) as the JSON object it
 * encodes: the `k8s\0` magic, then a runtime.Unknown whose typeMeta names the kind and whose raw
 * bytes are the object's message, read with the schemas of messages.ts.
 */
import { badRequest } from '@shared/model';
import { ApiError } from '../../store';
import { fieldOf, messageOfKind, type FieldSpec, type MessageName } from './messages';
import { readFields, signed, type WireValue } from './wire';

const MAGIC = [0x6b, 0x38, 0x73, 0x00]; // "k8s\0"
const utf8 = new TextDecoder('utf-8', { fatal: true });

const malformed = (why: string): ApiError => new ApiError(badRequest(`the request body is not a valid protobuf message: ${why}`));

function bytesOf(value: WireValue, field: string): Uint8Array {
  if (value.wire !== 'bytes') throw malformed(`${field} is not length-delimited`);
  return value.value;
}
const varintOf = (value: WireValue, field: string): bigint => {
  if (value.wire !== 'varint') throw malformed(`${field} is not a varint`);
  return value.value;
};
const text = (bytes: Uint8Array, field: string): string => {
  try {
    return utf8.decode(bytes);
  } catch {
    throw malformed(`${field} is not UTF-8`);
  }
};

/** Each entry of a map field is a message of key (1) and value (2). */
function entryOf(bytes: Uint8Array, field: string): [string, Uint8Array] {
  let key = '';
  let value: Uint8Array = new Uint8Array();
  for (const f of readFields(bytes)) {
    if (f.number === 1) key = text(bytesOf(f.value, field), field);
    if (f.number === 2) value = bytesOf(f.value, field);
  }
  return [key, value];
}

/** meta/v1 Time as JSON writes it (RFC 3339, seconds); the zero time is JSON's null, so absent. */
function timeOf(bytes: Uint8Array): string | undefined {
  const seconds = readFields(bytes).find((f) => f.number === 1);
  const value = seconds?.value.wire === 'varint' ? signed(seconds.value.value) : 0;
  return value === 0 ? undefined : new Date(value * 1000).toISOString().replace('.000Z', 'Z');
}

function intOrStringOf(bytes: Uint8Array): number | string {
  const fields = readFields(bytes);
  const get = (n: number) => fields.find((f) => f.number === n)?.value;
  const type = get(1);
  if (type?.wire === 'varint' && type.value === 1n) {
    const str = get(3);
    return str?.wire === 'bytes' ? text(str.value, 'strVal') : '';
  }
  const int = get(2);
  return int?.wire === 'varint' ? signed(int.value) : 0;
}

const quantityOf = (bytes: Uint8Array): string => {
  const string = readFields(bytes).find((f) => f.number === 1)?.value;
  return string?.wire === 'bytes' ? text(string.value, 'quantity') : '0';
};

const isZero = (value: unknown): boolean =>
  value === undefined || value === '' || value === 0 || value === false || (typeof value === 'object' && value !== null && Object.keys(value).length === 0);

/** One field's value; undefined when Go's JSON would leave it out. */
function valueOf(spec: FieldSpec, wire: WireValue): unknown {
  const where = spec.name;
  switch (spec.type) {
    case 'string':
      return text(bytesOf(wire, where), where);
    case 'int':
      return signed(varintOf(wire, where));
    case 'bool':
      return varintOf(wire, where) !== 0n;
    case 'time':
      return timeOf(bytesOf(wire, where));
    case 'quantity':
      return quantityOf(bytesOf(wire, where));
    case 'intOrString':
      return intOrStringOf(bytesOf(wire, where));
    case 'map':
    case 'quantityMap':
      return entryOf(bytesOf(wire, where), where);
    default:
      return decodeMessage(spec.type, bytesOf(wire, where));
  }
}

export function decodeMessage(message: MessageName, bytes: Uint8Array): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  for (const { number, value: wire } of readFields(bytes)) {
    const spec = fieldOf(message, number);
    if (!spec) continue;
    const value = valueOf(spec, wire);
    if (spec.type === 'map' || spec.type === 'quantityMap') {
      const [key, raw] = value as [string, Uint8Array];
      const map = (object[spec.name] ??= {}) as Record<string, string>;
      map[key] = spec.type === 'map' ? text(raw, spec.name) : quantityOf(raw);
    } else if (spec.repeated) {
      ((object[spec.name] ??= []) as unknown[]).push(value);
    } else if (spec.pointer ? value !== undefined : !isZero(value)) {
      object[spec.name] = value;
    }
  }
  return object;
}

/** The object a protobuf body carries, with the apiVersion and kind of its envelope. */
export function decodeProtobufObject(body: Uint8Array): Record<string, unknown> {
  if (body.length < MAGIC.length || MAGIC.some((byte, i) => body[i] !== byte)) throw malformed('it does not start with the k8s\\0 prefix');
  let apiVersion = '';
  let kind = '';
  let raw: Uint8Array = new Uint8Array();
  for (const f of readFields(body.subarray(MAGIC.length))) {
    if (f.number === 1) {
      for (const t of readFields(bytesOf(f.value, 'typeMeta'))) {
        if (t.number === 1) apiVersion = text(bytesOf(t.value, 'apiVersion'), 'apiVersion');
        if (t.number === 2) kind = text(bytesOf(t.value, 'kind'), 'kind');
      }
    } else if (f.number === 2) raw = bytesOf(f.value, 'raw');
  }
  const message = messageOfKind(kind);
  if (!message) {
    throw new ApiError({
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code: 415, reason: 'UnsupportedMediaType',
      message: `the body of the request was in an unknown format - protobuf is accepted for Deployment, Service, SelfSubjectAccessReview, SelfSubjectRulesReview, SelfSubjectReview and DeleteOptions only; send ${kind || 'this object'} as application/json`,
    } as unknown as ApiError['status']);
  }
  return { apiVersion, kind, ...decodeMessage(message, raw) };
}
