/** Every answer that is not an object is a metav1.Status, with Kubernetes' code, reason and words. */
import type { Response } from 'express';
import { badRequest, internalError, type StatusError } from '@shared/model';
import type { Logger } from '../logger';
import { isRedisUnavailable, asUnavailable } from '../redis/unavailable';
import { isApiError } from '../store';

export function sendStatus(res: Response, status: StatusError): void {
  if (res.headersSent) return;
  if (status.details?.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(status.details.retryAfterSeconds));
  res.status(status.code).json(status);
}

/** 401, as an API server answers a token it does not know. */
export const UNAUTHORIZED: StatusError = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 };

export function serviceUnavailable(message: string): StatusError {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: 'ServiceUnavailable', code: 503 };
}

export function notFoundPath(path: string): StatusError {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `the server could not find the requested resource (${path})`, reason: 'NotFound', details: {}, code: 404 };
}

export function methodNotAllowed(message: string): StatusError {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: 'BadRequest', code: 405 } as StatusError;
}

/** An error thrown while answering, as the Status to send: the store's refusals, Redis down, or a bug (500, logged). */
export function statusOf(error: unknown, logger: Logger): StatusError {
  if (isApiError(error)) return error.status;
  const unavailable = asUnavailable(error);
  if (isRedisUnavailable(unavailable)) return serviceUnavailable(unavailable.message);
  if (error instanceof SyntaxError) return badRequest(`the request body is not valid: ${error.message}`);
  logger.error({ err: error }, 'Kubernetes API request failed');
  return internalError('the server failed to handle this request');
}
