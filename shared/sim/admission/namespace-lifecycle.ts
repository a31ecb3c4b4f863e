/**
 * NamespaceLifecycle, the first admission plugin: nothing is created in a namespace the cluster
 * does not have (k8s.io/apiserver/pkg/admission/plugin/namespace/lifecycle/admission.go returns
 * the Namespace lookup's NotFound). Admission runs after the body is decoded (a 400 comes first) and
 * before the object is validated or stored (so before a 422, a ClusterIP, a priority, or AlreadyExists).
 */
import { isNamespaceName, isNamespaced, namespaceNotFound, type Kind, type StatusError } from '@shared/model';

/** The refusal of a create of `kind` in `namespace` (undefined: `default`), if the cluster lacks it. */
export function namespaceLifecycle(kind: Kind, namespace: string | undefined): StatusError | undefined {
  if (!isNamespaced(kind)) return undefined;
  const name = namespace ?? 'default';
  return isNamespaceName(name) ? undefined : namespaceNotFound(name);
}
