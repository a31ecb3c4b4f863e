/**
 * Which per-node bots have something new to look at. As a kubelet's or kube-proxy's informer
 * queues only the objects that changed, a component's tick plays the nodes whose pods, runtime,
 * Node or rules changed since their bot last looked, and every RESYNC_TICKS-th tick all of them:
 * the resync that catches what no change announces, as the kubelet's periodic sync does (moves
 * that wait on time alone have timers of their own, which wake their bot directly). A classroom
 * of 1,000 nodes would otherwise plan 3,000 bots at every tick, almost all with nothing to do.
 * A bot that found nothing to do has seen every change noted before it looked, its own writes
 * among them: those no longer make it look at the next tick (each of its moves marked its node,
 * so every play was followed by a look that found nothing: 4-7 empty kubelet plans a pod).
 */
import type { WatchEvent } from '@shared/protocol';

export type NodeComponent = 'kubelet' | 'container-runtime' | 'kube-proxy';
const NODE_COMPONENTS: readonly NodeComponent[] = ['kubelet', 'container-runtime', 'kube-proxy'];

/** Every this many ticks a component's bots all look, changed or not. */
export const RESYNC_TICKS = 10;

/** Which components' bots on `node` an event concerns; 'all' for every bot of the components named. */
function concerned(event: WatchEvent): { components: readonly NodeComponent[]; node: string | 'all' } | null {
  const object = event.object;
  switch (object.kind) {
    case 'Pod':
      // The container runtime's moves read its own object and the Node, never a pod: it answers the calls the kubelet sends.
      return object.spec.nodeName === undefined ? null : { components: ['kubelet'], node: object.spec.nodeName };
    case 'ContainerRuntime': {
      // A node's runtime coming or going: without one the kubelet plans nothing, so a kubelet that
      // looked before its node's runtime was written (a node added while pods were bound to it)
      // looks again.
      if (event.type !== 'MODIFIED') return { components: ['kubelet', 'container-runtime'], node: object.metadata.name };
      const { calls, containers } = object.status;
      const components: NodeComponent[] = [];
      // The kubelet acts on what the runtime did: an answer to read (a call done or failed), a
      // container that exited. A call only taken (pending -> running) gives it nothing: its pods
      // show ContainerCreating either way.
      if (calls.some((c) => c.status === 'done' || c.status === 'failed') || containers.some((c) => c.state === 'exited')) components.push('kubelet');
      // The runtime's only moves are answering pending calls: a write that leaves none (its own answer, time finishing a call) gives it nothing.
      if (calls.some((c) => c.status === 'pending')) components.push('container-runtime');
      return components.length ? { components, node: object.metadata.name } : null;
    }
    case 'Node':
      return { components: NODE_COMPONENTS, node: object.metadata.name };
    case 'ProxyTable':
      return { components: ['kube-proxy'], node: object.metadata.name };
    case 'Lease':
      // A renewal (the heartbeat, every 10 simulated s per node) gives no bot a move: a kubelet's
      // next renewal by hand (the drill) waits on time, and its timer wakes the bot; a drill
      // switched on marks the Node. The leader Leases concern no node.
      return null;
    case 'Service':
    case 'Endpoints':
      return { components: ['kube-proxy'], node: 'all' };
    case 'Event':
    case 'ReplicaSet':
    case 'Deployment':
      return null;
    default:
      return { components: NODE_COMPONENTS, node: 'all' };
  }
}

export class ChangedNodes {
  /**
   * Per classroom and component: the nodes changed since their bots last looked (each with the
   * stamp of its last change), or all of them.
   */
  private readonly changed = new Map<string, Map<string, number> | 'all'>();
  private readonly ticks = new Map<string, number>();
  /** Counts the batches noted: a change's stamp (see `stamp`). */
  private stamped = 0;

  /** A batch of changes reached the classroom's cache. */
  note(classroomId: string, events: readonly WatchEvent[]): void {
    const stamp = ++this.stamped;
    for (const event of events) {
      const about = concerned(event);
      if (!about) continue;
      for (const component of about.components) this.mark(classroomId, component, about.node, stamp);
    }
  }

  /**
   * The stamp of the last change noted. Read at a decision, synchronously with the cache it is made
   * on: the changes are noted as the cache applies them, so that cache holds every change up to it.
   */
  stamp(): number {
    return this.stamped;
  }

  /** A bot that left work for later (its tick's move cap, a refused move) looks again at the next tick. */
  again(classroomId: string, component: NodeComponent, node: string): void {
    this.mark(classroomId, component, node, ++this.stamped);
  }

  /**
   * The node's bot found nothing to do on a cache holding every change up to `stamp`: the changes
   * up to there are seen (its own writes among them: each marks its node, and looking again for
   * them found nothing the first time), so only a later one makes it look again.
   */
  looked(classroomId: string, component: NodeComponent, node: string, stamp: number): void {
    const changed = this.changed.get(keyOf(classroomId, component));
    if (changed === undefined || changed === 'all') return;
    const last = changed.get(node);
    if (last !== undefined && last <= stamp) changed.delete(node);
  }

  /**
   * The nodes whose `component` bots look at this tick, or null for all of them (a resync, or the
   * first tick in this process); taken, so a change noted from now on is seen at the next tick.
   */
  take(classroomId: string, component: NodeComponent): ReadonlySet<string> | null {
    const key = keyOf(classroomId, component);
    const tick = this.ticks.get(key) ?? 0;
    this.ticks.set(key, (tick + 1) % RESYNC_TICKS);
    const changed = this.changed.get(key);
    this.changed.set(key, new Map());
    return tick === 0 || changed === undefined || changed === 'all' ? null : new Set(changed.keys());
  }

  /** The component's ticks in the classroom ended (students took every seat): nothing is kept for them. */
  forget(classroomId: string, component: NodeComponent): void {
    this.changed.delete(keyOf(classroomId, component));
    this.ticks.delete(keyOf(classroomId, component));
  }

  private mark(classroomId: string, component: NodeComponent, node: string | 'all', stamp: number): void {
    const key = keyOf(classroomId, component);
    // No tick here yet: the first one looks at every node anyway (and a classroom whose bots
    // play elsewhere, cached here for a socket's requests, keeps nothing).
    if (!this.ticks.has(key)) return;
    const changed = this.changed.get(key);
    if (changed === 'all') return;
    if (node === 'all') return void this.changed.set(key, 'all');
    if (changed) changed.set(node, stamp);
    else this.changed.set(key, new Map([[node, stamp]]));
  }
}

const keyOf = (classroomId: string, component: NodeComponent): string => `${classroomId}\u0000${component}`;
