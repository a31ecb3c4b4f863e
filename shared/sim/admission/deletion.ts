/**
 * Graceful deletion (pod strategy CheckGracefulDelete + BeforeDelete): a pod bound to a node and
 * not finished, deleted with a grace period > 0, is marked Terminating (deletionTimestamp =
 * now + grace) and stays until its kubelet, having stopped the containers, deletes it with grace 0.
 * Anything else is removed at once.
 */
import { DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS, toRFC3339, type KubeObject, type SimTime } from '@shared/model';
import { withMetadata, write, type Decision } from './decision';

export function remove(current: KubeObject, gracePeriodSeconds: number | undefined, now: SimTime): Decision {
  if (current.kind === 'Pod' && current.spec.nodeName !== undefined) {
    const grace = gracePeriodSeconds ?? current.spec.terminationGracePeriodSeconds ?? DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS;
    const finished = current.status?.phase === 'Failed' || current.status?.phase === 'Succeeded';
    if (grace > 0 && !finished) {
      // Already terminating: the first deletion's deadline stands, the request changes nothing.
      if (current.metadata.deletionTimestamp !== undefined) return write('MODIFIED', current);
      return write('MODIFIED', withMetadata(current, { ...current.metadata, deletionTimestamp: toRFC3339(now + grace * 1000), deletionGracePeriodSeconds: grace }));
    }
  }
  return write('DELETED', current);
}
