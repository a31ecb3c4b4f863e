import { ErrorCode, refuse, type Refusal } from '@shared/protocol';
import { isApiError } from '../store';

const CODES = new Set<string>(Object.values(ErrorCode));

/** A store refusal (Kubernetes' Status) as the protocol's refusal; anything else is a bug and rethrown. */
export function refusalOf(error: unknown): Refusal {
  if (!isApiError(error)) throw error;
  const code = CODES.has(error.reason) ? (error.reason as ErrorCode) : error.reason === 'Gone' ? 'Expired' : 'InternalError';
  return refuse(code, error.message);
}
