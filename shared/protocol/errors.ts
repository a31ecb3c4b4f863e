import { STATUS_CODE } from '../model/errors';

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
  UnsupportedMediaType: 'UnsupportedMediaType',
  ServiceUnavailable: 'ServiceUnavailable',
  InternalError: 'InternalError',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Kubernetes' own reasons keep their Status codes; the others are refusals a client can fix. */
export const httpStatusOf: Record<ErrorCode, number> = {
  BadRequest: STATUS_CODE.BadRequest,
  Unauthorized: STATUS_CODE.Unauthorized,
  Forbidden: STATUS_CODE.Forbidden,
  NotFound: STATUS_CODE.NotFound,
  AlreadyExists: STATUS_CODE.AlreadyExists,
  Conflict: STATUS_CODE.Conflict,
  Invalid: STATUS_CODE.Invalid,
  Expired: STATUS_CODE.Expired,
  TooManyRequests: STATUS_CODE.TooManyRequests,
  ServiceUnavailable: STATUS_CODE.ServiceUnavailable,
  InternalError: STATUS_CODE.InternalError,
  Unschedulable: 422,
  PayloadTooLarge: 413,
  UnsupportedMediaType: 415,
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
