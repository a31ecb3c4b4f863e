/**
 * The moments of a round a class wants to see, read off the cluster's changes one by one: a node's
 * Ready changing, a pod evicted, a container falling into CrashLoopBackOff. The replay's timeline
 * and the live round's timeline both tell them from here, so they tell the same story. Pure: what
 * it remembers is what it was shown.
 */
import { getCondition, type KubeObject, type Node, type Pod } from '../model';

/** Writers of a cluster's first state (a scenario's setup, the first bootstrap): no change of theirs is news. */
export const SETUP_ACTORS: ReadonlySet<string> = new Set(['system:scenario', 'system:bootstrap']);

/**
 * A pod's DisruptionTarget reasons that mean it was evicted: the taint manager (a NoExecute taint
 * it no longer tolerates) and the Eviction API. A ReplicaSet scaling down deletes a pod without one.
 */
const EVICTION_REASONS: ReadonlySet<string> = new Set(['DeletionByTaintManager', 'EvictionByEvictionAPI']);

export interface ClusterChange {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: KubeObject;
  actor: string;
}

export class ClusterMoments {
  private readonly nodeReady = new Map<string, string>();
  private readonly terminating = new Set<string>();
  /** Pods already marked in CrashLoopBackOff: once per pod, not at every restart. */
  private readonly backingOff = new Set<string>();

  /** The moments this change makes (most make none). */
  see(change: ClusterChange): string[] {
    const { object } = change;
    if (object.kind === 'Node') return this.node(change, object as Node);
    if (object.kind === 'Pod') return this.pod(change, object as Pod);
    return [];
  }

  private node(change: ClusterChange, node: Node): string[] {
    const name = node.metadata.name;
    const ready = change.type === 'DELETED' ? 'gone' : (getCondition(node.status?.conditions, 'Ready')?.status ?? 'Unknown');
    const before = this.nodeReady.get(name);
    this.nodeReady.set(name, ready);
    // A node registering is the cluster starting; a change of Ready after that is news, but not a
    // scenario's setup replacing the cluster (its request marks that). A node first seen changing
    // (the live round reads only the round's changes) is news if it is not Ready.
    if (before === ready || SETUP_ACTORS.has(change.actor)) return [];
    if (before === undefined && (change.type !== 'MODIFIED' || ready === 'True')) return [];
    return [ready === 'gone' ? `${name} deleted` : `${name} Ready: ${ready}`];
  }

  private pod(change: ClusterChange, pod: Pod): string[] {
    const key = `${pod.metadata.namespace ?? 'default'}/${pod.metadata.name}`;
    if (change.type === 'DELETED') {
      this.terminating.delete(key);
      this.backingOff.delete(key);
      return [];
    }
    const moments: string[] = [];
    if (pod.metadata.deletionTimestamp !== undefined && !this.terminating.has(key)) {
      this.terminating.add(key);
      const disruption = getCondition(pod.status?.conditions, 'DisruptionTarget');
      // An eviction; a user's delete or a ReplicaSet's scale-down (SuccessfulDelete) is no fault.
      if (disruption?.status === 'True' && EVICTION_REASONS.has(disruption.reason ?? '') && pod.spec.nodeName) moments.push(`${pod.metadata.name} evicted from ${pod.spec.nodeName}: Terminating`);
    }
    const crashing = pod.status?.containerStatuses?.find((c) => c.state && 'waiting' in c.state && c.state.waiting.reason === 'CrashLoopBackOff');
    if (crashing && !this.backingOff.has(key)) {
      this.backingOff.add(key);
      const last = crashing.lastState && 'terminated' in crashing.lastState ? crashing.lastState.terminated : undefined;
      const exited = last ? `, it exited with code ${last.exitCode}` : '';
      moments.push(`${pod.metadata.name}: CrashLoopBackOff (back-off restarting failed container ${crashing.name}${exited})`);
    }
    return moments;
  }
}
