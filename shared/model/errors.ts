/**
 * API errors shaped like metav1.Status, with the texts of k8s.io/apimachinery/pkg/api/errors.
 */
import { z } from 'zod';
import { RESOURCE, qualifiedKind, type Kind } from './objects';

export const STATUS_REASONS = [
  'BadRequest',
  'Unauthorized',
  'Forbidden',
  'NotFound',
  'AlreadyExists',
  'Conflict',
  'Gone',
  'Expired',
  'Invalid',
  'TooManyRequests',
  'InternalError',
  'ServiceUnavailable',
  'Timeout',
] as const;
export type StatusReason = (typeof STATUS_REASONS)[number];

export const STATUS_CODE = {
  BadRequest: 400,
  Unauthorized: 401,
  Forbidden: 403,
  NotFound: 404,
  AlreadyExists: 409,
  Conflict: 409,
  Gone: 410,
  Expired: 410,
  Invalid: 422,
  TooManyRequests: 429,
  InternalError: 500,
  ServiceUnavailable: 503,
  Timeout: 504,
} as const satisfies Record<StatusReason, number>;

export const StatusCauseSchema = z.object({
  /** `FieldValueInvalid`, `FieldValueRequired`, `FieldValueNotSupported`, ... */
  reason: z.string().optional(),
  message: z.string().optional(),
  field: z.string().optional(),
});

export const StatusErrorSchema = z.object({
  kind: z.literal('Status'),
  apiVersion: z.literal('v1'),
  metadata: z.object({}),
  status: z.literal('Failure'),
  reason: z.enum(STATUS_REASONS),
  code: z.number().int(),
  message: z.string(),
  details: z
    .object({
      name: z.string().optional(),
      group: z.string().optional(),
      /** The resource (`pods`) for most errors, the Kind (`Pod`) for Invalid, as Kubernetes does. */
      kind: z.string().optional(),
      causes: z.array(StatusCauseSchema).optional(),
      retryAfterSeconds: z.number().int().optional(),
    })
    .optional(),
});

export type StatusError = z.output<typeof StatusErrorSchema>;
export type StatusCause = z.output<typeof StatusCauseSchema>;
export type StatusDetails = NonNullable<StatusError['details']>;

export function isStatusError(value: unknown): value is StatusError {
  return StatusErrorSchema.safeParse(value).success;
}

function status(reason: StatusReason, message: string, details?: StatusDetails): StatusError {
  const error: StatusError = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason, code: STATUS_CODE[reason], message };
  if (details !== undefined) error.details = details;
  return error;
}

function resourceDetails(kind: Kind, name: string): StatusDetails {
  const resource: string = RESOURCE[kind];
  const dot = resource.indexOf('.');
  return dot < 0 ? { name, kind: resource } : { name, group: resource.slice(dot + 1), kind: resource.slice(0, dot) };
}

export const OBJECT_MODIFIED = 'the object has been modified; please apply your changes to the latest version and try again';

/** 409 `Operation cannot be fulfilled on pods "web-1": the object has been modified; ...` */
export function conflict(kind: Kind, name: string, detail: string = OBJECT_MODIFIED): StatusError {
  return status('Conflict', `Operation cannot be fulfilled on ${RESOURCE[kind]} ${JSON.stringify(name)}: ${detail}`, resourceDetails(kind, name));
}

/** 409 `pods "web-1" already exists` */
export function alreadyExists(kind: Kind, name: string): StatusError {
  return status('AlreadyExists', `${RESOURCE[kind]} ${JSON.stringify(name)} already exists`, resourceDetails(kind, name));
}

/** 404 `pods "web-1" not found` */
export function notFound(kind: Kind, name: string): StatusError {
  return status('NotFound', `${RESOURCE[kind]} ${JSON.stringify(name)} not found`, resourceDetails(kind, name));
}

/** 410 Expired `too old resource version: 5 (20)`: a watch asked for a version the log no longer keeps. */
export function expired(askedResourceVersion: string | number, oldestKeptMinusOne: string | number): StatusError {
  return status('Expired', `too old resource version: ${askedResourceVersion} (${oldestKeptMinusOne})`);
}

/** A field error: `field` like `metadata.name`, `body` like `Invalid value: "Web_1": ...`. */
export interface FieldError {
  field: string;
  body: string;
}

/** field.ErrorType's text -> the StatusCause reason (metav1.CauseType) it is reported with. */
const CAUSE_BY_TYPE: readonly (readonly [string, string])[] = [
  ['Not found', 'FieldValueNotFound'],
  ['Required value', 'FieldValueRequired'],
  ['Duplicate value', 'FieldValueDuplicate'],
  ['Invalid value', 'FieldValueInvalid'],
  ['Unsupported value', 'FieldValueNotSupported'],
  ['Forbidden', 'FieldValueForbidden'],
  ['Too long', 'FieldValueTooLong'],
  ['Too many', 'FieldValueTooMany'],
  ['Internal error', 'InternalError'],
  ['Invalid value type', 'FieldValueTypeInvalid'],
];

export function fieldErrorReason(body: string): string {
  let best: readonly [string, string] | undefined;
  for (const entry of CAUSE_BY_TYPE) if (body.startsWith(entry[0]) && (!best || entry[0].length > best[0].length)) best = entry;
  return best?.[1] ?? 'FieldValueInvalid';
}

/**
 * 422 Invalid: `Pod "Web_1" is invalid: metadata.name: Invalid value: ...` (NewInvalid). Several
 * errors print as an aggregate, `[a, b]`, each distinct text once; no errors print no list. The
 * causes keep every error.
 */
export function invalid(kind: Kind, name: string, errors: readonly FieldError[]): StatusError {
  const rendered = [...new Set(errors.map((e) => `${e.field}: ${e.body}`))];
  const list = rendered.length === 0 ? '' : `: ${rendered.length === 1 ? (rendered[0] ?? '') : `[${rendered.join(', ')}]`}`;
  const qualified = qualifiedKind(kind);
  const dot = qualified.indexOf('.');
  const details: StatusDetails = {
    name,
    kind,
    causes: errors.map((e) => ({ reason: fieldErrorReason(e.body), message: e.body, field: e.field })),
  };
  if (dot >= 0) details.group = qualified.slice(dot + 1);
  return status('Invalid', `${qualified} ${JSON.stringify(name)} is invalid${list}`, details);
}

/** 400 with the given message. */
export function badRequest(message: string): StatusError {
  return status('BadRequest', message);
}

/** 403 `pods "web-1" is forbidden: <reason>` (`pods is forbidden: ...` without a name). */
export function forbidden(kind: Kind, name: string, reason: string): StatusError {
  const subject = name === '' ? RESOURCE[kind] : `${RESOURCE[kind]} ${JSON.stringify(name)}`;
  return status('Forbidden', `${subject} is forbidden: ${reason}`, resourceDetails(kind, name));
}

/** 429 with the given message, optionally telling the client when to retry. */
export function tooManyRequests(message: string, retryAfterSeconds?: number): StatusError {
  return status('TooManyRequests', message, retryAfterSeconds === undefined ? undefined : { retryAfterSeconds });
}

/** 500 `Internal error occurred: <detail>` */
export function internalError(detail: string): StatusError {
  return status('InternalError', `Internal error occurred: ${detail}`);
}
