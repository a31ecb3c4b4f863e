import { allObjects, applySnapshot, applyWatchEvents, compareResourceVersions, EMPTY_CLUSTER_STATE, listObjects, type ClusterState, type Snapshot, type WatchEvent } from '@shared/protocol';
import { ClusterState as SimState } from '@shared/sim';

/**
 * The cluster as this tab's watch sees it. Fed only by the server's snapshot and watch events,
 * through the reducer the server's tests use; no view writes here.
 */
class ClusterStore {
  state = $state.raw<ClusterState>(EMPTY_CLUSTER_STATE);
  /** A snapshot has arrived: until then the views say "loading" rather than "empty". */
  synced = $state(false);

  nodes = $derived(listObjects(this.state, 'Node'));
  pods = $derived(listObjects(this.state, 'Pod'));
  deployments = $derived(listObjects(this.state, 'Deployment'));
  replicaSets = $derived(listObjects(this.state, 'ReplicaSet'));
  services = $derived(listObjects(this.state, 'Service'));
  endpoints = $derived(listObjects(this.state, 'Endpoints'));
  events = $derived(listObjects(this.state, 'Event'));
  leases = $derived(listObjects(this.state, 'Lease'));
  runtimes = $derived(listObjects(this.state, 'ContainerRuntime'));
  proxyTables = $derived(listObjects(this.state, 'ProxyTable'));
  /** The rulebook's view of the cluster (indexes by node, owner, label): built once per watch batch, read by every view. */
  sim = $derived(SimState.from(allObjects(this.state)));

  load(snapshot: Snapshot): void {
    this.state = applySnapshot(snapshot);
    this.synced = true;
  }

  /** Applies a watch batch; returns the events that were new (for the map's activity flashes). */
  apply(events: readonly WatchEvent[]): WatchEvent[] {
    const before = this.state.resourceVersion;
    const next = applyWatchEvents(this.state, events);
    if (next === this.state) return [];
    this.state = next;
    return events.filter((e) => compareResourceVersions(e.resourceVersion, before) > 0);
  }

  clear(): void {
    this.state = EMPTY_CLUSTER_STATE;
    this.synced = false;
  }
}

export const cluster = new ClusterStore();
