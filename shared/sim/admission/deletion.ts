/**
 * Deletion (the generic registry's BeforeDelete with the pod strategy's CheckGracefulDelete):
 * - propagationPolicy sets the garbage collector's finalizers (deletionFinalizersForGarbageCollection):
 *   Orphan adds `orphan`, Foreground adds `foregroundDeletion`, Background removes both; none given
 *   keeps what the object has (apps/v1 and core/v1 default to Background: no finalizer).
 * - a pod bound to a node and not finished, deleted with a grace period > 0, is marked Terminating
 *   (deletionTimestamp = now + grace) and stays until its kubelet, having stopped the containers,
 *   deletes it with grace 0;
 * - an object with finalizers left is only marked (deletionTimestamp, grace 0) and goes when an
 *   update removes the last one (see rules.ts); anything else is removed at once.
 */
import {
  DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS,
  FOREGROUND_FINALIZER,
  ORPHAN_FINALIZER,
  toRFC3339,
  type KubeObject,
  type PropagationPolicy,
  type SimTime,
} from '@shared/model';
import { equalJson } from './equal';
import { withMetadata, write, type Decision } from './decision';

export interface DeleteOptions {
  gracePeriodSeconds?: number | undefined;
  propagationPolicy?: PropagationPolicy | undefined;
  /** The store's "remove at once" (a classroom reset): finalizers are not waited for. */
  ignoreFinalizers?: boolean | undefined;
}

function finalizersAfter(current: readonly string[] | undefined, policy: PropagationPolicy | undefined): string[] {
  const kept = [...(current ?? [])];
  if (policy === undefined) return kept;
  const others = kept.filter((f) => f !== ORPHAN_FINALIZER && f !== FOREGROUND_FINALIZER);
  if (policy === 'Orphan') return [...others, ORPHAN_FINALIZER];
  if (policy === 'Foreground') return [...others, FOREGROUND_FINALIZER];
  return others;
}

export function remove(current: KubeObject, options: DeleteOptions, now: SimTime): Decision {
  const finalizers = options.ignoreFinalizers ? [] : finalizersAfter(current.metadata.finalizers, options.propagationPolicy);
  const meta = current.metadata;
  const finalizersChanged = !equalJson(finalizers, meta.finalizers ?? []);
  const marked = (deletionTimestamp: string, deletionGracePeriodSeconds: number): Decision =>
    write('MODIFIED', withMetadata(current, { ...meta, deletionTimestamp, deletionGracePeriodSeconds, finalizers: finalizers.length ? finalizers : undefined }));
  if (current.kind === 'Pod' && current.spec.nodeName !== undefined) {
    const grace = options.gracePeriodSeconds ?? current.spec.terminationGracePeriodSeconds ?? DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS;
    const finished = current.status?.phase === 'Failed' || current.status?.phase === 'Succeeded';
    if (grace > 0 && !finished) {
      // Already terminating: the first deletion's deadline stands; only the finalizers may change.
      if (meta.deletionTimestamp !== undefined) return finalizersChanged ? marked(meta.deletionTimestamp, meta.deletionGracePeriodSeconds ?? grace) : write('MODIFIED', current);
      return marked(toRFC3339(now + grace * 1000), grace);
    }
  }
  if (finalizers.length === 0) return write('DELETED', current);
  if (meta.deletionTimestamp !== undefined && meta.deletionGracePeriodSeconds === 0 && !finalizersChanged) return write('MODIFIED', current);
  return marked(meta.deletionTimestamp ?? toRFC3339(now), 0);
}
