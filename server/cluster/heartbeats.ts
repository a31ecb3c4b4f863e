/**
 * The kubelet's heartbeat, as in Kubernetes: its own loop renews the node's Lease every 10 s
 * (and posts Ready=True when the node was marked otherwise) while someone runs the kubelet, a
 * connected student or its bot. Not when the machine is stopped (the instructor's fault), nor in
 * the manual-heartbeat drill, nor while the kubelet's student is gone and the bot not yet back:
 * then the node lifecycle controller sees the silence. One recurring timer per classroom (every
 * process schedules the same key), due when the next node's renewal is: a classroom of 1,000 nodes
 * renews 1,000 Leases every 10 s, and a timer job per node on top of each write would double the work.
 */
import { fromRFC3339, type SimTime } from '@shared/model';
import { kubeletRole, type ClassroomView } from '@shared/protocol';
import { NODE_LEASE_RENEW_SECONDS, isApiRequest, kubeletStopped, manualHeartbeat, partitioned, postNodeStatus, renewLease, type ClusterState } from '@shared/sim';
import type { ClusterRuntime, Moment } from './cluster-runtime';
import { mapAtMost } from './map-at-most';

export const KUBELET_HEARTBEAT = 'kubeletHeartbeat';
/** One key per classroom; a timer of the older per-node scheme (`kubeletHeartbeat:<node>`) is cancelled by `follow`. */
const HEARTBEAT_KEY = KUBELET_HEARTBEAT;
const RENEW_MS = NODE_LEASE_RENEW_SECONDS * 1000;
/** Nodes whose Lease one heartbeat renews side by side (each a store write: a Redis round trip). */
const RENEWALS_AT_ONCE = 16;

/** Someone runs the node's kubelet: its student is connected, or its bot plays. */
export function kubeletRuns(view: ClassroomView, node: string): boolean {
  const seat = view.seats.find((s) => s.role === kubeletRole(node));
  if (!seat) return false;
  if (seat.bot === 'playing') return true;
  const team = new Set(seat.studentIds);
  return view.members.some((m) => team.has(m.id) && m.connected);
}

export class KubeletHeartbeats {
  constructor(private readonly runtime: ClusterRuntime) {}

  register(): void {
    this.runtime.timers.onTimer(KUBELET_HEARTBEAT, (classroomId) => this.beat(classroomId));
  }

  /** The keys of the heartbeat timers the classroom needs now (the timer sweep checks they are pending). */
  wantedBeats(view: ClassroomView): string[] {
    return view.phase === 'running' && view.nodes.length ? [HEARTBEAT_KEY] : [];
  }

  /**
   * A running classroom has its heartbeat timer, due at once when a node has no Lease yet (it was
   * just added); idempotent in every process. Timers of the per-node scheme are cancelled.
   */
  async follow(view: ClassroomView): Promise<void> {
    if (view.phase !== 'running') return;
    const pending = (await this.runtime.timers.pending(view.id)).map((t) => t.key);
    for (const key of pending) if (key.startsWith(`${KUBELET_HEARTBEAT}:`)) await this.runtime.timers.cancel(view.id, key);
    const state = await this.runtime.state(view.id);
    if (pending.includes(HEARTBEAT_KEY) && view.nodes.every((node) => state.nodeLease(node))) return;
    const now = (await this.runtime.moment(view.id))?.now ?? view.clock.simAtWall;
    await this.schedule(view.id, now);
  }

  /** Beats at once (a classroom taken over from a dead owner, see start-cluster.ts); books the next beat. */
  async beatNow(view: ClassroomView): Promise<void> {
    if (view.phase === 'running' && view.nodes.length) await this.beat(view.id);
  }

  private schedule(classroomId: string, dueAt: SimTime): Promise<void> {
    return this.runtime.timers.schedule(classroomId, { kind: KUBELET_HEARTBEAT, key: HEARTBEAT_KEY, dueAt, payload: null });
  }

  private async beat(classroomId: string): Promise<void> {
    const runtime = this.runtime;
    const moment = await runtime.moment(classroomId);
    if (!moment || moment.view.phase === 'closed') return;
    // The next beat is booked first, a whole period on, so a renewal that fails (Redis gone) never
    // ends the heartbeat; then moved up to the next node's renewal once this one's are written.
    await this.schedule(classroomId, moment.now + RENEW_MS);
    const due = await mapAtMost(RENEWALS_AT_ONCE, moment.view.nodes, (node) => this.renew(classroomId, node, moment));
    const soonest = Math.min(...due.filter((at) => at !== null));
    if (soonest < moment.now + RENEW_MS) await this.schedule(classroomId, Math.max(soonest, moment.now + 1));
  }

  /** Renews the node's Lease when due; returns when its next renewal is due, or null when its kubelet is not beating. */
  private renew(classroomId: string, node: string, moment: Moment): Promise<SimTime | null> {
    const runtime = this.runtime;
    return runtime.exclusive(classroomId, `heartbeat:${node}`, async () => {
      const state = await runtime.state(classroomId);
      const object = state.node(node);
      if (!object || kubeletStopped(state, node) || partitioned(state, node) || manualHeartbeat(state, node) || !kubeletRuns(moment.view, node)) return null;
      // The Lease's own renewal timer is this one: only the writes go through.
      const steps = [...renewLease(state, node, moment.now), ...postNodeStatus(object, moment.now)].filter(isApiRequest);
      if (!steps.length) return renewedAt(state, node) + RENEW_MS;
      const { written } = await runtime.apply(classroomId, steps, { actor: `system:node:${node}`, simTime: moment.now });
      runtime.automaticWork?.(moment.view, kubeletRole(node), written.length);
      return moment.now + RENEW_MS;
    });
  }
}

function renewedAt(state: ClusterState, node: string): SimTime {
  const renewed = state.nodeLease(node)?.spec.renewTime;
  return renewed === undefined ? 0 : fromRFC3339(renewed);
}
