import type { StatusError, StatusReason } from '@shared/model';

/** A request the API server refuses, carrying the metav1.Status Kubernetes would send. */
export class ApiError extends Error {
  constructor(readonly status: StatusError) {
    super(status.message);
    this.name = 'ApiError';
  }

  get reason(): StatusReason {
    return this.status.reason;
  }

  get code(): number {
    return this.status.code;
  }
}

export function isApiError(error: unknown, reason?: StatusReason): error is ApiError {
  return error instanceof ApiError && (reason === undefined || error.reason === reason);
}
