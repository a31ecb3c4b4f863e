/** Events the controllers record (`kubectl describe` shows them). */
import { toRFC3339, type Event, type KubeObject, type SimTime } from '@shared/model';
import { randomString, type Rng } from '../rng';

export function controllerEvent(
  involved: KubeObject,
  component: string,
  type: 'Normal' | 'Warning',
  reason: string,
  message: string,
  now: SimTime,
  rng: Rng,
): Event {
  const ns = involved.metadata.namespace ?? 'default';
  const at = toRFC3339(now);
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `${involved.metadata.name}.${randomString(rng, '0123456789abcdef', 16)}`, namespace: ns },
    involvedObject: {
      apiVersion: involved.apiVersion,
      kind: involved.kind,
      name: involved.metadata.name,
      ...(involved.metadata.namespace ? { namespace: involved.metadata.namespace } : {}),
      ...(involved.metadata.uid ? { uid: involved.metadata.uid } : {}),
    },
    reason,
    message,
    type,
    source: { component },
    firstTimestamp: at,
    lastTimestamp: at,
    count: 1,
    reportingComponent: component,
  };
}
