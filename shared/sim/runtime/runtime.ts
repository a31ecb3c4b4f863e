/**
 * The container runtime of one node (containerd behind the CRI). It never decides what should run:
 * it takes the calls its kubelet sent (accepting a call is the role's move: `answerCri`), and time
 * finishes them (world timers): images land in the cache or the pull fails, containers are created,
 * started, stopped and removed, and a crashing command exits with its code.
 */
import {
  CONTAINER_RUNTIME,
  fromRFC3339,
  makeContainerRuntime,
  toMicroTime,
  type ContainerRuntime,
  type CriCall,
  type RuntimeContainer,
  type SimTime,
} from '@shared/model';
import { CRI_CALL_SECONDS } from '../defaults';
import { shortId } from '../hash';
import { create, timer, update, type Step } from '../requests';
import type { ClusterState } from '../state';
import { makeTimer, type Timer } from '../timers';
import { containerExit } from './commands';
import { OOM_EXIT_CODE, OOM_REASON, oomAfterSeconds } from './memory';
import { kubeletStopped, slowPullSeconds } from '../faults';
import { CACHED_PULL_CHECK_SECONDS, fullImageName, imageExists, pullErrorMessage, pullSeconds } from './images';

type Status = ContainerRuntime['status'];

export function hasImage(status: Status, image: string): boolean {
  return status.images.some((i) => i.name === fullImageName(image));
}

export function callSeconds(status: Status, call: CriCall): number {
  switch (call.call) {
    case 'PullImage': {
      const image = call.image ?? '';
      return hasImage(status, image) && imageExists(image) ? CACHED_PULL_CHECK_SECONDS : pullSeconds(image);
    }
    case 'StopContainer':
      return Math.min(CRI_CALL_SECONDS.StopContainer, call.timeoutSeconds ?? CRI_CALL_SECONDS.StopContainer);
    default:
      return CRI_CALL_SECONDS[call.call];
  }
}

export const containerIdOf = (podUid: string, name: string, attempt: number): string => `${CONTAINER_RUNTIME}://${shortId(`${podUid}/${name}/${attempt}`)}`;

function describe(call: CriCall): string {
  const what = call.call === 'PullImage' ? `image ${call.image}` : `${call.pod}/${call.container}`;
  return `${call.call} ${what}`;
}

/** The runtime takes a pending call: it is now running and finishes `dueAt`. */
function accept(status: Status, call: CriCall, now: SimTime, extraPullSeconds = 0): { call: CriCall; dueAt: SimTime } {
  const extra = call.call === 'PullImage' ? extraPullSeconds : 0;
  const dueAt = now + Math.round((callSeconds(status, call) + extra) * 1000);
  return { call: { ...call, status: 'running', dueAt: toMicroTime(dueAt) }, dueAt };
}

function finish(status: Status, call: CriCall, now: SimTime): Status {
  const done = (result: string, failed = false): CriCall => ({ ...call, status: failed ? 'failed' : 'done', result });
  const replace = (next: CriCall, s: Status): Status => ({ ...s, calls: s.calls.map((c) => (c.id === call.id ? next : c)) });
  const at = toMicroTime(now);
  switch (call.call) {
    case 'PullImage': {
      const image = call.image ?? '';
      if (!imageExists(image)) return replace(done(`ErrImagePull: ${pullErrorMessage(image)}`, true), status);
      const name = fullImageName(image);
      const images = status.images.some((i) => i.name === name) ? status.images : [...status.images, { name, pulledAt: at }];
      return replace(done(name), { ...status, images });
    }
    case 'CreateContainer': {
      const same = status.containers.filter((c) => c.podUid === call.podUid && c.name === call.container);
      const attempt = same.reduce((max, c) => Math.max(max, c.attempt + 1), 0);
      const container: RuntimeContainer = {
        id: containerIdOf(call.podUid ?? '', call.container ?? '', attempt),
        namespace: call.namespace ?? 'default',
        pod: call.pod ?? '',
        podUid: call.podUid ?? '',
        name: call.container ?? '',
        image: call.image ?? '',
        state: 'created',
        attempt,
        createdAt: at,
      };
      if (call.command) container.command = call.command;
      if (call.memoryLimitBytes !== undefined) container.memoryLimitBytes = call.memoryLimitBytes;
      if (call.memoryUsage) container.memoryUsage = call.memoryUsage;
      // Keep the previous instance (the kubelet reports it as lastState) and drop older ones.
      const kept = status.containers.filter((c) => !(c.podUid === call.podUid && c.name === call.container && c.attempt < attempt - 1));
      return replace(done(container.id), { ...status, containers: [...kept, container] });
    }
    case 'StartContainer': {
      const target = status.containers.find((c) => c.id === call.containerId);
      if (!target || target.state !== 'created') return replace(done(`container ${call.containerId} is not in created state`, true), status);
      const containers = status.containers.map((c) => (c.id === target.id ? { ...c, state: 'running' as const, startedAt: at } : c));
      return replace(done(target.id), { ...status, containers });
    }
    case 'StopContainer': {
      if (call.keep) {
        // A liveness kill: the process ends on SIGTERM within its grace period (exit 0, as nginx does).
        const containers = status.containers.map((c) => (c.id === call.containerId && c.state === 'running' ? { ...c, state: 'exited' as const, exitCode: 0, reason: 'Completed', finishedAt: at, stoppedToRestart: true } : c));
        return replace(done(call.containerId ?? ''), { ...status, containers });
      }
      // Stop and remove: the game has no separate RemoveContainer.
      return replace(done(call.containerId ?? ''), { ...status, containers: status.containers.filter((c) => c.id !== call.containerId) });
    }
    case 'ListContainers':
      return replace(done(`${status.containers.length} container(s)`), status);
  }
}

/** How a running container ends: its command exits, or the OOM killer ends it first. */
function endOf(c: RuntimeContainer): { at: SimTime; exitCode: number; reason: string } | undefined {
  if (c.state !== 'running' || c.startedAt === undefined) return undefined;
  const started = fromRFC3339(c.startedAt);
  const exit = containerExit(c);
  const oom = oomAfterSeconds(c);
  if (oom !== undefined && (!exit || oom <= exit.afterSeconds)) return { at: started + oom * 1000, exitCode: OOM_EXIT_CODE, reason: OOM_REASON };
  if (!exit) return undefined;
  return { at: started + exit.afterSeconds * 1000, exitCode: exit.exitCode, reason: exit.exitCode === 0 ? 'Completed' : 'Error' };
}

/** When a running container's process ends, if it ever does. */
export function exitTime(c: RuntimeContainer): SimTime | undefined {
  return endOf(c)?.at;
}

/** The world timer that finishes a running call: its id names the call and its due time, so booking it twice replaces. */
const callDue = (node: string, call: CriCall, dueAt: SimTime): Timer => makeTimer('criCallDue', dueAt, { node, callId: call.id });
const exitDue = (node: string, c: RuntimeContainer, at: SimTime): Timer => makeTimer('containerExit', at, { node, containerId: c.id });

interface Advance {
  status: Status;
  notes: string[];
  timers: Step[];
}

/** Time passing on the node: due calls finish, crashing commands exit. The world, whoever plays the runtime. */
function advance(node: string, status: Status, now: SimTime): Advance {
  const notes: string[] = [];
  const timers: Step[] = [];
  let next = status;
  for (const call of status.calls) {
    if (call.status !== 'running' || call.dueAt === undefined) continue;
    const dueAt = fromRFC3339(call.dueAt);
    if (dueAt <= now) {
      next = finish(next, call, dueAt);
      const result = next.calls.find((c) => c.id === call.id);
      notes.push(`${describe(call)}: ${result?.status === 'failed' ? result.result : 'done'}`);
    } else {
      timers.push(timer(callDue(node, call, dueAt), `${describe(call)} finishes`));
    }
  }
  let exited = false;
  const containers = next.containers.map((c) => {
    const end = endOf(c);
    if (end === undefined) return c;
    const { at, exitCode, reason } = end;
    if (at > now) {
      timers.push(timer(exitDue(node, c, at), `${c.pod}/${c.name} ${reason === OOM_REASON ? 'goes over its memory limit' : 'exits'}`));
      return c;
    }
    notes.push(reason === OOM_REASON ? `${c.pod}/${c.name} went over its memory limit: OOMKilled, exit code ${exitCode}` : `${c.pod}/${c.name} exited with code ${exitCode}`);
    exited = true;
    return { ...c, state: 'exited' as const, exitCode, reason, finishedAt: toMicroTime(at) };
  });
  if (exited) next = { ...next, containers };
  return { status: next, notes, timers };
}

function runtimeOf(state: ClusterState, node: string): ContainerRuntime | undefined {
  return state.runtime(node);
}

function writeSteps(rt: ContainerRuntime, status: Status, notes: string[], timers: Step[]): Step[] {
  if (notes.length === 0) return timers;
  return [update(rt, { ...rt, status }, `${rt.metadata.name} runtime: ${notes.join('; ')}`), ...timers];
}

/** World timers only (`criCallDue`, `containerExit`): what time did on the node. */
export function advanceRuntime(state: ClusterState, node: string, now: SimTime): Step[] {
  const rt = runtimeOf(state, node);
  if (!rt) return [];
  const { status, notes, timers } = advance(node, rt.status, now);
  return writeSteps(rt, status, notes, timers);
}

/**
 * Every world timer the stored runtimes wait on: one per CRI call running and one per running
 * container whose process will end, on every machine that is up. Nothing else finishes them, so
 * the server derives them from the stored cluster (a classroom taken over, a change applied, a
 * timer lost to an outage), as a kubelet re-syncs from the API server after a restart. Due times
 * may have passed: such a timer fires at once. `nodes`: only the runtimes of these machines.
 */
export function owedWorldTimers(state: ClusterState, nodes?: ReadonlySet<string>): Timer[] {
  const owed: Timer[] = [];
  const runtimes = nodes ? [...nodes].flatMap((node) => runtimeOf(state, node) ?? []) : state.list('ContainerRuntime');
  for (const rt of runtimes) {
    const node = rt.metadata.name;
    if (kubeletStopped(state, node)) continue;
    for (const call of rt.status.calls) if (call.status === 'running' && call.dueAt !== undefined) owed.push(callDue(node, call, fromRFC3339(call.dueAt)));
    for (const c of rt.status.containers) {
      const at = exitTime(c);
      if (at !== undefined) owed.push(exitDue(node, c, at));
    }
  }
  return owed;
}

export type CriAnswer = { ok: true; steps: Step[] } | { ok: false; message: string };

/** A runtime player answers one call: the runtime starts working on it (and time finishes it). */
export function answerCri(state: ClusterState, node: string, callId: string, now: SimTime): CriAnswer {
  const rt = runtimeOf(state, node);
  const call = rt?.status.calls.find((c) => c.id === callId);
  if (!rt || !call) return { ok: false, message: `CRI call ${callId} not found on ${node}` };
  if (call.status !== 'pending') return { ok: false, message: `CRI call ${callId} is already ${call.status}` };
  const taken = accept(rt.status, call, now, slowPullSeconds(state, node));
  const status = { ...rt.status, calls: rt.status.calls.map((c) => (c.id === callId ? taken.call : c)) };
  const after = advance(node, status, now);
  const secs = (taken.dueAt - now) / 1000;
  return { ok: true, steps: writeSteps(rt, after.status, [`${describe(call)} started, takes ${secs} s`, ...after.notes], after.timers) };
}

/** The runtime bot: take every pending call, then let time finish what is due. Creates the object if missing. */
export function reconcileRuntime(state: ClusterState, node: string, now: SimTime): Step[] {
  const rt = runtimeOf(state, node);
  if (!rt) return state.node(node) ? [create(makeContainerRuntime(node), `container runtime of ${node} starts`)] : [];
  const notes: string[] = [];
  const calls = rt.status.calls.map((call) => {
    if (call.status !== 'pending') return call;
    const taken = accept(rt.status, call, now, slowPullSeconds(state, node));
    notes.push(`${describe(call)} started, takes ${(taken.dueAt - now) / 1000} s`);
    return taken.call;
  });
  const after = advance(node, { ...rt.status, calls }, now);
  return writeSteps(rt, after.status, [...notes, ...after.notes], after.timers);
}

/** Fault injection: a running container of the pod dies (exit 137, as if OOM-killed or crashed). */
export function crashContainer(state: ClusterState, node: string, podUid: string, now: SimTime): Step[] {
  const rt = runtimeOf(state, node);
  const target = rt?.status.containers.find((c) => c.podUid === podUid && c.state === 'running');
  if (!rt || !target) return [];
  const containers = rt.status.containers.map((c) =>
    c.id === target.id ? { ...c, state: 'exited' as const, exitCode: 137, reason: 'Error', finishedAt: toMicroTime(now) } : c,
  );
  return [update(rt, { ...rt, status: { ...rt.status, containers } }, `${target.pod}/${target.name} crashed (exit code 137)`)];
}
