/**
 * Leader election of the control-plane teams, as an HA control plane does it: one Lease per
 * leader-elected role in `kube-system` (`kube-scheduler`, `kube-controller-manager`) whose
 * holderIdentity is the leading student's id (or `bot:<role>` while the bot plays). A connected
 * leader keeps it; when the leader disconnects, the earliest-joined connected member of the team
 * acquires it at once (well within the Lease duration) and leaseTransitions counts the hand-over.
 * Every process runs this on every seat change and decides the same; the Lease's resourceVersion
 * lets one write win, the others meet Conflict or AlreadyExists and stop.
 */
import { LEADER_ELECTION_NAMESPACE, makeLease, toMicroTime, type Lease, type SimTime } from '@shared/model';
import { isLeaderElected, leaseNameOf, simNow, type ClassroomView, type ControlPlaneRole } from '@shared/protocol';
import { isApiError, type ObjectStore } from '../store';

/** kube-scheduler's and kube-controller-manager's default --leader-elect-lease-duration. */
export const LEADER_LEASE_DURATION_SECONDS = 15;


/** Who should hold the role's Lease now, or null to leave it as it is. */
export function electedHolder(view: ClassroomView, role: ControlPlaneRole, current: string | undefined): string | null {
  const seat = view.seats.find((s) => s.role === role);
  if (!seat) return null;
  const team = new Set(seat.studentIds);
  const connected = view.members.filter((m) => team.has(m.id) && m.connected).map((m) => m.id);
  if (current !== undefined && connected.includes(current)) return current;
  const standby = connected[0];
  if (standby !== undefined) return standby;
  // Nobody connected: a leader within its grace period keeps the Lease; a played-by-bot seat gives it to the bot.
  if (current !== undefined && team.has(current) && seat.leaderId !== null) return current;
  return seat.bot === 'playing' ? `bot:${role}` : null;
}

async function settle(store: ObjectStore, view: ClassroomView, role: ControlPlaneRole, now: SimTime): Promise<void> {
  const name = leaseNameOf(role);
  const context = { actor: 'system:leader-election', simTime: now };
  let lease: Lease | null = null;
  try {
    lease = await store.get(view.id, { kind: 'Lease', name, namespace: LEADER_ELECTION_NAMESPACE });
  } catch (error) {
    if (!isApiError(error, 'NotFound')) throw error;
  }
  const holder = electedHolder(view, role, lease?.spec.holderIdentity);
  if (holder === null || holder === lease?.spec.holderIdentity) return;
  try {
    if (!lease) {
      await store.create(view.id, makeLease(name, LEADER_ELECTION_NAMESPACE, holder, LEADER_LEASE_DURATION_SECONDS, now), context);
      return;
    }
    const spec = { ...lease.spec, holderIdentity: holder, acquireTime: toMicroTime(now), renewTime: toMicroTime(now), leaseTransitions: (lease.spec.leaseTransitions ?? 0) + 1 };
    await store.update(view.id, { ...lease, spec }, context);
  } catch (error) {
    if (!isApiError(error, 'Conflict') && !isApiError(error, 'AlreadyExists')) throw error;
  }
}

/** Brings every control-plane Lease of the classroom in line with who is connected. */
export async function electLeaders(store: ObjectStore, view: ClassroomView): Promise<void> {
  if (view.phase === 'closed') return;
  const now = Math.floor(simNow(view.clock, Date.now()));
  for (const seat of view.seats) if (isLeaderElected(seat.role)) await settle(store, view, seat.role, now);
}

/** Why a control-plane student who does not hold the Lease (`holder` does) may not act. */
export function standbyReason(holder: string, role: ControlPlaneRole, nameOf: (id: string) => string): string {
  const who = holder.startsWith('bot:') ? 'the bot' : nameOf(holder);
  return `you are standing by: ${who} holds the Lease ${LEADER_ELECTION_NAMESPACE}/${leaseNameOf(role)}, and only the leader of a ${role} team acts; you take over if the leader leaves`;
}
