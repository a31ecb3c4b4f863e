/**
 * The namespaces of a classroom's cluster: the four a 1.32 cluster starts with. A classroom has no
 * others (they cannot be created), so they are constants, not stored objects.
 */
import type { StatusError } from './errors';

export const NAMESPACE_NAMES = ['default', 'kube-node-lease', 'kube-public', 'kube-system'] as const;

/** One of the namespaces every classroom's cluster has. */
export const isNamespaceName = (name: string): boolean => (NAMESPACE_NAMES as readonly string[]).includes(name);

/** 404 `namespaces "x" not found` (notFound words it for a kind the store keeps; Namespace is not one). */
export function namespaceNotFound(name: string): StatusError {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `namespaces ${JSON.stringify(name)} not found`, reason: 'NotFound', details: { name, kind: 'namespaces' }, code: 404 };
}
