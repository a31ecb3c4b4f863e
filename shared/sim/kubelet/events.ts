/** Events the kubelet records on its pods (`kubectl describe pod` shows them). */
import { toRFC3339, type Event, type Pod, type SimTime } from '@shared/model';

/** client-go's recorder names an event `<object>.<UnixNano in hex>`: no randomness needed. */
export function kubeletEvent(pod: Pod, node: string, type: 'Normal' | 'Warning', reason: string, message: string, now: SimTime): Event {
  const ns = pod.metadata.namespace ?? 'default';
  const at = toRFC3339(now);
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `${pod.metadata.name}.${(BigInt(now) * 1_000_000n).toString(16)}`, namespace: ns },
    involvedObject: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata.name, namespace: ns, ...(pod.metadata.uid ? { uid: pod.metadata.uid } : {}) },
    reason,
    message,
    type,
    source: { component: 'kubelet', host: node },
    firstTimestamp: at,
    lastTimestamp: at,
    count: 1,
    reportingComponent: 'kubelet',
    reportingInstance: node,
  };
}
