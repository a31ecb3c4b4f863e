/**
 * pods/binding (BindingREST.setPodNodeAndMetadata): sets spec.nodeName of an unbound pod that is not
 * being deleted and marks it PodScheduled=True, in one write; the scheduler's bind is one version.
 * Binding does not go through the pod strategy, so generation stays.
 */
import { setCondition, type Pod, type SimTime } from '@shared/model';
import { refuse, write, type Decision } from './decision';
import { bindingConflict } from './errors';

export function bind(pod: Pod, node: string, now: SimTime): Decision {
  const name = pod.metadata.name;
  if (pod.metadata.deletionTimestamp !== undefined) return refuse(bindingConflict(name, `pod ${name} is being deleted, cannot be assigned to a host`));
  if (pod.spec.nodeName) return refuse(bindingConflict(name, `pod ${name} is already assigned to node ${JSON.stringify(pod.spec.nodeName)}`));
  const conditions = setCondition(pod.status?.conditions, { type: 'PodScheduled', status: 'True' }, now);
  return write('MODIFIED', { ...pod, spec: { ...pod.spec, nodeName: node }, status: { ...pod.status, conditions } });
}
