/**
 * Tokens stay out of the logs: the Kubernetes API carries the member's token in its path
 * (`/k8s/<token>/api/v1/pods`) and the kubeconfig download in its Authorization header.
 */
export const K8S_PREFIX = '/k8s';

export const redactPath = (url: string): string => url.replace(/^\/k8s\/[^/?]+/, `${K8S_PREFIX}/[token]`);

interface LoggedRequest {
  url?: string;
  params?: unknown;
  headers?: Record<string, unknown>;
  [key: string]: unknown;
}

/** pino-http's `serializers.req`: the request as logged, without its credentials. */
export function redactRequest(req: LoggedRequest): LoggedRequest {
  const headers = req.headers && 'authorization' in req.headers ? { ...req.headers, authorization: '[redacted]' } : req.headers;
  return { ...req, ...(req.url === undefined ? {} : { url: redactPath(req.url) }), params: {}, headers };
}
