/**
 * The kubelet of one node: heartbeat, then for every pod bound to the node (oldest first) admit or
 * reject it, drive its containers through the runtime, report its status, and end it gracefully
 * when it is deleted. Its CRI calls and back-off memory go into one write of the node's
 * ContainerRuntime object; pod statuses are written through the status subresource.
 */
import {
  objectKey,
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
import { create, remove, update, updateStatus, type Step } from '../requests';
import type { ClusterState } from '../state';
import { fullImageName } from '../runtime/images';
import { addUsage, admit, type Used } from './admission';
import { planContainer, type NewCall, type NodeView } from './containers';
import { isEventStep, kubeletEvent } from './events';
import { postNodeStatus, renewLease } from './heartbeat';

/** `10.244.3.` for a node with podCIDR 10.244.3.0/24; else a prefix derived from the name. */
function podNetworkPrefix(node: Node): string {
  const cidr = node.spec.podCIDR;
  if (cidr) return cidr.slice(0, cidr.lastIndexOf('.') + 1);
  return `${POD_NETWORK_PREFIX}.${(fnv32a(node.metadata.name) % 254) + 1}.`;
}

function hostIP(node: Node): string | undefined {
  return node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
}

/** Local working copy of the runtime object: the kubelet's one write per pass. */
class RuntimeDraft {
  calls: CriCall[];
  backOffs: Map<string, BackOffEntry>;
  seq: number;
  changed = false;
  notes: string[] = [];
  constructor(
    readonly rt: ContainerRuntime,
    private readonly now: SimTime,
  ) {
    this.calls = [...rt.status.calls];
    this.backOffs = new Map(rt.status.backOffs.map((b) => [b.key, b]));
    this.seq = rt.status.callSeq;
  }
  send(call: NewCall): void {
    this.seq += 1;
    this.calls.push({ ...call, id: `${this.rt.metadata.name}-${this.seq}`, status: 'pending', sentAt: toMicroTime(this.now) });
    this.changed = true;
  }
  consume(ids: readonly string[]): void {
    if (ids.length === 0) return;
    const gone = new Set(ids);
    this.calls = this.calls.filter((c) => !gone.has(c.id));
    this.changed = true;
  }
  setBackOff(entry: BackOffEntry): void {
    this.backOffs.set(entry.key, entry);
    this.changed = true;
  }
  dropBackOffs(keep: (key: string) => boolean): void {
    for (const key of [...this.backOffs.keys()]) {
      if (!keep(key)) {
        this.backOffs.delete(key);
        this.changed = true;
      }
    }
  }
  write(): Step[] {
    if (!this.changed) return [];
    const status = { ...this.rt.status, calls: this.calls, backOffs: [...this.backOffs.values()], callSeq: this.seq };
    return [update(this.rt, { ...this.rt, status }, `kubelet on ${this.rt.metadata.name}: ${this.notes.join('; ') || 'read CRI results'}`)];
  }
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

interface PodWork {
  steps: Step[];
}

export function reconcileKubelet(state: ClusterState, nodeName: string, now: SimTime): Step[] {
  const node = state.node(nodeName);
  if (!node) return [];
  const steps: Step[] = [...renewLease(state, nodeName, now), ...postNodeStatus(node, now)];
  const rt = state.runtime(nodeName);
  // No runtime yet: the kubelet waits for the container runtime to come up.
  if (!rt) return steps;
  const draft = new RuntimeDraft(rt, now);
  const pods = state
    .podsOn(nodeName)
    .sort((a, b) => (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') || objectKey(a).localeCompare(objectKey(b)));
  const instancesByPod = groupBy(rt.status.containers, (c) => c.podUid);
  const callsByPod = groupBy(rt.status.calls, (c) => c.podUid ?? '');
  const view: NodeView = {
    node: nodeName,
    images: new Set(rt.status.images.map((i) => i.name)),
    pulling: new Set(rt.status.calls.filter((c) => c.call === 'PullImage' && (c.status === 'pending' || c.status === 'running')).map((c) => fullImageName(c.image ?? ''))),
    backOffs: draft.backOffs,
  };
  const takenIPs = new Set(pods.map((p) => p.status?.podIP).filter((ip): ip is string => ip !== undefined));
  let used: Used = { cpuMillis: 0, memoryBytes: 0, pods: 0 };
  const admittedNow = new Set<string>();
  for (const pod of pods) {
    const uid = pod.metadata.uid ?? '';
    const known = instancesByPod.has(uid) || callsByPod.has(uid);
    const phase = pod.status?.phase;
    if (phase !== 'Failed' && phase !== 'Succeeded' && isAdmitted(pod, known)) {
      used = addUsage(used, pod);
      admittedNow.add(uid);
    }
  }
  const podWork: PodWork = { steps: [] };
  const live = new Set<string>();
  for (const pod of pods) {
    const uid = pod.metadata.uid ?? '';
    live.add(uid);
    const instances = instancesByPod.get(uid) ?? [];
    const calls = callsByPod.get(uid) ?? [];
    if (pod.metadata.deletionTimestamp !== undefined) {
      terminate(pod, nodeName, instances, calls, draft, podWork, now);
      continue;
    }
    const phase = pod.status?.phase;
    if (phase === 'Failed' || phase === 'Succeeded') continue;
    if (!admittedNow.has(uid)) {
      const verdict = admit(pod, node, used);
      if (!verdict.admit) {
        const status: PodStatus = { ...pod.status, phase: 'Failed', reason: verdict.reason, message: verdict.message };
        podWork.steps.push(updateStatus(pod, { ...pod, status }, `${nodeName} rejects ${pod.metadata.name}: ${verdict.reason}`));
        continue;
      }
      used = addUsage(used, pod);
    }
    runPod(pod, node, instances, calls, view, draft, takenIPs, now, podWork);
  }
  cleanUpOrphans(rt, live, draft);
  // Events come after the writes that make the transitions they report.
  const events = podWork.steps.filter(isEventStep);
  return [...steps, ...podWork.steps.filter((s) => !isEventStep(s)), ...draft.write(), ...events];
}

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
  draft: RuntimeDraft,
  takenIPs: Set<string>,
  now: SimTime,
  work: PodWork,
): void {
  const statuses: ContainerStatus[] = [];
  let everStarted = false;
  let allFinished = true;
  let allSucceeded = true;
  for (const spec of pod.spec.containers) {
    const plan = planContainer(
      pod,
      spec,
      instances.filter((c) => c.name === spec.name),
      calls.filter((c) => c.container === spec.name),
      view,
      now,
    );
    for (const call of plan.calls) draft.send(call);
    draft.consume(plan.consumed);
    for (const entry of plan.backOffs) draft.setBackOff(entry);
    draft.notes.push(...plan.notes);
    work.steps.push(...plan.steps);
    statuses.push(plan.status);
    everStarted ||= plan.everStarted;
    allFinished &&= plan.finished;
    const state = plan.status.state;
    allSucceeded &&= state !== undefined && 'terminated' in state && state.terminated.exitCode === 0;
  }
  const next = podStatus(pod, node, statuses, everStarted ? (allFinished ? (allSucceeded ? 'Succeeded' : 'Failed') : 'Running') : 'Pending', takenIPs, now);
  if (!sameValue(next, pod.status ?? {})) {
    work.steps.push(updateStatus(pod, { ...pod, status: next }, `${node.metadata.name} reports ${pod.metadata.name}: ${summary(next)}`));
  }
}

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

function podStatus(pod: Pod, node: Node, statuses: ContainerStatus[], phase: NonNullable<PodStatus['phase']>, takenIPs: Set<string>, now: SimTime): PodStatus {
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
  if (host) next.hostIP = host;
  if (!next.podIP) {
    next.podIP = freeIP(podNetworkPrefix(node), takenIPs);
    takenIPs.add(next.podIP);
  }
  next.startTime ??= toRFC3339(now);
  return next;
}

/** A deleted pod: stop every container (grace period as the timeout), then remove the pod for good. */
function terminate(pod: Pod, node: string, instances: readonly RuntimeContainer[], calls: readonly CriCall[], draft: RuntimeDraft, work: PodWork, now: SimTime): void {
  const stopping = new Set(calls.filter((c) => c.call === 'StopContainer' && (c.status === 'pending' || c.status === 'running')).map((c) => c.containerId));
  draft.consume(calls.filter((c) => c.status === 'done' || c.status === 'failed').map((c) => c.id));
  const grace = pod.metadata.deletionGracePeriodSeconds ?? pod.spec.terminationGracePeriodSeconds ?? 30;
  for (const c of instances) {
    if (stopping.has(c.id)) continue;
    draft.send({ call: 'StopContainer', namespace: c.namespace, pod: c.pod, podUid: c.podUid, container: c.name, containerId: c.id, timeoutSeconds: grace });
    draft.notes.push(`${pod.metadata.name}: StopContainer ${c.name} (grace ${grace}s)`);
    // Killing reports a running container being stopped; exited ones are only removed.
    if (c.state !== 'running') continue;
    const killing = kubeletEvent(pod, node, 'Normal', 'Killing', `Stopping container ${c.name}`, now);
    work.steps.push(create(killing, `event: ${pod.metadata.name} Killing: ${killing.message ?? ''}`));
  }
  const inFlight = calls.some((c) => c.status === 'pending' || c.status === 'running');
  if (instances.length === 0 && !inFlight) {
    const uid = pod.metadata.uid ?? '';
    draft.dropBackOffs((key) => !key.startsWith(`${uid}/`));
    work.steps.push(remove(pod, `${pod.spec.nodeName}: ${pod.metadata.name} has stopped, remove it`, 0));
  }
}

/** Containers, finished calls and back-offs of pods no longer on this node. */
function cleanUpOrphans(rt: ContainerRuntime, live: ReadonlySet<string>, draft: RuntimeDraft): void {
  const stopping = new Set(draft.calls.filter((c) => c.call === 'StopContainer').map((c) => c.containerId));
  for (const c of rt.status.containers) {
    if (live.has(c.podUid) || stopping.has(c.id)) continue;
    draft.send({ call: 'StopContainer', namespace: c.namespace, pod: c.pod, podUid: c.podUid, container: c.name, containerId: c.id, timeoutSeconds: 0 });
    draft.notes.push(`${c.pod} is gone: StopContainer ${c.name}`);
  }
  const orphanCalls = draft.calls.filter((c) => !live.has(c.podUid ?? '') && (c.status === 'done' || c.status === 'failed'));
  draft.consume(orphanCalls.map((c) => c.id));
  draft.dropBackOffs((key) => live.has(key.slice(0, key.indexOf('/'))));
}

