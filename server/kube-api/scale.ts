/** The scale subresource (autoscaling/v1 Scale) of a Deployment or ReplicaSet, as `kubectl scale` reads and writes it. */
import type { KubeObject } from '@shared/model';
import { formatSelector } from './selectors';

export function scaleOf(object: KubeObject): object {
  const workload = object.kind === 'Deployment' || object.kind === 'ReplicaSet' ? object : undefined;
  const { name, namespace, uid, resourceVersion, creationTimestamp } = object.metadata;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name, namespace, uid, resourceVersion, creationTimestamp },
    spec: { replicas: workload?.spec.replicas ?? 1 },
    status: { replicas: workload?.status?.replicas ?? 0, selector: workload ? formatSelector(workload.spec.selector) : '' },
  };
}
