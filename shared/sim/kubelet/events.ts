/** Events the kubelet records on its pods (`kubectl describe pod` shows them). */
import { toRFC3339, type Event, type Pod, type SimTime } from '@shared/model';
import { fnv32a } from '../hash';
import { isApiRequest, type Step } from '../requests';

/**
 * client-go's recorder names an event `<object>.<UnixNano in hex>`: no randomness needed. The
 * simulated clock counts milliseconds, so the nanoseconds below it come from the event's text:
 * two different events of one pod in the same millisecond get different names.
 */
export function kubeletEvent(pod: Pod, node: string, type: 'Normal' | 'Warning', reason: string, message: string, now: SimTime): Event {
  const ns = pod.metadata.namespace ?? 'default';
  const at = toRFC3339(now);
  const nanos = BigInt(now) * 1_000_000n + BigInt(fnv32a(`${reason}/${message}`) % 1_000_000);
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `${pod.metadata.name}.${nanos.toString(16)}`, namespace: ns },
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

/** Events that report a pod status change (the rest report what the runtime answered or was asked). */
const STATUS_EVENTS = new Set(['BackOff']);

/**
 * Does this kubelet event belong with the writes `kept`? An event is recorded with the write that
 * makes the transition it reports: the pod's status write for a back-off, else the node's
 * ContainerRuntime write (CRI calls sent and answers read). A student's move keeps both together.
 */
export function isEventStep(step: Step): boolean {
  return isApiRequest(step) && step.verb === 'create' && step.object.kind === 'Event';
}

export function eventFollows(step: Step, kept: readonly Step[]): boolean {
  if (!isApiRequest(step) || step.verb !== 'create' || step.object.kind !== 'Event') return false;
  const event = step.object;
  // A readiness failure reports a status change (ready false); a liveness one goes with the kill it causes.
  if (STATUS_EVENTS.has(event.reason ?? '') || (event.reason === 'Unhealthy' && event.message?.startsWith('Readiness') === true)) {
    return kept.some((s) => isApiRequest(s) && s.verb === 'updateStatus' && s.kind === 'Pod' && s.name === event.involvedObject.name);
  }
  return kept.some((s) => isApiRequest(s) && s.kind === 'ContainerRuntime');
}
