/**
 * The rulebook: for any role and cluster state, the moves that role can make now (`legalMoves`),
 * and the check every sent action goes through (`planAction`). An action is accepted exactly when
 * it is one of the role's legal moves, and it then makes that move's requests and nothing else.
 */
import { RESOURCE, notFound, type SimTime } from '@shared/model';
import { actionComponent, type ClusterAction, type ErrorCode, type Role } from '@shared/protocol';
import { routeRequest, type RouteOutcome } from '../proxy/proxy';
import type { Step } from '../requests';
import { checkBinding } from '../scheduler/scheduler';
import type { Rng } from '../rng';
import type { ClusterState } from '../state';
import { CONTROLLERS, controllerManagerMoves, controllerManagerMovesFor, type Controller } from './controller-manager';
import { firstControllerMoves } from './controller-queue';
import { kubeProxyMoves } from './kube-proxy';
import { kubeletMoves } from './kubelet';
import { runtimeMoves } from './runtime';
import { schedulerMoves, type SchedulerScope } from './scheduler';
import type { Move, PlannedMove, PlannedMoves, RoleMoves, WaitingMove } from './types';

export * from './types';
export { describeCall } from './runtime';

function parse(role: Role): { component: string; node?: string } {
  const [component, node] = role.split(':');
  return node === undefined ? { component: component ?? role } : { component: component ?? role, node };
}

/**
 * Which moves are asked for: all (a screen), enough for the first that makes progress (a bot), or
 * those of the object a sent action names (`action`, in `namespace`). A narrower question lists a
 * subset of the full list in the same order, holding every move the question is about.
 */
interface PlanScope extends SchedulerScope {
  action?: ClusterAction;
}

function plannedMoves(role: Role, state: ClusterState, now: SimTime, scope: PlanScope = {}): PlannedMoves {
  const { component, node } = parse(role);
  switch (component) {
    case 'scheduler':
      return schedulerMoves(state, now, scope);
    case 'controller-manager':
      return scope.action ? controllerManagerMovesFor(state, scope.action, now, scope.namespace ?? 'default') : controllerManagerMoves(state, now);
    case 'kube-proxy':
      // A sent request to a Service asks only about that probe (the syncs to work out change nothing it does).
      return kubeProxyMoves(state, node ?? '', now, scope.action?.kind === 'routeRequest' ? { probe: `${scope.namespace ?? 'default'}/${scope.action.service}` } : {});
    case 'kubelet':
      return kubeletMoves(state, node ?? '', now, scope);
    case 'container-runtime':
      return runtimeMoves(state, node ?? '', now, scope.action?.kind === 'answerCri' ? { callId: scope.action.callId } : { firstProgress: scope.firstProgress === true });
    default:
      return { moves: [], waiting: [] };
  }
}

const strip = ({ plan: _plan, ...move }: PlannedMove): Move => move;

/** Everything the role can do now (first: the next move), and what it is waiting for. */
export function roleMoves(role: Role, state: ClusterState, now: SimTime): RoleMoves {
  const planned = plannedMoves(role, state, now);
  return { moves: planned.moves.map(strip), waiting: planned.waiting };
}

export function legalMoves(role: Role, state: ClusterState, now: SimTime): Move[] {
  return roleMoves(role, state, now).moves;
}

function nextPlannedMove(role: Role, state: ClusterState, now: SimTime): PlannedMove | undefined {
  // The scheduler stops at the head of its queue: listing every pod's every node is for screens.
  return plannedMoves(role, state, now, { firstProgress: true }).moves.find((m) => m.progress);
}

/** The move a bot (or a student following the highlight) makes next, if any. */
export function nextMove(role: Role, state: ClusterState, now: SimTime): Move | undefined {
  const found = nextPlannedMove(role, state, now);
  return found && strip(found);
}

/**
 * The next move of a bot that gives each controller of its component a turn: kube-controller-manager
 * runs every controller on workers of its own, so none waits until the others have nothing left to
 * do. Taking the first listed move instead left the garbage collector (listed last) behind every
 * other controller's work, so a `kubectl delete --cascade=orphan` waited as long as the cluster was
 * busy. `turn` picks the controller (among those with a move) whose first move it is; a component
 * of one loop has one list, and its next move is `nextMove`'s.
 */
export function nextMoveInTurn(role: Role, state: ClusterState, now: SimTime, turn: number): Move | undefined {
  const pick = nextPlannedMoveInTurn(role, state, now, turn);
  return pick && strip(pick);
}

function nextPlannedMoveInTurn(role: Role, state: ClusterState, now: SimTime, turn: number): PlannedMove | undefined {
  if (role !== 'controller-manager') return nextPlannedMove(role, state, now);
  // The controllers' work queues: only what changed since the last look is planned again.
  const first = firstControllerMoves(state, now);
  const ready = CONTROLLERS.filter((c) => first.has(c));
  return ready.length ? first.get(ready[turn % ready.length] as Controller) : undefined;
}

/**
 * `nextMoveInTurn`'s move with the requests it makes: what `planAction` answers for that move's
 * action on the same state at the same time, worked out once. The API server plays a bot's next
 * move with it, where the bot choosing the move and the API server checking it planned it twice.
 */
export function planNextMove(role: Role, state: ClusterState, now: SimTime, turn: number, rng: Rng): Extract<ActionPlan, { ok: true }> | undefined {
  const move = nextPlannedMoveInTurn(role, state, now, turn);
  if (!move) return undefined;
  // A request to a Service is a probe, never a bot's next move (not progress): no route to work out.
  return { ok: true, steps: move.plan(rng), message: move.why, move: strip(move) };
}

/** The role that sends this action: per-node components act for the node the action names. */
export function roleOfAction(action: ClusterAction): Role {
  const component = actionComponent[action.kind];
  if ((component === 'kubelet' || component === 'container-runtime' || component === 'kube-proxy') && 'node' in action) return `${component}:${action.node}`;
  return component as Role;
}

/** Two actions are the same move when everything but the resourceVersion they were based on matches. */
export function moveKey(action: ClusterAction): string {
  const { resourceVersion: _rv, ...rest } = action as ClusterAction & { resourceVersion?: string };
  return JSON.stringify(Object.keys(rest).sort().map((k) => [k, (rest as Record<string, unknown>)[k]]));
}

/** A value as moveKey writes it (inside its array: nothing JSON can hold is null). */
const keyJson = (value: unknown): string => JSON.stringify(value) ?? 'null';

/** `moveKey(a) === moveKey(b)`, field by field: every sent action is compared with its role's moves. */
export function sameMove(a: ClusterAction, b: ClusterAction): boolean {
  const x = a as unknown as Record<string, unknown>;
  const y = b as unknown as Record<string, unknown>;
  const fields = Object.keys(x).filter((k) => k !== 'resourceVersion');
  if (fields.length !== Object.keys(y).filter((k) => k !== 'resourceVersion').length) return false;
  return fields.every((k) => Object.hasOwn(y, k) && (x[k] === y[k] || keyJson(x[k]) === keyJson(y[k])));
}

export type ActionPlan =
  | { ok: true; steps: Step[]; message: string; move: Move; route?: RouteOutcome }
  | { ok: false; code: ErrorCode; message: string };

const refuse = (code: ErrorCode, message: string): ActionPlan => ({ ok: false, code, message });

/** Kubernetes' NotFound for the object the action names, when it is not there. */
function missing(state: ClusterState, action: ClusterAction, namespace: string): ActionPlan | undefined {
  const gone = (kind: Parameters<typeof notFound>[0], name: string): ActionPlan => refuse('NotFound', notFound(kind, name).message);
  if ('node' in action && !state.node(action.node)) return gone('Node', action.node);
  switch (action.kind) {
    case 'bind':
    case 'markUnschedulable':
    case 'preempt':
    case 'deletePod':
    case 'evictPod':
      return state.pod(`${namespace}/${action.pod}`) ? undefined : gone('Pod', action.pod);
    case 'pullImage':
    case 'createContainer':
    case 'startContainer':
    case 'restartContainer': {
      const pod = state.podsOn(action.node).find((p) => p.metadata.name === action.pod);
      if (!pod) return refuse('NotFound', `${notFound('Pod', action.pod).message} on ${action.node}`);
      if (!pod.spec.containers.some((c) => c.name === action.container)) {
        return refuse('NotFound', `pod ${action.pod} has no container "${action.container}": its containers are ${pod.spec.containers.map((c) => c.name).join(', ')}`);
      }
      return undefined;
    }
    case 'createPod':
    case 'updateReplicaSetStatus':
      return state.get('ReplicaSet', `${namespace}/${action.replicaSet}`) ? undefined : gone('ReplicaSet', action.replicaSet);
    case 'syncDeployment':
      return state.get('Deployment', `${namespace}/${action.deployment}`) ? undefined : gone('Deployment', action.deployment);
    case 'collectGarbage':
      return state.get(action.objectKind, action.objectKind === 'Node' ? action.name : `${namespace}/${action.name}`) ? undefined : gone(action.objectKind, action.name);
    case 'syncProxyRules':
    case 'routeRequest':
      return state.get('Service', `${namespace}/${action.service}`) || action.kind === 'syncProxyRules' ? undefined : gone('Service', action.service);
    default:
      return undefined;
  }
}

function subjectMatches(w: WaitingMove, action: ClusterAction): boolean {
  if (w.kind !== action.kind) return false;
  const a = action as Partial<Record<'node' | 'pod' | 'container' | 'service' | 'callId', string>>;
  return (['node', 'pod', 'container', 'service', 'callId'] as const).every((k) => w[k] === undefined || a[k] === undefined || w[k] === a[k]);
}

const HINT_LIMIT = 3;

/** Why this action is not a move now, so the student learns what is. */
function notAMove(state: ClusterState, role: Role, action: ClusterAction, planned: PlannedMoves, namespace: string): ActionPlan {
  if (action.kind === 'bind') {
    const pod = state.pod(`${namespace}/${action.pod}`);
    const check = pod && checkBinding(state, pod, action.node);
    if (check && !check.ok) return refuse(pod.spec.nodeName === undefined ? 'Unschedulable' : 'Conflict', pod.spec.nodeName === undefined ? `${check.message} (${check.explanation})` : check.message);
  }
  // Exactly this move waits; else the same container waits on something else (a start while its pull runs).
  const waiting =
    planned.waiting.find((w) => subjectMatches(w, action)) ??
    planned.waiting.find((w) => 'container' in action && w.container === action.container && w.pod === action.pod);
  if (waiting) return refuse('Invalid', `not yet: ${waiting.reason}`);
  if (action.kind === 'renewLease') return refuse('Invalid', `the kubelet of ${action.node} renews its Lease by itself every 10 s; renewing by hand is a drill the instructor can switch on`);
  const next = planned.moves.filter((m) => m.progress).slice(0, HINT_LIMIT);
  const hint = next.length ? ` Moves ${role} can make now: ${next.map((m) => `${m.label} (${m.why})`).join('; ')}.` : ` ${role} has nothing to do right now.`;
  return refuse('Invalid', `${action.kind} ${describeTarget(action)} is not a move ${role} can make now.${hint}`);
}

function describeTarget(action: ClusterAction): string {
  const a = action as Partial<Record<'pod' | 'container' | 'node' | 'service' | 'callId' | 'replicaSet' | 'deployment', string>>;
  if (action.kind === 'collectGarbage') return `${action.objectKind.toLowerCase()}/${action.name}`;
  if (a.pod && a.container) return `${a.pod}/${a.container}`;
  return a.pod ?? a.replicaSet ?? a.deployment ?? a.service ?? a.callId ?? a.node ?? '';
}

/**
 * A sent action checked against the rulebook: refused with a reason a student learns from, or
 * accepted with exactly the requests of that move. `resourceVersion`s the action carries must be
 * the versions the move is based on (409 Conflict otherwise, in Kubernetes' words).
 */
export function planAction(state: ClusterState, action: ClusterAction, now: SimTime, rng: Rng, namespace = 'default'): ActionPlan {
  const absent = missing(state, action, namespace);
  if (absent) return absent;
  const role = roleOfAction(action);
  // An action names its object: only that object's moves need working out (a scheduler action
  // names its pod and node). Found nowhere there, the full list is asked (and says why not).
  const scope: PlanScope = 'pod' in action && role === 'scheduler' ? { pod: action.pod, namespace, ...('node' in action ? { node: action.node } : {}) } : { action, namespace };
  let move = plannedMoves(role, state, now, scope).moves.find((m) => sameMove(m.action, action));
  if (!move) {
    const all = plannedMoves(role, state, now);
    move = scope.action ? all.moves.find((m) => sameMove(m.action, action)) : undefined;
    if (!move) return notAMove(state, role, action, all, namespace);
  }
  const sent = 'resourceVersion' in action ? action.resourceVersion : undefined;
  const based = 'resourceVersion' in move.action ? move.action.resourceVersion : undefined;
  if (sent !== undefined && based !== undefined && sent !== based) {
    const resource = action.kind === 'setNodeCondition' || action.kind === 'taintNode' || action.kind === 'untaintNode' ? RESOURCE.Node : RESOURCE.Pod;
    const name = 'pod' in action ? action.pod : 'node' in action ? action.node : '';
    return refuse('Conflict', `Operation cannot be fulfilled on ${resource} "${name}": the object has been modified; please apply your changes to the latest version and try again`);
  }
  if (action.kind === 'routeRequest') {
    // A probe's plan is its route (kubeProxyMoves): worked out once, for its write and its words.
    const { outcome, steps } = routeRequest(state, action.node, `${namespace}/${action.service}`);
    return { ok: true, steps, message: outcome.message, move: strip(move), route: outcome };
  }
  return { ok: true, steps: move.plan(rng), message: move.why, move: strip(move) };
}
