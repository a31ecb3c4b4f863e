/**
 * The `action` pipeline, in Kubernetes' order: the payload's schema -> the sender's role (a
 * per-node role acts only for its own node) -> for control-plane teams, the leader's Lease ->
 * the shared/sim rules -> the store write carrying the resourceVersion the student saw -> the ack.
 * Every request, accepted or refused, goes into the classroom's API request log and out to the
 * classroom as `requests`.
 */
import { randomUUID } from 'node:crypto';
import {
  actionComponent,
  clusterAction,
  isLeaderElected,
  nodeOfRole,
  parseRole,
  refuse,
  simNow,
  type Ack,
  type ApiRequestEntry,
  type ClusterAction,
  type Identity,
  type Role,
} from '@shared/protocol';
import { planAction } from '@shared/sim';
import type { ClusterRuntime } from '../cluster/cluster-runtime';
import { kubeletStopped, stoppedMessage } from '../cluster/faults';
import { refusalOf } from '../cluster/refusal';
import { leaseNameOf, standbyReason } from './leader-election';
import { classroomRoom } from './rooms';
import type { BackgroundWork } from './background-work';
import type { ClusterPlayServer, ClusterPlaySocket } from './types';

export type ActionReply = Ack<{ resourceVersion?: string; message?: string }>;

/** What the request log shows as the target, in kubectl's `resource/name` form. */
export function targetOf(action: ClusterAction): string {
  switch (action.kind) {
    case 'renewLease':
      return `leases/${action.node}`;
    case 'answerCri':
      return `containerruntimes/${action.node}`;
    case 'createPod':
      return `replicasets/${action.replicaSet}`;
    case 'scale':
      return `${action.target === 'Deployment' ? 'deployments' : 'replicasets'}/${action.name}`;
    case 'syncDeployment':
      return `deployments/${action.deployment}`;
    case 'setNodeCondition':
    case 'taintNode':
    case 'untaintNode':
      return `nodes/${action.node}`;
    case 'updateEndpoints':
      return `endpoints/${action.service}`;
    case 'syncProxyRules':
    case 'routeRequest':
      return `services/${action.service}`;
    default:
      return `pods/${action.pod}`;
  }
}

/** The role check: the component that sends this kind of request, and only for its own node. */
export function authorize(identity: Identity, action: ClusterAction): { ok: true; role: Role } | { ok: false; message: string } {
  const component = actionComponent[action.kind];
  if (identity.kind === 'instructor') return { ok: false, message: `the instructor does not play a component: ${action.kind} is the ${component}'s request` };
  if (identity.role === null) return { ok: false, message: `you have no role yet: ${action.kind} is the ${component}'s request; wait for the instructor to assign you one` };
  const role = parseRole(identity.role);
  if (!role || role.component !== component) return { ok: false, message: `${identity.role} may not ${action.kind}: only the ${component} sends that request` };
  if ('node' in role && 'node' in action && action.node !== role.node) {
    return {
      ok: false,
      message: `${identity.role} acts only for its own node ${role.node}, not for ${action.node}: each kubelet and container runtime manages only the node it runs on`,
    };
  }
  return { ok: true, role: identity.role };
}

async function decide(runtime: ClusterRuntime, identity: Identity, action: ClusterAction, clock: { simTime: number }): Promise<ActionReply> {
  const authorized = authorize(identity, action);
  if (!authorized.ok) return refuse('Forbidden', authorized.message);
  const { role } = authorized;
  const classroomId = identity.classroomId;
  return runtime.exclusive(classroomId, role, async () => {
    const [run, state] = await Promise.all([runtime.run(classroomId), runtime.state(classroomId)]);
    if (!run || run.phase === 'closed') return refuse('Forbidden', 'this classroom is closed');
    const now = Math.floor(simNow(run.clock, Date.now()));
    clock.simTime = now;
    if (isLeaderElected(role)) {
      const holder = state.leaderLease(leaseNameOf(role))?.spec.holderIdentity;
      if (holder !== undefined && holder !== identity.memberId) {
        const members = (await runtime.classrooms.view(classroomId))?.members ?? [];
        return refuse('Forbidden', standbyReason(holder, role, (id) => members.find((m) => m.id === id)?.name ?? id));
      }
    }
    const node = nodeOfRole(role);
    if (node !== null && kubeletStopped(state, node)) return refuse('ServiceUnavailable', stoppedMessage(node));
    const plan = planAction(state, action, now, runtime.rng());
    if (!plan.ok) return refuse(plan.code, plan.message);
    const outcome = await runtime.apply(classroomId, plan.steps, { actor: `student:${identity.memberId}`, simTime: now }, { stopAtRefusal: true });
    if (outcome.refusal) return outcome.refusal;
    const resourceVersion = outcome.written.at(-1)?.metadata.resourceVersion ?? state.resourceVersion;
    return { ok: true, resourceVersion, message: plan.message };
  });
}

function logEntry(identity: Identity, payload: unknown, action: ClusterAction | null, reply: ActionReply, simTime: number): ApiRequestEntry {
  const kind = typeof payload === 'object' && payload !== null && 'kind' in payload ? String(payload.kind).slice(0, 40) : 'unknown';
  const entry: ApiRequestEntry = {
    id: randomUUID(),
    wallTime: Date.now(),
    simTime,
    actor: identity.kind === 'instructor' ? 'instructor' : `student:${identity.memberId}`,
    actorName: identity.name,
    role: identity.kind === 'student' ? identity.role : null,
    verb: action?.kind ?? kind,
    target: action ? targetOf(action) : '',
    outcome: reply.ok ? 'accepted' : 'refused',
    message: reply.ok ? (reply.message ?? '') : reply.message,
  };
  if (!reply.ok) entry.code = reply.code;
  return entry;
}

export interface ActionHandlerDeps {
  io: ClusterPlayServer;
  runtime: ClusterRuntime;
  /** Socket-started async work, so shutdown waits for it. */
  work: BackgroundWork;
}

/**
 * Handles one `action` payload from this socket: answers it, then logs and broadcasts the request
 * (the log is for the class to read, so neither the sender nor the watch fan-out waits for it).
 */
export async function handleAction(socket: ClusterPlaySocket, payload: unknown, { io, runtime, work }: ActionHandlerDeps, answer: (reply: ActionReply) => void): Promise<void> {
  const identity = socket.data.identity;
  const parsed = clusterAction.safeParse(payload);
  let reply: ActionReply;
  const clock = { simTime: 0 };
  if (!parsed.success) {
    reply = refuse('BadRequest', parsed.error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; '));
  } else {
    try {
      reply = await decide(runtime, identity, parsed.data, clock);
    } catch (error) {
      reply = refusalOf(error);
    }
  }
  answer(reply);
  const entry = logEntry(identity, payload, parsed.success ? parsed.data : null, reply, clock.simTime);
  work.run('logging an API request', async () => {
    // A turn later: the write's watch event usually came in this turn, and its flush to the
    // classroom (queued then) goes out before the log's broadcast and append.
    await new Promise<void>((resolve) => setImmediate(resolve));
    io.to(classroomRoom(identity.classroomId)).emit('requests', [entry]);
    await runtime.store.appendRequestLog(identity.classroomId, entry);
  });
}

export function registerActionHandlers(socket: ClusterPlaySocket, deps: ActionHandlerDeps): void {
  socket.on('action', (payload: unknown, ack: unknown) => {
    let answered = false;
    const answer = (reply: ActionReply) => {
      answered = true;
      if (typeof ack === 'function') ack(reply);
    };
    deps.work.run('a cluster action', async () => {
      try {
        await handleAction(socket, payload, deps, answer);
      } catch (error) {
        deps.runtime.logger.error({ err: error }, 'cluster action failed');
        if (!answered) answer(refuse('InternalError', 'the server failed to handle this request'));
      }
    });
  });
}
