/**
 * Goals as checks over the cluster and the request log, written as the class reads them:
 *   deployment/web readyReplicas == 3
 *   deployment/web image == nginx:1.28
 *   service/web availability >= 0.99 over 60s
 *   service/web endpoints == 3
 *   node/node-2 pods == 0
 *   node/node-2 ready == 0
 *   deployment/shop image == shop:1.1 and updatedReplicas == 2 and readyReplicas == 2
 * Conditions joined by `and` are on the same object and hold together: a count means something
 * about a version only beside it (the broken image's own ReplicaSet counts as updated too).
 * Evaluation is pure and deterministic (no I/O, the clock passed in), so the server and every
 * screen reach the same verdict from the same inputs.
 */
import { getCondition, objectKey, type Deployment, type Endpoints, type Kind, type KubeObject, type Node, type ObjectOfKind, type Pod } from '@shared/model';
import type { ApiRequestEntry } from '@shared/protocol/events';
import { listInWords } from '@shared/protocol/words';

export type Op = '==' | '!=' | '>=' | '<=' | '>' | '<';

const FIELDS = {
  deployment: ['replicas', 'readyReplicas', 'availableReplicas', 'updatedReplicas', 'unavailableReplicas', 'image'],
  service: ['availability', 'endpoints'],
  node: ['pods', 'ready'],
} as const;
type Resource = keyof typeof FIELDS;

export interface Check {
  resource: Resource;
  name: string;
  field: string;
  op: Op;
  value: number | string;
  /** Only `availability`: the window of simulated seconds it is measured over. */
  windowSeconds?: number;
  /** More conditions on the same object (`… and updatedReplicas == 2`), all to hold at once. */
  and?: Condition[];
}

/** One condition of a check, on the check's object. */
export type Condition = Omit<Check, 'resource' | 'name' | 'and'>;

const CHECK = /^(\w+)\/([a-z0-9]([-a-z0-9]*[a-z0-9])?)\s+(\w+)\s*(==|!=|>=|<=|>|<)\s*(\S+)(?:\s+over\s+(\d+)s)?$/;
const CONDITION = /^(\w+)\s*(==|!=|>=|<=|>|<)\s*(\S+)(?:\s+over\s+(\d+)s)?$/;

/** The check in a goal's text, or why it cannot be read. */
export function parseCheck(text: string): { ok: true; check: Check } | { ok: false; message: string } {
  const [first = '', ...more] = text.trim().split(/\s+and\s+/);
  const m = CHECK.exec(first);
  const example = 'write it as `<kind>/<name> <field> <op> <value>`, e.g. `deployment/web readyReplicas == 3` or `service/web availability >= 0.99 over 60s`';
  if (!m) return { ok: false, message: `cannot read "${text}": ${example}` };
  const [, resource = '', name = '', , field = '', op = '==', raw = '', window] = m;
  if (!(resource in FIELDS)) return { ok: false, message: `unknown kind "${resource}": use deployment, service or node` };
  const parsed = parseCondition(resource as Resource, field, op, raw, window);
  if (!parsed.ok) return parsed;
  const check: Check = { resource: resource as Resource, name, ...parsed.condition };
  for (const part of more) {
    const c = CONDITION.exec(part);
    if (!c) return { ok: false, message: `cannot read "${part}" after "and": write another condition on ${resource}/${name}, e.g. \`and readyReplicas == 3\`` };
    const [, field2 = '', op2 = '==', raw2 = '', window2] = c;
    const next = parseCondition(resource as Resource, field2, op2, raw2, window2);
    if (!next.ok) return next;
    (check.and ??= []).push(next.condition);
  }
  return { ok: true, check };
}

function parseCondition(resource: Resource, field: string, op: string, raw: string, window: string | undefined): { ok: true; condition: Condition } | { ok: false; message: string } {
  const fields: readonly string[] = FIELDS[resource];
  if (!fields.includes(field)) return { ok: false, message: `${resource} has no field "${field}" to check: use ${fields.join(', ')}` };
  const check: Condition = { field, op: op as Op, value: raw };
  if (field === 'image') {
    if (op !== '==' && op !== '!=') return { ok: false, message: `an image is compared with == or !=, not ${op}` };
  } else {
    const value = Number(raw);
    if (!Number.isFinite(value)) return { ok: false, message: `"${raw}" is not a number` };
    check.value = value;
  }
  if (field === 'availability') {
    if (window === undefined) return { ok: false, message: 'availability is measured over a window: add `over <seconds>s`' };
    if (typeof check.value !== 'number' || check.value < 0 || check.value > 1) return { ok: false, message: 'availability is a fraction between 0 and 1' };
    check.windowSeconds = Number(window);
  } else if (window !== undefined) return { ok: false, message: `only availability is measured "over" a window, not ${field}` };
  return { ok: true, condition: check };
}

/** What goals read of the cluster: the informer cache on the server, the folded watch in a browser. */
export interface GoalState {
  get<K extends Kind>(kind: K, key: string): ObjectOfKind<K> | undefined;
  list<K extends Kind>(kind: K): Iterable<ObjectOfKind<K>>;
}

export interface GoalResult {
  id: string;
  /** The check as written. */
  text: string;
  /** The goal in words (see goalWords). */
  about: string;
  met: boolean;
  progress?: Progress;
  /** It does not count yet: what it waits for, in words (see waitWords). */
  waitsFor?: string;
}

/** `percent`: both numbers are percentages, as a Service's availability is shown ("35%/80%", not "35/80"). */
type Progress = { current: number; target: number; percent?: true };

function compare(actual: number | string, op: Op, wanted: number | string): boolean {
  switch (op) {
    case '==':
      return actual === wanted;
    case '!=':
      return actual !== wanted;
    case '>=':
      return actual >= wanted;
    case '<=':
      return actual <= wanted;
    case '>':
      return actual > wanted;
    case '<':
      return actual < wanted;
  }
}

/** kube-proxy served it: `served by <pod> (<ip>)`, as the rulebook words a routed request that reached a pod. */
export const isServed = (entry: ApiRequestEntry): boolean => entry.outcome === 'accepted' && entry.message.startsWith('served by ');

export const isRouted = (entry: ApiRequestEntry, service: string): boolean => entry.verb === 'routeRequest' && entry.target === `services/${service}`;

/** Served / routed requests to the Service in the window ending at `now`, or null when none was sent. */
export function availability(requests: readonly ApiRequestEntry[], service: string, from: number, now: number): { served: number; routed: number } {
  let served = 0;
  let routed = 0;
  for (const entry of requests) {
    if (entry.simTime <= from || entry.simTime > now || !isRouted(entry, service)) continue;
    routed++;
    if (isServed(entry)) served++;
  }
  return { served, routed };
}

/**
 * A Deployment's status counts, as `kubectl rollout status` reads them: the controller must have
 * seen the current spec (observedGeneration) before its counts say anything about it.
 */
function deploymentField(deployment: Deployment, field: string): number | string {
  if (field === 'image') return deployment.spec.template.spec.containers[0]?.image ?? '';
  const status = deployment.status ?? {};
  const seen = (status.observedGeneration ?? 0) >= (deployment.metadata.generation ?? 0);
  if (field === 'replicas') return seen ? (status.replicas ?? 0) : -1;
  if (field === 'updatedReplicas') return seen ? (status.updatedReplicas ?? 0) : 0;
  const counts: Record<string, number | undefined> = { readyReplicas: status.readyReplicas, availableReplicas: status.availableReplicas, unavailableReplicas: status.unavailableReplicas };
  return counts[field] ?? 0;
}

const readyAddresses = (endpoints: Endpoints | undefined): number => (endpoints?.subsets ?? []).reduce((n, s) => n + (s.addresses?.length ?? 0), 0);

/** Pods still on the node: bound there and not on their way out (an evicted pod is Terminating). */
function podsOn(state: GoalState, node: string): number {
  let n = 0;
  for (const pod of state.list('Pod') as Iterable<Pod>) {
    if (pod.spec.nodeName === node && pod.metadata.deletionTimestamp === undefined && pod.status?.phase !== 'Succeeded' && pod.status?.phase !== 'Failed') n++;
  }
  return n;
}

const nodeReady = (node: Node | undefined): number => (node && getCondition(node.status?.conditions, 'Ready')?.status === 'True' ? 1 : 0);

/**
 * A bar from 0 up to the target, only for a goal that counts up to a positive number: "pods == 0"
 * or "ready == 0" is met by taking away, and a bar of "1/0" says nothing. Past the target of an
 * `==` (4 pods during a rollout's surge, for "replicas == 3") there is nothing left to count up to:
 * a full bar reading "4/3" beside an unmet goal says nothing either.
 */
function countingUp(check: Check, current: number, target: number, percent = false): { progress?: Progress } {
  if (!(check.op === '==' || check.op === '>=' || check.op === '>') || target <= 0) return {};
  if (check.op === '==' && current > target) return {};
  return { progress: percent ? { current, target, percent } : { current, target } };
}

/**
 * One goal now. `startedAt` is when the round clock started (simulated ms): a window reaching
 * before it is not full yet, so the goal waits.
 */
export function evaluateCheck(check: Check, state: GoalState, requests: readonly ApiRequestEntry[], now: number, startedAt: number): { met: boolean; progress?: Progress } {
  const results = conditionsOf(check).map((c) => evaluateCondition(c, state, requests, now, startedAt));
  // The bar shows the first condition still to meet (the image before the count of its pods).
  return results.find((r) => !r.met) ?? results.at(-1) ?? { met: false };
}

function evaluateCondition(check: Check, state: GoalState, requests: readonly ApiRequestEntry[], now: number, startedAt: number): { met: boolean; progress?: Progress } {
  const key = `default/${check.name}`;
  switch (check.resource) {
    case 'deployment': {
      const deployment = state.get('Deployment', key);
      if (!deployment) return { met: false };
      const actual = deploymentField(deployment, check.field);
      const met = compare(actual, check.op, check.value);
      return typeof actual === 'number' && typeof check.value === 'number' ? { met, ...countingUp(check, Math.max(0, actual), check.value) } : { met };
    }
    case 'service': {
      if (check.field === 'endpoints') {
        const actual = readyAddresses(state.get('Endpoints', key));
        return { met: compare(actual, check.op, check.value), ...countingUp(check, actual, Number(check.value)) };
      }
      const window = (check.windowSeconds ?? 0) * 1000;
      const { served, routed } = availability(requests, check.name, now - window, now);
      const target = Math.round(Number(check.value) * 100);
      if (routed === 0) return { met: false, ...countingUp(check, 0, target, true) };
      const ratio = served / routed;
      const full = now - startedAt >= window;
      return { met: full && compare(ratio, check.op, check.value), ...countingUp(check, Math.floor(ratio * 100), target, true) };
    }
    case 'node': {
      const actual = check.field === 'pods' ? podsOn(state, check.name) : nodeReady(state.get('Node', check.name));
      return { met: compare(actual, check.op, check.value), ...countingUp(check, actual, Number(check.value)) };
    }
  }
}

export interface GoalsInput {
  goals: readonly { id: string; check: string; about?: string | undefined }[];
}

/** How many, in words: `== 3` reads "3", `>= 3` "at least 3". */
const AMOUNT: Record<Op, string> = { '==': '', '!=': 'not ', '>=': 'at least ', '<=': 'at most ', '>': 'more than ', '<': 'fewer than ' };

function conditionWords(resource: Resource, name: string, c: Condition): string {
  const n = `${AMOUNT[c.op]}${c.value}`;
  const pods = (what: string): string => `${n} ${c.value === 1 && c.op === '==' ? 'pod' : 'pods'} of ${name} ${what}`;
  switch (`${resource}.${c.field}`) {
    case 'deployment.image':
      return c.op === '==' ? `${name} asks for the image ${c.value}` : `${name} no longer asks for the image ${c.value}`;
    case 'deployment.replicas':
      return pods('in all');
    case 'deployment.readyReplicas':
      return pods('Ready');
    case 'deployment.availableReplicas':
      return pods('available');
    case 'deployment.updatedReplicas':
      return pods('updated to its current version');
    case 'deployment.unavailableReplicas':
      return pods('unavailable');
    case 'service.endpoints':
      return `the Service ${name} has ${n} ready endpoint${c.value === 1 && c.op === '==' ? '' : 's'}`;
    case 'service.availability':
      return `the Service ${name} answers ${AMOUNT[c.op]}${Math.round(Number(c.value) * 1000) / 10}% of its requests over ${c.windowSeconds ?? 0} s`;
    case 'node.ready':
      return (c.value === 1) === (c.op === '==' || c.op === '>=') ? `${name} is Ready` : `${name} is not Ready`;
    case 'node.pods':
      // Terminating pods are not counted (podsOn): an evicted pod on a stopped node stays Terminating.
      return c.value === 0 && (c.op === '==' || c.op === '<=') ? `no pod on ${name} but Terminating ones` : `${n} pods on ${name}, not counting Terminating ones`;
    default:
      return `${resource}/${name} ${c.field} ${c.op} ${c.value}`;
  }
}

/**
 * A goal in words for the class: the scenario's own `about` line, else its check told in words
 * (`node/node-2 ready == 0` reads "node-2 is not Ready"). The check itself stays for the
 * instructor.
 */
export function goalWords(goal: { check: string; about?: string | undefined }): string {
  if (goal.about) return goal.about;
  const parsed = parseCheck(goal.check);
  if (!parsed.ok) return goal.check;
  const parts = conditionsOf(parsed.check).map((c) => conditionWords(parsed.check.resource, parsed.check.name, c));
  return parts.length ? listInWords(parts) : goal.check;
}

/** Every goal of the scenario, in order, as of `now` (simulated ms). */
export function evaluateGoals(scenario: GoalsInput, state: GoalState, requests: readonly ApiRequestEntry[], now: number, startedAt: number): GoalResult[] {
  return scenario.goals.map((goal) => evaluateGoal(goal, state, requests, now, startedAt));
}

/** One goal as of `now`, counted from `from` (the round's start, or what it waited for: a window fills from then). */
export function evaluateGoal(goal: GoalsInput['goals'][number], state: GoalState, requests: readonly ApiRequestEntry[], now: number, from: number): GoalResult {
  const parsed = parseCheck(goal.check);
  const named = { id: goal.id, text: goal.check, about: goalWords(goal) };
  if (!parsed.ok) return { ...named, met: false };
  const { met, progress } = evaluateCheck(parsed.check, state, requests, now, from);
  return progress ? { ...named, met, progress } : { ...named, met };
}

const wantsReady = (check: Check): boolean => {
  const value = Number(check.value);
  return ((check.op === '==' || check.op === '>=') && value === 1) || ((check.op === '!=' || check.op === '>') && value === 0);
};

const conditionsOf = (check: Check): Check[] => [check, ...(check.and ?? []).map((c): Check => ({ ...c, resource: check.resource, name: check.name }))];

/** A check over a window of the request log: it becomes true as time passes, by no one change. */
export const isWindowed = (check: Check): boolean => conditionsOf(check).some((c) => c.windowSeconds !== undefined);

/** Whether a change of this object can make the check true or false: the objects a check reads. */
export function concerns(check: Check, object: { kind: string; metadata: { name: string }; spec?: unknown }): boolean {
  switch (check.resource) {
    case 'deployment':
      return object.kind === 'Deployment' && object.metadata.name === check.name;
    case 'service':
      return object.kind === 'Endpoints' && object.metadata.name === check.name;
    case 'node':
      if (conditionsOf(check).some((c) => c.field === 'pods') && object.kind === 'Pod' && (object as Pod).spec.nodeName === check.name) return true;
      return object.kind === 'Node' && object.metadata.name === check.name;
  }
}

/** One change as a watch brings it: the object as written, or as it was when deleted. */
export interface GoalChange {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: KubeObject;
}

/** The kinds a goal on the cluster's state reads (see `concerns`). */
const READ_KINDS = ['Deployment', 'Endpoints', 'Node', 'Pod'] as const satisfies readonly Kind[];

/**
 * Which change met each goal. The objects the goals read (`concerns`) are kept as of the last
 * change seen, and each goal is read again after every change that concerns it, in order: the
 * change that met a goal is the one after which it turned true (and it held since). Reading the
 * goals once at a batch's end, the batch's last change to the goal's object was taken for it, and
 * that may have come after the one that met it: the scenario's new image and the controller
 * manager's status write on the same Deployment, in one batch, gave the scenario's goal to the
 * controller manager. Only goals on the cluster's state: a window over the request log is met by
 * time passing, by no change.
 */
export class GoalWatch<C extends GoalChange> {
  private readonly objects = new Map<Kind, Map<string, KubeObject>>();
  private readonly met = new Map<string, boolean>();

  /** `state`: the cluster before the first change `see` will be given. */
  constructor(
    private readonly goals: readonly { id: string; check: Check }[],
    state: GoalState,
  ) {
    for (const kind of READ_KINDS) for (const object of state.list(kind)) if (goals.some((g) => concerns(g.check, object))) this.apply('ADDED', object);
    for (const goal of goals) this.met.set(goal.id, this.holds(goal.check));
  }

  /** Whether the goal held after the last change seen. */
  holdsNow(id: string): boolean {
    return this.met.get(id) ?? false;
  }

  /**
   * The next changes, in order. Returns the goals that turned true and still hold after the last
   * of them, each with the change after which it last turned true.
   */
  see(changes: readonly C[]): Map<string, C> {
    const turned = new Map<string, C>();
    for (const change of changes) {
      const goals = this.goals.filter((g) => concerns(g.check, change.object));
      if (!goals.length) continue;
      this.apply(change.type, change.object);
      for (const goal of goals) {
        const met = this.holds(goal.check);
        if (!met) turned.delete(goal.id);
        else if (!this.met.get(goal.id)) turned.set(goal.id, change);
        this.met.set(goal.id, met);
      }
    }
    return turned;
  }

  private apply(type: GoalChange['type'], object: KubeObject): void {
    let objects = this.objects.get(object.kind);
    if (!objects) this.objects.set(object.kind, (objects = new Map()));
    if (type === 'DELETED') objects.delete(objectKey(object));
    else objects.set(objectKey(object), object);
  }

  private holds(check: Check): boolean {
    const objects = this.objects;
    const state: GoalState = {
      get: <K extends Kind>(kind: K, key: string) => objects.get(kind)?.get(key) as ObjectOfKind<K> | undefined,
      list: <K extends Kind>(kind: K) => (objects.get(kind)?.values() ?? []) as Iterable<ObjectOfKind<K>>,
    };
    return evaluateCheck(check, state, [], 0, 0).met;
  }
}

/** Which components' requests a check depends on, in Kubernetes' names (for the debrief). */
export function componentsOf(check: Check): string[] {
  return [...new Set(conditionsOf(check).flatMap(componentsOfOne))];
}

function componentsOfOne(check: Check): string[] {
  switch (check.resource) {
    case 'deployment':
      return ['kube-controller-manager', 'kube-scheduler', 'kubelet', 'container-runtime'];
    case 'service':
      return check.field === 'availability' ? ['kube-proxy', 'kube-controller-manager', 'kubelet'] : ['kube-controller-manager', 'kubelet'];
    case 'node':
      if (check.field === 'pods') return ['kube-controller-manager', 'kube-scheduler'];
      // A Ready node is the kubelet's doing (it posts Ready=True and renews the Lease); a node that is
      // not Ready any more is the node lifecycle controller's verdict on the silence.
      return wantsReady(check) ? ['kubelet'] : ['kube-controller-manager'];
  }
}


/** What a goal's `after` may name: a step of the scenario, or an earlier goal. */
export interface WaitsInput {
  steps: readonly { id?: string | undefined; note?: string | undefined }[];
  goals: readonly { id: string; check: string; about?: string | undefined; title?: string | undefined; after?: string | undefined }[];
}

/**
 * When a goal begins to count (simulated ms): at the round's start, or when the step it waits for
 * fired (`stepsDone`, by the step's index) or the earlier goal it waits for was first met
 * (`firstMet`, by goal id); undefined while it still waits.
 */
export function countsFrom(
  goal: { after?: string | undefined },
  scenario: WaitsInput,
  startedAtSim: number,
  stepsDone: Readonly<Record<string, number>>,
  firstMet: Readonly<Record<string, number | undefined>>,
): number | undefined {
  if (goal.after === undefined) return startedAtSim;
  const step = scenario.steps.findIndex((s) => s.id === goal.after);
  return step >= 0 ? stepsDone[step] : firstMet[goal.after];
}

/**
 * What a waiting goal waits for, in words: the step's note, or the earlier goal by a short name (its
 * title, else its check told in words). The earlier goal is listed above it in full: its whole
 * `about` line again after "waits for:" ran a goal's line to three on a phone.
 */
export function waitWords(goal: { after?: string | undefined }, scenario: WaitsInput): string | undefined {
  if (goal.after === undefined) return undefined;
  const step = scenario.steps.find((s) => s.id === goal.after);
  if (step) return step.note ?? goal.after;
  const earlier = scenario.goals.find((g) => g.id === goal.after);
  return earlier ? (earlier.title ?? goalWords({ check: earlier.check })) : goal.after;
}
