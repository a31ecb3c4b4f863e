/**
 * The kubelet's heartbeat, as in Kubernetes: its own loop renews the node's Lease every 10 s
 * (and posts Ready=True when the node was marked otherwise) while someone runs the kubelet, a
 * connected student or its bot. Not when the machine is stopped (the instructor's fault), nor in
 * the manual-heartbeat drill, nor while the kubelet's student is gone and the bot not yet back:
 * then the node lifecycle controller sees the silence. One recurring timer per classroom (every
 * process schedules the same key), due when the next node's renewal is: a classroom of 1,000 nodes
 * renews 1,000 Leases every 10 s, and a timer job per node on top of each write would double the work.
 * The Leases due at a beat are written together, a hundred nodes a script: each still its own
 * version and watch event by `system:node:<node>`, as kube-apiserver has them, where a commit
 * each cost the server more than its own work (0.4-0.8 ms, profiled at time scale 100).
 */
import { fromRFC3339, type SimTime } from '@shared/model';
import { kubeletRole, type ClassroomView, type Role } from '@shared/protocol';
import { NODE_LEASE_RENEW_SECONDS, isApiRequest, type ApiRequest, kubeletStopped, manualHeartbeat, partitioned, postNodeStatus, renewLease, type ClusterState } from '@shared/sim';
import type { ClusterRuntime, Moment } from './cluster-runtime';
import { mapAtMost } from './map-at-most';

export const KUBELET_HEARTBEAT = 'kubeletHeartbeat';
/** One key per classroom; a timer of the older per-node scheme (`kubeletHeartbeat:<node>`) is cancelled by `follow`. */
const HEARTBEAT_KEY = KUBELET_HEARTBEAT;
const RENEW_MS = NODE_LEASE_RENEW_SECONDS * 1000;
/** Nodes whose renewals go in one store write (one script: Redis runs nothing else meanwhile). */
const NODES_A_WRITE = 100;
/** Store writes of one heartbeat side by side. */
const WRITES_AT_ONCE = 2;

/** The kubelets someone runs, by role: the seat's student is connected, or its bot plays (read once a beat: a classroom may have 1,000 seats). */
function runningKubelets(view: ClassroomView): Set<Role> {
  const connected = new Set(view.members.filter((m) => m.connected).map((m) => m.id));
  return new Set(view.seats.filter((seat) => seat.bot === 'playing' || seat.studentIds.some((id) => connected.has(id))).map((seat) => seat.role));
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
    const due = await runtime.exclusive(classroomId, 'kubelet-heartbeats', () => this.renewDue(classroomId, moment));
    const soonest = Math.min(...due);
    if (soonest < moment.now + RENEW_MS) await this.schedule(classroomId, Math.max(soonest, moment.now + 1));
  }

  /**
   * Renews every node Lease that is due (and posts Ready where it is not True), each node's writes
   * by its own kubelet, all of them in a few store writes (each Lease still its own version and
   * watch event); returns when the beating nodes' next renewals are due.
   */
  private async renewDue(classroomId: string, moment: Moment): Promise<SimTime[]> {
    const runtime = this.runtime;
    const state = await runtime.state(classroomId);
    const next: SimTime[] = [];
    const renewals: { node: string; writes: { request: ApiRequest; actor: string }[] }[] = [];
    const running = runningKubelets(moment.view);
    for (const node of moment.view.nodes) {
      const object = state.node(node);
      if (!object || kubeletStopped(state, node) || partitioned(state, node) || manualHeartbeat(state, node) || !running.has(kubeletRole(node))) continue;
      // The Lease's own renewal timer is this one: only the writes go through.
      const requests = [...renewLease(state, node, moment.now), ...postNodeStatus(object, moment.now)].filter(isApiRequest);
      if (!requests.length) next.push(renewedAt(state, node) + RENEW_MS);
      else renewals.push({ node, writes: requests.map((request) => ({ request, actor: `system:node:${node}` })) });
    }
    const chunks: (typeof renewals)[] = [];
    for (let at = 0; at < renewals.length; at += NODES_A_WRITE) chunks.push(renewals.slice(at, at + NODES_A_WRITE));
    await mapAtMost(WRITES_AT_ONCE, chunks, async (chunk) => {
      const refusals = await runtime.applyEach(classroomId, chunk.flatMap((r) => r.writes), moment.now);
      let at = 0;
      for (const { node, writes } of chunk) {
        const written = refusals.slice(at, (at += writes.length)).filter((refusal) => refusal === null).length;
        runtime.automaticWork?.(moment.view, kubeletRole(node), written);
      }
    });
    // A refused renewal is tried again a period on, as a kubelet's next heartbeat would.
    return [...next, ...renewals.map(() => moment.now + RENEW_MS)];
  }
}

function renewedAt(state: ClusterState, node: string): SimTime {
  const renewed = state.nodeLease(node)?.spec.renewTime;
  return renewed === undefined ? 0 : fromRFC3339(renewed);
}
