/**
 * Why a request was refused. The codes follow Kubernetes' Status reasons, so a student who later
 * meets `kubectl` sees the same words.
 */
export const ErrorCode = {
  BadRequest: 'BadRequest',
  Unauthorized: 'Unauthorized',
  Forbidden: 'Forbidden',
  NotFound: 'NotFound',
  AlreadyExists: 'AlreadyExists',
  Conflict: 'Conflict',
  Invalid: 'Invalid',
  Unschedulable: 'Unschedulable',
  Expired: 'Expired',
  TooManyRequests: 'TooManyRequests',
  PayloadTooLarge: 'PayloadTooLarge',
  ServiceUnavailable: 'ServiceUnavailable',
  InternalError: 'InternalError',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export const httpStatusOf: Record<ErrorCode, number> = {
  BadRequest: 400,
  Unauthorized: 401,
  Forbidden: 403,
  NotFound: 404,
  AlreadyExists: 409,
  Conflict: 409,
  Invalid: 422,
  Unschedulable: 422,
  Expired: 410,
  TooManyRequests: 429,
  PayloadTooLarge: 413,
  ServiceUnavailable: 503,
  InternalError: 500,
};

export interface Refusal {
  ok: false;
  code: ErrorCode;
  message: string;
}

/** Every client request is answered with one of these. */
export type Ack<T extends object = object> = ({ ok: true } & T) | Refusal;

export function refuse(code: ErrorCode, message: string): Refusal {
  return { ok: false, code, message };
}

/** The body of an HTTP error. */
export interface ErrorBody {
  code: ErrorCode;
  message: string;
}
