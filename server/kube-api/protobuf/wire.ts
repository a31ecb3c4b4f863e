/**
 * The protobuf wire format, read field by field: what a message holds before a schema names it.
 * Only what Kubernetes' generated messages use: varints (wire type 0), length-delimited bytes
 * (2), and the fixed widths (1, 5) skipped over.
 */
import { badRequest } from '@shared/model';
import { ApiError } from '../../store';

export type WireValue = { wire: 'varint'; value: bigint } | { wire: 'bytes'; value: Uint8Array };

export interface WireField {
  number: number;
  value: WireValue;
}

const malformed = (why: string): ApiError => new ApiError(badRequest(`the request body is not a valid protobuf message: ${why}`));

function readVarint(bytes: Uint8Array, at: number): [bigint, number] {
  let value = 0n;
  for (let shift = 0n, i = at; i < bytes.length && shift < 70n; shift += 7n, i++) {
    const byte = bytes[i] ?? 0;
    value |= BigInt(byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) return [value, i + 1];
  }
  throw malformed('a varint runs past the end');
}

/** The fields of one message, in the order written (a repeated field appears once per item). */
export function readFields(bytes: Uint8Array): WireField[] {
  const fields: WireField[] = [];
  let at = 0;
  while (at < bytes.length) {
    const [key, afterKey] = readVarint(bytes, at);
    const number = Number(key >> 3n);
    const wire = Number(key & 7n);
    at = afterKey;
    if (wire === 0) {
      const [value, next] = readVarint(bytes, at);
      fields.push({ number, value: { wire: 'varint', value } });
      at = next;
    } else if (wire === 2) {
      const [length, start] = readVarint(bytes, at);
      const end = start + Number(length);
      if (end > bytes.length) throw malformed(`field ${number} runs past the end`);
      fields.push({ number, value: { wire: 'bytes', value: bytes.subarray(start, end) } });
      at = end;
    } else if (wire === 1 || wire === 5) {
      at += wire === 1 ? 8 : 4;
    } else throw malformed(`wire type ${wire} of field ${number} is not supported`);
  }
  if (at !== bytes.length) throw malformed('the last field runs past the end');
  return fields;
}

/** A varint as the signed 64-bit integer it encodes (negative int32s are written sign-extended). */
export const signed = (value: bigint): number => Number(BigInt.asIntN(64, value));
