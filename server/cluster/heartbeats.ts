/**
 * The kubelet's heartbeat, as in Kubernetes: its own loop renews the node's Lease every 10 s
 * (and posts Ready=True when the node was marked otherwise) while someone runs the kubelet, a
 * connected student or its bot. Not when the machine is stopped (the instructor's fault), nor in
 * the manual-heartbeat drill, nor while the kubelet's student is gone and the bot not yet back:
 * then the node lifecycle controller sees the silence. One loop per classroom on its owning process
 * (jobs/sim-loops.ts), its next pass due when the next node's renewal is: a classroom of 1,000 nodes
 * renews 1,000 Leases every 10 s, and a timer per node on top of each write would double the work.
 * Nothing of it is in Redis: the Leases say when each node is due, so a new owner beats at once when
 * it takes the classroom over and goes on from there (as a BullMQ job, each pass cost about 25 Redis
 * commands, most of a settled classroom's).
 * The Leases due at a beat are written together, a hundred nodes a script: each still its own
 * version and watch event by `system:node:<node>`, as kube-apiserver has them, where a commit
 * each cost the server more than its own work (0.4-0.8 ms, profiled at time scale 100).
 */
import { fromRFC3339, type SimTime } from '@shared/model';
import { kubeletRole, type ClassroomView, type Role } from '@shared/protocol';
import { NODE_LEASE_RENEW_SECONDS, isApiRequest, type ApiRequest, kubeletStopped, manualHeartbeat, partitioned, postNodeStatus, renewLease, type ClusterState } from '@shared/sim';
import type { SimLoops } from '../jobs/sim-loops';
import type { ClusterRuntime, Moment } from './cluster-runtime';
import { mapAtMost } from './map-at-most';

export const KUBELET_HEARTBEAT = 'kubeletHeartbeat';
/** The classroom's loop; a BullMQ timer of the older schemes (`kubeletHeartbeat`, `kubeletHeartbeat:<node>`) is cancelled by `follow`. */
const HEARTBEAT_LOOP = KUBELET_HEARTBEAT;
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
  /** Classrooms whose BullMQ heartbeat timers (the schemes before the loop) were looked for. */
  private readonly cleaned = new Set<string>();

  constructor(
    private readonly runtime: ClusterRuntime,
    private readonly loops: SimLoops,
    /** Whether this process owns the classroom: only the owner's kubelets beat. */
    private readonly owns: (classroomId: string) => boolean,
  ) {}

  /** A timer booked as a BullMQ job by an earlier version completes: the loop beats now. */
  register(): void {
    this.runtime.timers.onTimer(KUBELET_HEARTBEAT, async () => {});
  }

  /** The names of the heartbeat loops the classroom needs now (the timer sweep checks they run). */
  wantedBeats(view: ClassroomView): string[] {
    return view.phase === 'running' && view.nodes.length ? [HEARTBEAT_LOOP] : [];
  }

  /** The heartbeat loops running here for the classroom. */
  runningBeats(classroomId: string): string[] {
    return this.loops.has(classroomId, HEARTBEAT_LOOP) ? [HEARTBEAT_LOOP] : [];
  }

  /**
   * A running classroom owned here has its heartbeat loop, its next pass at once when a node has
   * no Lease yet (it was just added); idempotent. BullMQ timers of the older schemes are cancelled.
   */
  async follow(view: ClassroomView): Promise<void> {
    if (view.phase !== 'running' || !view.nodes.length || !this.owns(view.id)) return;
    if (!this.cleaned.has(view.id)) {
      for (const timer of await this.runtime.timers.pending(view.id)) if (timer.key === KUBELET_HEARTBEAT || timer.key.startsWith(`${KUBELET_HEARTBEAT}:`)) await this.runtime.timers.cancel(view.id, timer.key);
      this.cleaned.add(view.id);
    }
    const state = await this.runtime.state(view.id);
    const now = (await this.runtime.moment(view.id))?.now ?? view.clock.simAtWall;
    const unleased = !view.nodes.every((node) => state.nodeLease(node));
    if (this.loops.has(view.id, HEARTBEAT_LOOP)) {
      if (unleased) this.loops.bringForward(view.id, HEARTBEAT_LOOP, now);
      return;
    }
    this.loops.start(view.id, HEARTBEAT_LOOP, scheduleOf(view), (at) => this.pass(view.id, at), now);
  }

  /** The classroom's clock changed: its loop follows. */
  noteView(view: ClassroomView): void {
    this.loops.follow(view.id, scheduleOf(view));
  }

  /** This process gave the classroom up (or it closed). */
  release(classroomId: string): void {
    this.loops.stopAll(classroomId);
    this.cleaned.delete(classroomId);
  }

  /** Beats at once (a classroom taken over from a dead owner, see start-cluster.ts); the loop goes on from there. */
  async beatNow(view: ClassroomView): Promise<void> {
    if (view.phase === 'running' && view.nodes.length) await this.beat(view.id);
  }

  private async pass(classroomId: string, _now: SimTime): Promise<boolean | { nextAt: SimTime }> {
    if (!this.owns(classroomId)) return false;
    const next = await this.beat(classroomId);
    return next === null ? false : { nextAt: next };
  }

  /** Renews the Leases that are due; resolves to when the next one is (null: the classroom is gone or closed). */
  private async beat(classroomId: string): Promise<SimTime | null> {
    const runtime = this.runtime;
    const moment = await runtime.moment(classroomId);
    if (!moment || moment.view.phase === 'closed') return null;
    const due = await runtime.exclusive(classroomId, 'kubelet-heartbeats', () => this.renewDue(classroomId, moment));
    return Math.min(...due, moment.now + RENEW_MS);
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

/** The loop's clock; its period is the renewal interval (a pass usually comes sooner: the next node's renewal). */
function scheduleOf(view: ClassroomView): { clock: ClassroomView['clock']; periodMs: number } {
  return { clock: view.clock, periodMs: RENEW_MS };
}

function renewedAt(state: ClusterState, node: string): SimTime {
  const renewed = state.nodeLease(node)?.spec.renewTime;
  return renewed === undefined ? 0 : fromRFC3339(renewed);
}
