/**
 * Validation with Kubernetes' answers: `validateObject(input)` either returns the parsed object
 * (defaults such as metadata.namespace applied, quantities as strings) or the Status the API
 * server would send: 422 Invalid with every field error, or 400 BadRequest for an unknown kind.
 */
import type { z } from 'zod';
import { API_VERSION, OBJECT_SCHEMAS, isKind, type Kind, type KubeObject, type ObjectOfKind } from './objects';
import { badRequest, invalid, type FieldError, type StatusError } from './errors';
import { renderValue } from './schemas-common';

export type ValidationResult<T extends KubeObject = KubeObject> =
  | { ok: true; object: T }
  | { ok: false; message: string; error: StatusError };

/** Fields whose children are map keys, rendered `requests[cpu]` as Kubernetes field paths do. */
const MAP_FIELDS = new Set(['labels', 'annotations', 'nodeSelector', 'matchLabels', 'requests', 'limits', 'capacity', 'allocatable']);

/** `spec.containers[0].resources.requests[cpu]` from a zod issue path. */
export function fieldPath(path: readonly PropertyKey[], kind?: Kind): string {
  let out = '';
  path.forEach((segment, i) => {
    const parent = path[i - 1];
    const inMap =
      typeof parent === 'string' &&
      (MAP_FIELDS.has(parent) || (parent === 'selector' && kind === 'Service' && path[i - 2] === 'spec'));
    if (typeof segment === 'number' || inMap) out += `[${String(segment)}]`;
    else out += out === '' ? String(segment) : `.${String(segment)}`;
  });
  return out;
}

const K8S_BODY = /^(Invalid value|Required value|Unsupported value|Duplicate value|Forbidden|Too many)/;

/** The part after `field: `, in Kubernetes' words where we know them. */
function issueBody(issue: z.core.$ZodIssue): string {
  if (K8S_BODY.test(issue.message)) return issue.message;
  if (issue.code === 'invalid_type' && issue.input === undefined) return 'Required value';
  if (issue.code === 'invalid_value') {
    const supported = issue.values.map((v) => renderValue(v)).join(', ');
    return `Unsupported value: ${renderValue(issue.input)}: supported values: ${supported}`;
  }
  return `Invalid value: ${renderValue(issue.input)}: ${issue.message}`;
}

function fail(error: StatusError): { ok: false; message: string; error: StatusError } {
  return { ok: false, message: error.message, error };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function submittedName(input: Record<string, unknown>): string {
  const metadata = input['metadata'];
  const name = isRecord(metadata) ? metadata['name'] : undefined;
  return typeof name === 'string' ? name : '';
}

/** Validates an object of a kind known in advance (e.g. the gateway's `pods` endpoint). */
export function validateObjectOfKind<K extends Kind>(kind: K, input: unknown): ValidationResult<ObjectOfKind<K>> {
  if (!isRecord(input)) return fail(badRequest(`the object must be a JSON object, got ${renderValue(input)}`));
  const apiVersion = input['apiVersion'];
  if (input['kind'] !== kind || apiVersion !== API_VERSION[kind]) {
    const shown = typeof input['kind'] === 'string' ? input['kind'] : '';
    return fail(badRequest(`no kind ${JSON.stringify(shown)} is registered for version ${JSON.stringify(String(apiVersion ?? ''))}; expected ${API_VERSION[kind]} ${kind}`));
  }
  const schema: z.ZodType<KubeObject> = OBJECT_SCHEMAS[kind];
  const result = schema.safeParse(input, { reportInput: true });
  if (result.success) return { ok: true, object: result.data as ObjectOfKind<K> };
  const errors: FieldError[] = result.error.issues.map((issue) => ({ field: fieldPath(issue.path, kind), body: issueBody(issue) }));
  return fail(invalid(kind, submittedName(input), errors));
}

/** Validates any submitted object: 400 for a missing or unknown kind, 422 Invalid for bad fields. */
export function validateObject(input: unknown): ValidationResult {
  if (!isRecord(input)) return fail(badRequest(`the object must be a JSON object, got ${renderValue(input)}`));
  const kind = input['kind'];
  if (typeof kind !== 'string' || kind === '') return fail(badRequest(`Object 'Kind' is missing in '${renderValue(input)}'`));
  const apiVersion = input['apiVersion'];
  if (!isKind(kind) || apiVersion !== API_VERSION[kind]) {
    return fail(badRequest(`no kind ${JSON.stringify(kind)} is registered for version ${JSON.stringify(String(apiVersion ?? ''))}`));
  }
  return validateObjectOfKind(kind, input);
}
