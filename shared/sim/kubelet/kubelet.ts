/**
 * The kubelet of one node: heartbeat, then for every pod bound to the node (oldest first) admit or
 * reject it, drive its containers through the runtime, report its status, and end it gracefully
 * when it is deleted. Its CRI calls and back-off memory go into one write of the node's
 * ContainerRuntime object; pod statuses are written through the status subresource.
 */
import {
  setCondition,
  toMicroTime,
  toRFC3339,
  type BackOffEntry,
  type ContainerRuntime,
  type ContainerStatus,
  type CriCall,
  type Node,
  type Pod,
  type PodCondition,
  type PodStatus,
  type RuntimeContainer,
  type SimTime,
} from '@shared/model';
import { POD_NETWORK_PREFIX } from '../defaults';
import { fnv32a, sameValue } from '../hash';
import { create, isApiRequest, remove, update, updateStatus, type Step } from '../requests';
import type { ClusterState } from '../state';
import { fullImageName } from '../runtime/images';
import { addUsage, admit, type Used } from './admission';
import { planContainer, type ContainerMove, type NewCall, type NodeView } from './containers';
import { isEventStep, kubeletEvent } from './events';
import { postNodeStatus, renewLease } from './heartbeat';
import { statusNews } from './status-news';

/** `10.244.3.` for a node with podCIDR 10.244.3.0/24; else a prefix derived from the name. */
function podNetworkPrefix(node: Node): string {
  const cidr = node.spec.podCIDR;
  if (cidr) return cidr.slice(0, cidr.lastIndexOf('.') + 1);
  return `${POD_NETWORK_PREFIX}.${(fnv32a(node.metadata.name) % 254) + 1}.`;
}

function hostIP(node: Node): string | undefined {
  return node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
}

/**
 * One decision of the kubelet, as a student makes it or its bot does: a CRI call for one
 * container, a status report for one pod, or stopping one pod. What it does to the node's
 * ContainerRuntime object (calls sent, answers read, back-off memory) is data, so one move writes
 * the runtime object once with only its own part, and the bot's pass merges every move into one write.
 */
export type KubeletMove = ContainerMove | 'syncPodStatus' | 'killPod';

export interface KubeletIntent {
  move: KubeletMove;
  pod: string;
  container?: string;
  calls: NewCall[];
  /** Finished calls whose answers this move reads (removed from the runtime object). */
  consumed: string[];
  backOffs: BackOffEntry[];
  /** Back-off keys this move forgets. */
  dropBackOffs: string[];
  /** Pod writes, timers and events (events go after the writes that make what they report). */
  steps: Step[];
  notes: string[];
  /** What this move is, for the request log and the button's reason. */
  why: string;
  /** The button's text, where the move's kind alone does not say it (a status report). */
  label?: string;
}

export interface KubeletWait {
  move: KubeletMove;
  pod: string;
  container?: string;
  reason: string;
  until?: SimTime;
}

export interface KubeletPlan {
  node: string;
  /** In the order a real kubelet would make them: pods oldest first, CRI calls before the status report. */
  intents: KubeletIntent[];
  waits: KubeletWait[];
  /** When to look again (a probe passing, a back-off ending): what wakes the kubelet's bot. */
  timers: Step[];
  backOffKeys: readonly string[];
}

function intent(move: KubeletMove, pod: string, why: string, container?: string): KubeletIntent {
  return { move, pod, ...(container === undefined ? {} : { container }), calls: [], consumed: [], backOffs: [], dropBackOffs: [], steps: [], notes: [], why };
}

/** The node's ContainerRuntime as these moves leave it: one write, or none when nothing changed. */
export function runtimeWrite(rt: ContainerRuntime, intents: readonly KubeletIntent[], now: SimTime): Step[] {
  let seq = rt.status.callSeq;
  const consumed = new Set(intents.flatMap((i) => i.consumed));
  const calls = rt.status.calls.filter((c) => !consumed.has(c.id));
  const backOffs = new Map(rt.status.backOffs.map((b) => [b.key, b]));
  let changed = consumed.size > 0;
  for (const i of intents) {
    for (const call of i.calls) {
      seq += 1;
      calls.push({ ...call, id: `${rt.metadata.name}-${seq}`, status: 'pending', sentAt: toMicroTime(now) });
      changed = true;
    }
    for (const key of i.dropBackOffs) changed = backOffs.delete(key) || changed;
    for (const entry of i.backOffs) {
      backOffs.set(entry.key, entry);
      changed = true;
    }
  }
  if (!changed) return [];
  const notes = intents.flatMap((i) => i.notes);
  const status = { ...rt.status, calls, backOffs: [...backOffs.values()], callSeq: seq };
  return [update(rt, { ...rt, status }, `kubelet on ${rt.metadata.name}: ${notes.join('; ') || 'read CRI results'}`)];
}

/** The requests of these moves, in the order the API server should see them. */
export function intentSteps(rt: ContainerRuntime | undefined, intents: readonly KubeletIntent[], now: SimTime): Step[] {
  const steps = intents.flatMap((i) => i.steps);
  return [...steps.filter((s) => !isEventStep(s)), ...(rt ? runtimeWrite(rt, intents, now) : []), ...steps.filter(isEventStep)];
}

function isAdmitted(pod: Pod, hasRuntimeState: boolean): boolean {
  return hasRuntimeState || (pod.status?.containerStatuses?.length ?? 0) > 0;
}

function readyCondition(statuses: readonly ContainerStatus[], type: 'Ready' | 'ContainersReady'): PodCondition {
  const unready = statuses.filter((s) => !s.ready).map((s) => s.name);
  return unready.length === 0
    ? { type, status: 'True' }
    : { type, status: 'False', reason: 'ContainersNotReady', message: `containers with unready status: [${unready.join(' ')}]` };
}

function freeIP(prefix: string, taken: ReadonlySet<string>): string {
  for (let host = 2; host < 255; host++) if (!taken.has(`${prefix}${host}`)) return `${prefix}${host}`;
  return `${prefix}254`;
}

/** The kubelet's bot pass: its heartbeat and every move it can make now, merged into one runtime write. */
export function reconcileKubelet(state: ClusterState, nodeName: string, now: SimTime): Step[] {
  const node = state.node(nodeName);
  // The heartbeat is the kubelet's own loop, not a pod move: worked out here, not in every plan of a move.
  const heartbeat = node ? [...renewLease(state, nodeName, now), ...postNodeStatus(node, now)] : [];
  const plan = planKubelet(state, nodeName, now);
  return [...heartbeat, ...intentSteps(state.runtime(nodeName), plan.intents, now), ...plan.timers];
}

/**
 * The kubelet's plan for its node. With `enough`, planning stops after the first pod whose moves
 * include one `enough` accepts: a bot's next move or a sent action needs no later pod's (a pod's
 * moves depend only on the pods planned before it), so the moves up to there are the full plan's.
 * Its waits and timers are then only those of the pods it planned: a pod found with no move a
 * moment ago, and nothing it reads changed since, is passed over (see PodMemo, QuietPrefix).
 */
export function planKubelet(state: ClusterState, nodeName: string, now: SimTime, enough?: (i: KubeletIntent) => boolean, memos: PodMemos | null = POD_MEMOS): KubeletPlan {
  const plan: KubeletPlan = { node: nodeName, intents: [], waits: [], timers: [], backOffKeys: [] };
  const node = state.node(nodeName);
  if (!node) return plan;
  const rt = state.runtime(nodeName);
  // No runtime yet: the kubelet waits for the container runtime to come up.
  if (!rt) return plan;
  const { instancesByPod, callsByPod, view, backOffKeys } = runtimeIndex(rt);
  plan.backOffKeys = backOffKeys;
  const pods = state.podsOnOldestFirst(nodeName);
  // The addresses the node's pods hold, worked out only when a pod needs one.
  let takenIPs: Set<string> | undefined;
  const taken = (): Set<string> => (takenIPs ??= new Set(pods.map((p) => p.status?.podIP).filter((ip): ip is string => ip !== undefined)));
  const admitted = (pod: Pod, uid: string): boolean => {
    const phase = pod.status?.phase;
    return phase !== 'Failed' && phase !== 'Succeeded' && isAdmitted(pod, instancesByPod.has(uid) || callsByPod.has(uid));
  };
  // What the pods admitted before this plan use, worked out only when a pod is to be admitted.
  let used: Used | undefined;
  const inUse = (): Used => {
    if (used) return used;
    used = { cpuMillis: 0, memoryBytes: 0, pods: 0 };
    for (const pod of pods) if (admitted(pod, pod.metadata.uid ?? '')) used = addUsage(used, pod);
    return used;
  };
  const nodeKey = `${nodeName}|${node.spec.podCIDR ?? ''}|${hostIP(node) ?? ''}`;
  // A memo lets the pod be passed over now: it found nothing at all, or (a move asked for) no move.
  const quiet = (memo: PodMemo): boolean => memo.settled || (enough !== undefined && memo.from <= now && now < memo.until);
  /** Plans the pod; returns until when it finds no move for sure (see PodMemo), else null. */
  const planPod = (pod: Pod, uid: string): SimTime | null => {
    const instances = instancesByPod.get(uid) ?? [];
    const calls = callsByPod.get(uid) ?? [];
    if (pod.metadata.deletionTimestamp !== undefined) {
      terminate(pod, nodeName, instances, calls, plan, now);
      return null;
    }
    const phase = pod.status?.phase;
    if (phase === 'Failed' || phase === 'Succeeded') return Infinity;
    if (!admitted(pod, uid)) {
      const verdict = admit(pod, node, inUse());
      if (!verdict.admit) {
        const status: PodStatus = { ...pod.status, phase: 'Failed', reason: verdict.reason, message: verdict.message };
        const reject = intent('syncPodStatus', pod.metadata.name, `${nodeName} rejects ${pod.metadata.name}: ${verdict.reason}`);
        reject.label = `Reject ${pod.metadata.name} (${verdict.reason})`;
        reject.steps.push(updateStatus(pod, { ...pod, status }, reject.why));
        plan.intents.push(reject);
        return null;
      }
      used = addUsage(inUse(), pod);
      // Admitted now: the pods after it are admitted on what it uses, so none is passed over by this plan's words.
      runPod(pod, node, instances, calls, view, taken, now, plan);
      return null;
    }
    const memo = memos?.get(pod);
    const untilOf = (m: PodMemo): SimTime => (m.settled ? Infinity : m.until);
    // The same runtime object and node addresses as when the pod was planned: nothing it reads changed.
    if (memo && memo.runtime.deref() === rt && memo.node === nodeKey && quiet(memo)) return untilOf(memo);
    const reads = memos ? podReads(pod, nodeKey, instances, calls, view, backOffKeys) : null;
    if (memo && reads && quiet(memo) && sameReads(memo.reads, reads)) {
      memo.runtime = new WeakRef(rt);
      memo.node = nodeKey;
      return untilOf(memo);
    }
    const [intents, waits, timers] = [plan.intents.length, plan.waits.length, plan.timers.length];
    runPod(pod, node, instances, calls, view, taken, now, plan);
    if (!reads || plan.intents.length > intents) return null;
    let until = Infinity;
    for (const w of plan.waits.slice(waits)) until = Math.min(until, w.until ?? Infinity);
    for (const t of plan.timers.slice(timers)) if (!isApiRequest(t)) until = Math.min(until, t.timer.dueAt);
    const settled = plan.waits.length === waits && plan.timers.length === timers;
    memos?.set(pod, { reads, runtime: new WeakRef(rt), node: nodeKey, settled, from: now, until });
    return settled ? Infinity : until;
  };
  // A next move starts after the pods the last one found with no move, as far as they and what they read are the same.
  const prefixes = memos && enough ? quietPrefixesOf(state) : undefined;
  const kept = prefixes?.get(nodeName);
  let quietUntil = Infinity;
  const uids: string[] = [];
  if (kept && kept.node === nodeKey && kept.from <= now && now < kept.until) {
    let same = 0;
    while (same < kept.uids.length && pods[same] === kept.pods[same]) same++;
    const start = kept.rt === rt ? same : firstChanged(kept.rt, rt, kept.uids, same);
    uids.push(...kept.uids.slice(0, start));
    if (start > 0) quietUntil = kept.until;
  }
  let quietRun = true;
  const remember = (): void => void prefixes?.set(nodeName, { pods, uids, rt, node: nodeKey, from: now, until: quietUntil });
  for (let i = uids.length; i < pods.length; i++) {
    if (enough && plan.intents.some(enough)) return remember(), plan;
    const pod = pods[i] as Pod;
    const uid = pod.metadata.uid ?? '';
    const until = planPod(pod, uid);
    if (quietRun && until !== null) {
      uids.push(uid);
      quietUntil = Math.min(quietUntil, until);
    } else quietRun = false;
  }
  if (enough && plan.intents.some(enough)) return remember(), plan;
  remember();
  cleanUpOrphans(rt, liveUids(pods), plan);
  return plan;
}

const LIVE_UIDS = new WeakMap<readonly Pod[], ReadonlySet<string>>();

/** The uids of the node's pods, once per list (the state answers the same list while none of them changes). */
function liveUids(pods: readonly Pod[]): ReadonlySet<string> {
  let live = LIVE_UIDS.get(pods);
  if (!live) LIVE_UIDS.set(pods, (live = new Set(pods.map((p) => p.metadata.uid ?? ''))));
  return live;
}

/**
 * The pods a node's last next-move plan found with no move, from its first pod on (`uids`, of
 * `pods`), on runtime object `rt`: while they and what they read are the same, a next move
 * from `from` until `until` (the earliest of theirs) passes over them without a look at each.
 */
interface QuietPrefix {
  pods: readonly Pod[];
  uids: readonly string[];
  rt: ContainerRuntime;
  node: string;
  from: SimTime;
  until: SimTime;
}

const QUIET_PREFIXES = new WeakMap<ClusterState, Map<string, QuietPrefix>>();

function quietPrefixesOf(state: ClusterState): Map<string, QuietPrefix> {
  let prefixes = QUIET_PREFIXES.get(state);
  if (!prefixes) QUIET_PREFIXES.set(state, (prefixes = new Map()));
  return prefixes;
}

/**
 * How many of the first `limit` pods (of `uids`) read the same from runtime object `next` as
 * from `prev`: their containers and calls, and the images, pulls and back-offs every pod reads.
 */
function firstChanged(prev: ContainerRuntime, next: ContainerRuntime, uids: readonly string[], limit: number): number {
  const a = runtimeIndex(prev);
  const b = runtimeIndex(next);
  const pulling = a.view.pulling.size === b.view.pulling.size && [...a.view.pulling].every((image) => b.view.pulling.has(image));
  if (!pulling || !sameValue(prev.status.images, next.status.images) || !sameValue(prev.status.backOffs, next.status.backOffs)) return 0;
  for (let i = 0; i < limit; i++) {
    const uid = uids[i] as string;
    if (!sameValue(a.instancesByPod.get(uid), b.instancesByPod.get(uid)) || !sameValue(a.callsByPod.get(uid), b.callsByPod.get(uid))) return i;
  }
  return limit;
}

/** What the kubelet reads of its node's runtime object, grouped once per version of that object. */
interface RuntimeIndex {
  instancesByPod: Map<string, RuntimeContainer[]>;
  callsByPod: Map<string, CriCall[]>;
  view: NodeView;
  backOffKeys: readonly string[];
}

const RUNTIME_INDEXES = new WeakMap<ContainerRuntime, RuntimeIndex>();

function runtimeIndex(rt: ContainerRuntime): RuntimeIndex {
  let index = RUNTIME_INDEXES.get(rt);
  if (index) return index;
  index = {
    instancesByPod: groupBy(rt.status.containers, (c) => c.podUid),
    callsByPod: groupBy(rt.status.calls, (c) => c.podUid ?? ''),
    view: {
      node: rt.metadata.name,
      images: new Set(rt.status.images.map((i) => i.name)),
      pulling: new Set(rt.status.calls.filter((c) => c.call === 'PullImage' && (c.status === 'pending' || c.status === 'running')).map((c) => fullImageName(c.image ?? ''))),
      backOffs: new Map(rt.status.backOffs.map((b) => [b.key, b])),
    },
    backOffKeys: rt.status.backOffs.map((b) => b.key),
  };
  RUNTIME_INDEXES.set(rt, index);
  return index;
}

/**
 * A pod's last planning, with what it read besides the pod object (kept per pod object: a changed
 * pod is a new object). A running node plans its pods at every move; almost all of them have
 * nothing to do, or wait for the runtime, and are passed over while what they read stays the same:
 * - `settled`: it found nothing to do, nothing to wait for and no time to look again, so planning
 *   it again finds nothing either (whatever time alone changes comes with a timer);
 * - else, when it found no move: none comes before `until`, its first timer or the end of its
 *   first wait (a back-off, a probe, readiness: what time alone changes comes with one of those),
 *   so a next move needs no look at it from `from` until then. A full listing does plan it, for its waits.
 * `runtime` and `node`: the runtime object and node addresses it was last found the same on (held
 * weakly: a memo per pod kept every old runtime object of its node alive).
 */
interface PodMemo {
  reads: PodReads;
  runtime: WeakRef<ContainerRuntime>;
  node: string;
  settled: boolean;
  from: SimTime;
  until: SimTime;
}
type PodMemos = WeakMap<Pod, PodMemo>;
const POD_MEMOS: PodMemos = new WeakMap();

/**
 * What `runPod` reads besides the pod and the time: the node's addresses (`node`), the pod's
 * containers, calls, back-offs, and whether its images are there or being pulled. All of it but
 * the addresses comes from the node's runtime object, so while that object is the same, so is this.
 */
interface PodReads {
  node: string;
  images: string;
  instances: readonly RuntimeContainer[];
  calls: readonly CriCall[];
  backOffs: readonly (BackOffEntry | undefined)[];
}

function podReads(pod: Pod, node: string, instances: readonly RuntimeContainer[], calls: readonly CriCall[], view: NodeView, backOffKeys: readonly string[]): PodReads {
  const uid = pod.metadata.uid ?? '';
  let images = '';
  for (const c of pod.spec.containers) {
    const image = fullImageName(c.image);
    images += `${view.images.has(image) ? 1 : 0}${view.pulling.has(image) ? 1 : 0}`;
  }
  const backOffs = backOffKeys.length ? backOffKeys.filter((k) => k.startsWith(`${uid}/`)).map((k) => view.backOffs.get(k)) : [];
  return { node, images, instances, calls, backOffs };
}

/** The same reads: compared field by field (a runtime object read anew from the store holds equal, not the same, entries). */
const sameReads = (a: PodReads, b: PodReads): boolean =>
  a.node === b.node && a.images === b.images && sameValue(a.instances, b.instances) && sameValue(a.calls, b.calls) && sameValue(a.backOffs, b.backOffs);

function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}

function runPod(
  pod: Pod,
  node: Node,
  instances: readonly RuntimeContainer[],
  calls: readonly CriCall[],
  view: NodeView,
  taken: () => Set<string>,
  now: SimTime,
  plan: KubeletPlan,
): void {
  const name = pod.metadata.name;
  const statuses: ContainerStatus[] = [];
  // What the status report reads and records: answers of containers with no call to make now.
  const report = intent('syncPodStatus', name, '');
  let everStarted = false;
  let allFinished = true;
  let allSucceeded = true;
  for (const spec of pod.spec.containers) {
    const c = planContainer(
      pod,
      spec,
      instances.filter((i) => i.name === spec.name),
      calls.filter((i) => i.container === spec.name),
      view,
      now,
    );
    const timers = c.steps.filter((s) => !isApiRequest(s));
    const records = c.steps.filter((s) => isApiRequest(s));
    // A CRI move reads the answers it follows on (a pull's result before CreateContainer), so a
    // status report made in between never hides them from it.
    const owner = c.move ? intent(c.move, name, c.notes.join('; '), spec.name) : report;
    owner.calls.push(...c.calls);
    owner.consumed.push(...c.consumed);
    owner.backOffs.push(...c.backOffs);
    owner.steps.push(...records);
    owner.notes.push(...c.notes);
    report.steps.push(...timers);
    if (owner !== report) plan.intents.push(owner);
    if (c.wait) plan.waits.push({ move: c.wait.move, pod: name, container: spec.name, reason: c.wait.reason, ...(c.wait.until === undefined ? {} : { until: c.wait.until }) });
    statuses.push(c.status);
    everStarted ||= c.everStarted;
    allFinished &&= c.finished;
    const state = c.status.state;
    allSucceeded &&= state !== undefined && 'terminated' in state && state.terminated.exitCode === 0;
  }
  const next = podStatus(pod, node, statuses, everStarted ? (allFinished ? (allSucceeded ? 'Succeeded' : 'Failed') : 'Running') : 'Pending', taken, now);
  const changed = !sameValue(next, pod.status ?? {});
  if (changed) report.steps.unshift(updateStatus(pod, { ...pod, status: next }, `${node.metadata.name} reports ${name}: ${summary(next)}`));
  report.why = changed ? `report ${name}: ${summary(next)}; new: ${newsOf(pod.status ?? {}, next)}` : `read the runtime's answers for ${name}`;
  report.label = changed ? `Report ${name} ${next.phase ?? 'Pending'}${everReady(next) ? ', Ready' : ''}` : `Read answers for ${name}`;
  plan.timers.push(...report.steps.filter((s) => !isApiRequest(s)));
  report.steps = report.steps.filter((s) => isApiRequest(s));
  if (changed || report.consumed.length > 0 || report.backOffs.length > 0) plan.intents.push(report);
}

/** What the report brings, for its reason; the changed fields' names when none of it shows in words. */
function newsOf(before: PodStatus, after: PodStatus): string {
  const news = statusNews(before, after);
  if (news.length) return news.join(', ');
  const fields = (Object.keys(after) as (keyof PodStatus)[]).filter((k) => !sameValue(before[k], after[k]));
  return fields.join(', ');
}

const everReady = (status: PodStatus): boolean => status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

function summary(status: PodStatus): string {
  const states = (status.containerStatuses ?? []).map((s) => {
    const st = s.state;
    if (!st) return s.name;
    if ('waiting' in st) return st.waiting.reason ?? 'Waiting';
    if ('running' in st) return s.ready ? 'Running, Ready' : 'Running, not ready';
    return `Terminated (${st.terminated.exitCode})`;
  });
  return `${status.phase ?? 'Pending'} [${states.join(', ')}]`;
}

function podStatus(pod: Pod, node: Node, statuses: ContainerStatus[], phase: NonNullable<PodStatus['phase']>, taken: () => Set<string>, now: SimTime): PodStatus {
  const current = pod.status ?? {};
  let conditions = current.conditions ?? [];
  for (const c of [
    { type: 'PodReadyToStartContainers', status: 'True' } as const,
    { type: 'Initialized', status: 'True' } as const,
    readyCondition(statuses, 'ContainersReady'),
    readyCondition(statuses, 'Ready'),
  ]) {
    conditions = setCondition(conditions, c, now);
  }
  const next: PodStatus = { ...current, phase, conditions, containerStatuses: statuses };
  const host = hostIP(node);
  if (host) {
    next.hostIP = host;
    next.hostIPs = [{ ip: host }];
  }
  if (!next.podIP) {
    next.podIP = freeIP(podNetworkPrefix(node), taken());
    taken().add(next.podIP);
  }
  next.podIPs = [{ ip: next.podIP }];
  next.startTime ??= toRFC3339(now);
  return next;
}

/** A deleted pod: stop every container (grace period as the timeout), then remove the pod for good. */
function terminate(pod: Pod, node: string, instances: readonly RuntimeContainer[], calls: readonly CriCall[], plan: KubeletPlan, now: SimTime): void {
  const name = pod.metadata.name;
  const stopping = new Set(calls.filter((c) => c.call === 'StopContainer' && (c.status === 'pending' || c.status === 'running')).map((c) => c.containerId));
  const finished = calls.filter((c) => c.status === 'done' || c.status === 'failed').map((c) => c.id);
  const grace = pod.metadata.deletionGracePeriodSeconds ?? pod.spec.terminationGracePeriodSeconds ?? 30;
  const kill = intent('killPod', name, `${name} is terminating: stop its containers (grace ${grace}s)`);
  for (const c of instances) {
    if (stopping.has(c.id)) continue;
    kill.calls.push({ call: 'StopContainer', namespace: c.namespace, pod: c.pod, podUid: c.podUid, container: c.name, containerId: c.id, timeoutSeconds: grace });
    kill.notes.push(`${name}: StopContainer ${c.name} (grace ${grace}s)`);
    // Killing reports a running container being stopped; exited ones are only removed.
    if (c.state !== 'running') continue;
    const killing = kubeletEvent(pod, node, 'Normal', 'Killing', `Stopping container ${c.name}`, now);
    kill.steps.push(create(killing, `event: ${name} Killing: ${killing.message ?? ''}`));
  }
  if (kill.calls.length > 0) {
    kill.consumed.push(...finished);
    plan.intents.push(kill);
    return;
  }
  const inFlight = calls.some((c) => c.status === 'pending' || c.status === 'running');
  if (inFlight) {
    plan.waits.push({ move: 'killPod', pod: name, reason: `waiting for the runtime to stop the containers of ${name}` });
    return;
  }
  if (instances.length > 0) return;
  // The status manager's last word: every container has stopped, so the pod object goes (grace 0).
  const uid = pod.metadata.uid ?? '';
  const gone = intent('syncPodStatus', name, `${name} has stopped: delete it from the API (grace 0)`);
  gone.label = `Delete ${name} (stopped)`;
  gone.consumed.push(...finished);
  gone.dropBackOffs.push(...backOffKeysOf(plan, uid));
  gone.steps.push(remove(pod, `${pod.spec.nodeName}: ${name} has stopped, remove it`, 0));
  plan.intents.push(gone);
}

function backOffKeysOf(plan: KubeletPlan, uid: string): string[] {
  return plan.backOffKeys.filter((key) => key.startsWith(`${uid}/`));
}

/** Containers, finished calls and back-offs of pods no longer on this node: one clean-up move per pod. */
function cleanUpOrphans(rt: ContainerRuntime, live: ReadonlySet<string>, plan: KubeletPlan): void {
  const byPod = new Map<string, KubeletIntent>();
  const of = (uid: string, pod: string): KubeletIntent => {
    let found = byPod.get(uid);
    if (!found) {
      found = intent('killPod', pod, `${pod} is no longer bound to ${rt.metadata.name}: stop what is left of it`);
      byPod.set(uid, found);
    }
    return found;
  };
  const stopping = new Set(rt.status.calls.filter((c) => c.call === 'StopContainer' && (c.status === 'pending' || c.status === 'running')).map((c) => c.containerId));
  for (const c of rt.status.containers) {
    if (live.has(c.podUid) || stopping.has(c.id)) continue;
    const kill = of(c.podUid, c.pod);
    kill.calls.push({ call: 'StopContainer', namespace: c.namespace, pod: c.pod, podUid: c.podUid, container: c.name, containerId: c.id, timeoutSeconds: 0 });
    kill.notes.push(`${c.pod} is gone: StopContainer ${c.name}`);
  }
  for (const c of rt.status.calls) {
    if (live.has(c.podUid ?? '') || (c.status !== 'done' && c.status !== 'failed')) continue;
    of(c.podUid ?? '', c.pod ?? c.podUid ?? 'unknown').consumed.push(c.id);
  }
  for (const key of plan.backOffKeys) {
    const uid = key.slice(0, key.indexOf('/'));
    if (live.has(uid)) continue;
    const known = rt.status.containers.find((c) => c.podUid === uid)?.pod ?? rt.status.calls.find((c) => c.podUid === uid)?.pod;
    of(uid, known ?? uid).dropBackOffs.push(key);
  }
  plan.intents.push(...byPod.values());
}
