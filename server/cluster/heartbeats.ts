/**
 * The kubelet's heartbeat, as in Kubernetes: its own loop renews the node's Lease every 10 s
 * (and posts Ready=True when the node was marked otherwise) while someone runs the kubelet, a
 * connected student or its bot. Not when the machine is stopped (the instructor's fault), nor in
 * the manual-heartbeat drill, nor while the kubelet's student is gone and the bot not yet back:
 * then the node lifecycle controller sees the silence. One recurring timer per node, keyed by
 * node, so every process schedules the same one.
 */
import { kubeletRole, type ClassroomView } from '@shared/protocol';
import { NODE_LEASE_RENEW_SECONDS, isApiRequest, kubeletStopped, manualHeartbeat, partitioned, postNodeStatus, renewLease } from '@shared/sim';
import { z } from 'zod';
import type { SimTimer } from '../jobs/sim-timer';
import type { ClusterRuntime } from './cluster-runtime';

export const KUBELET_HEARTBEAT = 'kubeletHeartbeat';
const keyOf = (node: string): string => `${KUBELET_HEARTBEAT}:${node}`;
const payload = z.object({ node: z.string() });

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
    this.runtime.timers.onTimer(KUBELET_HEARTBEAT, (classroomId, timer) => this.beat(classroomId, timer));
  }

  /** The keys of the heartbeat timers the classroom needs now (the timer sweep checks they are pending). */
  wantedBeats(view: ClassroomView): string[] {
    return view.phase === 'running' ? view.nodes.map(keyOf) : [];
  }

  /** Every node of a running classroom has its heartbeat timer; idempotent in every process. */
  async follow(view: ClassroomView): Promise<void> {
    if (view.phase !== 'running') return;
    const pending = new Set((await this.runtime.timers.pending(view.id)).map((t) => t.key));
    const now = (await this.runtime.moment(view.id))?.now ?? view.clock.simAtWall;
    for (const node of view.nodes) {
      if (pending.has(keyOf(node))) continue;
      await this.runtime.timers.schedule(view.id, { kind: KUBELET_HEARTBEAT, key: keyOf(node), dueAt: now, payload: { node } });
    }
  }

  private async beat(classroomId: string, timer: SimTimer): Promise<void> {
    const { node } = payload.parse(timer.payload);
    const runtime = this.runtime;
    const moment = await runtime.moment(classroomId);
    if (!moment || moment.view.phase === 'closed' || !moment.view.nodes.includes(node)) return;
    // The next beat is booked first: a renewal that fails (Redis gone) never ends the heartbeat.
    await runtime.timers.schedule(classroomId, { kind: KUBELET_HEARTBEAT, key: keyOf(node), dueAt: moment.now + NODE_LEASE_RENEW_SECONDS * 1000, payload: { node } });
    await runtime.exclusive(classroomId, `heartbeat:${node}`, async () => {
      const state = await runtime.state(classroomId);
      const object = state.node(node);
      if (!object || kubeletStopped(state, node) || partitioned(state, node) || manualHeartbeat(state, node) || !kubeletRuns(moment.view, node)) return;
      // The Lease's own renewal timer is this one: only the writes go through.
      const steps = [...renewLease(state, node, moment.now), ...postNodeStatus(object, moment.now)].filter(isApiRequest);
      if (!steps.length) return;
      const { written } = await runtime.apply(classroomId, steps, { actor: `system:node:${node}`, simTime: moment.now });
      runtime.automaticWork?.(moment.view, kubeletRole(node), written.length);
    });
  }
}
