import { ErrorCode, refuse, type Refusal } from '@shared/protocol';
import { asUnavailable, isRedisUnavailable } from '../redis/unavailable';
import { isApiError } from '../store';

const CODES = new Set<string>(Object.values(ErrorCode));

/**
 * A store refusal (Kubernetes' Status) as the protocol's refusal, and Redis being unreachable as
 * ServiceUnavailable; anything else is a bug and rethrown.
 */
export function refusalOf(error: unknown): Refusal {
  const unavailable = asUnavailable(error);
  if (isRedisUnavailable(unavailable)) return refuse('ServiceUnavailable', unavailable.message);
  if (!isApiError(error)) throw error;
  const code = CODES.has(error.reason) ? (error.reason as ErrorCode) : error.reason === 'Gone' ? 'Expired' : 'InternalError';
  return refuse(code, error.message);
}
