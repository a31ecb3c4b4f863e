/**
 * Which per-node bots have something new to look at. As a kubelet's or kube-proxy's informer
 * queues only the objects that changed, a component's tick plays the nodes whose pods, runtime,
 * Node or rules changed since their bot last looked, and every RESYNC_TICKS-th tick all of them:
 * the resync that catches what no change announces, as the kubelet's periodic sync does (moves
 * that wait on time alone have timers of their own, which wake their bot directly). A classroom
 * of 1,000 nodes would otherwise plan 3,000 bots at every tick, almost all with nothing to do.
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
      return object.spec.nodeName === undefined ? null : { components: ['kubelet', 'container-runtime'], node: object.spec.nodeName };
    case 'ContainerRuntime':
      return { components: ['kubelet', 'container-runtime'], node: object.metadata.name };
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
  /** Per classroom and component: the nodes changed since their bots last looked, or all of them. */
  private readonly changed = new Map<string, Set<string> | 'all'>();
  private readonly ticks = new Map<string, number>();

  /** A batch of changes reached the classroom's cache. */
  note(classroomId: string, events: readonly WatchEvent[]): void {
    for (const event of events) {
      const about = concerned(event);
      if (!about) continue;
      for (const component of about.components) this.mark(classroomId, component, about.node);
    }
  }

  /** A bot that left work for later (its tick's move cap, a refused move) looks again at the next tick. */
  again(classroomId: string, component: NodeComponent, node: string): void {
    this.mark(classroomId, component, node);
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
    this.changed.set(key, new Set());
    return tick === 0 || changed === undefined || changed === 'all' ? null : changed;
  }

  /** The component's ticks in the classroom ended (students took every seat): nothing is kept for them. */
  forget(classroomId: string, component: NodeComponent): void {
    this.changed.delete(keyOf(classroomId, component));
    this.ticks.delete(keyOf(classroomId, component));
  }

  private mark(classroomId: string, component: NodeComponent, node: string | 'all'): void {
    const key = keyOf(classroomId, component);
    // No tick here yet: the first one looks at every node anyway (and a classroom whose bots
    // play elsewhere, cached here for a socket's requests, keeps nothing).
    if (!this.ticks.has(key)) return;
    const changed = this.changed.get(key);
    if (changed === 'all') return;
    if (node === 'all') return void this.changed.set(key, 'all');
    if (changed) changed.add(node);
    else this.changed.set(key, new Set([node]));
  }
}

const keyOf = (classroomId: string, component: NodeComponent): string => `${classroomId}\u0000${component}`;
