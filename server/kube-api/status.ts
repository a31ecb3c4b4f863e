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

/** A Status whose reason the game's own errors do not use (415, 413, 405). */
export function kubeStatus(code: number, reason: 'UnsupportedMediaType' | 'RequestEntityTooLarge' | 'MethodNotAllowed', message: string): StatusError {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code } as unknown as StatusError;
}

export function methodNotAllowed(message: string): StatusError {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: 'BadRequest', code: 405 } as StatusError;
}

/** 429 with Retry-After, in the API server's words for a client over its share. */
export function tooManyRequests(retryAfterSeconds: number): StatusError {
  return {
    kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'TooManyRequests', code: 429,
    message: 'Too many requests, please try again later.',
    details: { retryAfterSeconds },
  };
}

/** What the body parser throws for a body over the cap (413) or one it could not read, as a Status; undefined for anything else. */
export function bodyRefusal(error: unknown): StatusError | undefined {
  if (typeof error !== 'object' || error === null || !('type' in error)) return undefined;
  if (error.type === 'entity.too.large' && 'limit' in error) return kubeStatus(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${String(error.limit)}`);
  if (typeof error.type === 'string' && error.type.startsWith('request.')) return badRequest('the request body could not be read: it was cut short or is not as long as its Content-Length says');
  return undefined;
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
