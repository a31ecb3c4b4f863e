/**
 * What the kubelet does for one container of a pod, from what the runtime shows: pull the image
 * (IfNotPresent cache), create, start, wait for the readiness probe, restart after a crash with
 * CrashLoopBackOff. It only ever asks the runtime (new CRI calls); it never changes a container.
 */
import {
  defaultPullPolicy,
  fromRFC3339,
  toRFC3339,
  type BackOffEntry,
  type Container,
  type ContainerState,
  type ContainerStatus,
  type CriCall,
  type Pod,
  type Probe,
  type RuntimeContainer,
  type SimTime,
} from '@shared/model';
import { shortId } from '../hash';
import { create, timer, type Step } from '../requests';
import { makeTimer } from '../timers';
import { fullImageName, imageSizeBytes, pullSeconds } from '../runtime/images';
import { OOM_REASON, memoryOf } from '../runtime/memory';
import { crashLoopMessage, goDuration, inBackOffSince, inBackOffSinceUpdate, nextBackOff, pullKey, restartKey } from './backoff';
import { kubeletEvent } from './events';
import { healthOf, probeFailureOutput, probeOutcome, type ProbeKind, type ProbeOutcome } from './probes';

/** How long ErrImagePull shows before ImagePullBackOff (the kubelet's next pod sync). */
export const ERR_IMAGE_PULL_SHOWN_MS = 2000;

/** A call the kubelet wants to send (the node loop gives it an id). */
export type NewCall = Omit<CriCall, 'id' | 'status' | 'sentAt'>;

export interface NodeView {
  node: string;
  images: ReadonlySet<string>;
  /** Images some pod is pulling right now: others wait instead of pulling again (serialised pulls). */
  pulling: ReadonlySet<string>;
  backOffs: ReadonlyMap<string, BackOffEntry>;
}

/** The kubelet's CRI moves for one container: the call a real kubelet would send next. */
export type ContainerMove = 'pullImage' | 'createContainer' | 'startContainer' | 'restartContainer';

/** A move the container cannot make yet, and what it waits for. */
export interface ContainerWait {
  move: ContainerMove | 'syncPodStatus';
  /** Why not now, in Kubernetes words, with the simulated time left when it is known. */
  reason: string;
  /** When it is expected to become possible (simulated ms), if known. */
  until?: SimTime;
}

export interface ContainerPlan {
  /** The CRI move this container needs now (its call is in `calls`), or null. */
  move: ContainerMove | null;
  wait: ContainerWait | null;
  calls: NewCall[];
  /** Finished calls the kubelet has now read (removed from the runtime object). */
  consumed: string[];
  backOffs: BackOffEntry[];
  status: ContainerStatus;
  ready: boolean;
  /** The container has run at least once (the pod is past Pending). */
  everStarted: boolean;
  /** Terminated and not to be restarted (restartPolicy). */
  finished: boolean;
  steps: Step[];
  notes: string[];
}

export function imageIdOf(image: string): string {
  const full = fullImageName(image);
  const at = full.indexOf('@');
  const repo = at < 0 ? full.slice(0, full.lastIndexOf(':')) : full.slice(0, at);
  return `${repo}@sha256:${shortId(full).repeat(6).slice(0, 64)}`;
}

/** The first readiness success: `initialDelaySeconds` after start, then `successThreshold` probes a period apart. */
export function readyAt(c: Container, startedAt: SimTime): SimTime {
  const probe = c.readinessProbe;
  if (!probe) return startedAt;
  return startedAt + ((probe.initialDelaySeconds ?? 0) + ((probe.successThreshold ?? 1) - 1) * (probe.periodSeconds ?? 10)) * 1000;
}

function terminated(c: RuntimeContainer): ContainerState {
  const t: Extract<ContainerState, { terminated: unknown }>['terminated'] = { exitCode: c.exitCode ?? 0, containerID: c.id };
  if (c.reason) t.reason = c.reason;
  if (c.startedAt) t.startedAt = toRFC3339(fromRFC3339(c.startedAt));
  if (c.finishedAt) t.finishedAt = toRFC3339(fromRFC3339(c.finishedAt));
  return { terminated: t };
}

function shouldRestart(pod: Pod, c: RuntimeContainer): boolean {
  const policy = pod.spec.restartPolicy ?? 'Always';
  // A liveness kill restarts the container under OnFailure too (computePodActions), though it exited 0.
  return policy === 'Always' || (policy === 'OnFailure' && ((c.exitCode ?? 0) !== 0 || c.stoppedToRestart === true));
}

export function planContainer(
  pod: Pod,
  spec: Container,
  instances: readonly RuntimeContainer[],
  calls: readonly CriCall[],
  view: NodeView,
  now: SimTime,
): ContainerPlan {
  const uid = pod.metadata.uid ?? '';
  const ns = pod.metadata.namespace ?? 'default';
  const podName = pod.metadata.name;
  const image = spec.image;
  const sorted = [...instances].sort((a, b) => a.attempt - b.attempt);
  const latest = sorted[sorted.length - 1];
  const previous = sorted.length > 1 ? sorted[sorted.length - 2] : undefined;
  const plan: ContainerPlan = {
    move: null,
    wait: null,
    calls: [],
    consumed: [],
    backOffs: [],
    status: { name: spec.name, image, imageID: '', ready: false, started: false, restartCount: latest?.attempt ?? 0 },
    ready: false,
    everStarted: latest !== undefined && (latest.startedAt !== undefined || latest.attempt > 0),
    finished: false,
    steps: [],
    notes: [],
  };
  const waiting = (reason: string, message?: string): void => {
    plan.status.state = { waiting: message === undefined ? { reason } : { reason, message } };
  };
  if (latest && view.images.has(fullImageName(image))) plan.status.imageID = imageIdOf(image);
  if (latest) plan.status.containerID = latest.id;
  if (previous?.state === 'exited') plan.status.lastState = terminated(previous);
  const base = { namespace: ns, pod: podName, podUid: uid, container: spec.name, image };
  const send = (move: ContainerMove, call: NewCall, note: string): void => {
    plan.move = move;
    plan.calls.push(call);
    plan.notes.push(note);
  };
  const wait = (move: ContainerWait['move'], reason: string, until?: SimTime): void => {
    plan.wait = until === undefined ? { move, reason } : { move, reason: `${reason}, about ${secondsLeft(until, now)} s`, until };
  };
  const record = (type: 'Normal' | 'Warning', reason: string, message: string): void => {
    plan.steps.push(create(kubeletEvent(pod, view.node, type, reason, message, now), `event: ${podName} ${reason}: ${message}`));
  };
  const shown = pod.status?.containerStatuses?.find((s) => s.name === spec.name)?.state;
  const shownWaiting = shown && 'waiting' in shown ? shown.waiting.reason : undefined;
  const policy = spec.imagePullPolicy ?? defaultPullPolicy(image);
  const alreadyPresent = (): void => {
    if (policy !== 'Always') record('Normal', 'Pulled', `Container image "${image}" already present on machine`);
  };

  const inFlight = calls.find((c) => c.status === 'pending' || c.status === 'running');
  const finishedCalls = calls.filter((c) => c.status === 'done' || c.status === 'failed');
  plan.consumed = finishedCalls.map((c) => c.id);
  // Reading an answer is when the kubelet learns of it: one event per answer, as the call is consumed.
  for (const c of finishedCalls) if (c.status === 'done') recordAnswer(c, image, now, record);
  if (inFlight) {
    const what = inFlight.call === 'PullImage' ? `PullImage ${inFlight.image ?? image}` : `${inFlight.call} ${spec.name}`;
    const due = inFlight.dueAt === undefined ? undefined : fromRFC3339(inFlight.dueAt);
    const move = CALL_MOVE[inFlight.call] ?? 'syncPodStatus';
    if (inFlight.status === 'pending') wait(move, `waiting for the container runtime to take the ${what} call`);
    else wait(move, `waiting for the runtime to finish ${what}`, due);
    if (latest?.state === 'exited') plan.status.lastState = terminated(latest);
    if (latest?.state === 'running') plan.status.state = { running: { startedAt: toRFC3339(fromRFC3339(latest.startedAt ?? '')) } };
    else waiting('ContainerCreating');
    return plan;
  }

  const failedPull = finishedCalls.find((c) => c.call === 'PullImage' && c.status === 'failed');
  const pKey = pullKey(uid, spec.name);
  if (failedPull) {
    const entry = nextBackOff(pKey, view.backOffs.get(pKey), now, now);
    plan.backOffs.push(entry);
    const criError = `rpc error: code = NotFound desc = ${(failedPull.result ?? '').replace(/^ErrImagePull: /, '')}`;
    // The status shows the CRI error itself; the prefixed text is the kubelet's Failed event.
    waiting('ErrImagePull', criError);
    record('Warning', 'Failed', `Failed to pull image "${image}": ${criError}`);
    plan.notes.push(`${podName}: pull of ${image} failed, back-off ${goDuration(entry.seconds)}`);
    plan.steps.push(timer(makeTimer('backOffEnd', now + entry.seconds * 1000, { node: view.node, namespace: ns, pod: podName }), `image pull back-off of ${podName} ends`));
    wait('pullImage', `the pull of ${image} failed: back-off ${goDuration(entry.seconds)} before the next try`, now + entry.seconds * 1000);
    return plan;
  }

  if (!latest) {
    const cached = view.images.has(fullImageName(image));
    const justPulled = finishedCalls.some((c) => c.call === 'PullImage' && c.status === 'done');
    if (policy === 'Never' && !cached) {
      waiting('ErrImageNeverPull', `Container image "${image}" is not present with pull policy of Never`);
      wait('pullImage', `${image} is not on ${view.node} and its pull policy is Never`);
      return plan;
    }
    const needPull = policy === 'Always' ? !justPulled : !cached;
    if (needPull) {
      const entry = view.backOffs.get(pKey);
      if (inBackOffSinceUpdate(entry, now) && entry) {
        const failedAt = fromRFC3339(entry.lastUpdate);
        // The pull error stays on screen a moment before the pod worker's next sync turns it into ImagePullBackOff.
        if (now < failedAt + ERR_IMAGE_PULL_SHOWN_MS && shown && 'waiting' in shown && shown.waiting.reason === 'ErrImagePull') {
          plan.status.state = shown;
          plan.steps.push(timer(makeTimer('backOffEnd', failedAt + ERR_IMAGE_PULL_SHOWN_MS, { node: view.node, namespace: ns, pod: podName }), `${podName} shows ImagePullBackOff`));
          wait('pullImage', `Back-off pulling image "${image}"`, failedAt + entry.seconds * 1000);
          return plan;
        }
        waiting('ImagePullBackOff', `Back-off pulling image "${image}"`);
        if (shownWaiting !== 'ImagePullBackOff') record('Normal', 'BackOff', `Back-off pulling image "${image}"`);
        const end = failedAt + entry.seconds * 1000;
        plan.steps.push(timer(makeTimer('backOffEnd', end, { node: view.node, namespace: ns, pod: podName }), `image pull back-off of ${podName} ends`));
        wait('pullImage', `Back-off pulling image "${image}"`, end);
        return plan;
      }
      waiting('ContainerCreating');
      if (policy !== 'Always' && view.pulling.has(fullImageName(image))) {
        wait('pullImage', `another pod on ${view.node} is pulling ${image}: the kubelet waits for that pull`);
        return plan;
      }
      send('pullImage', { call: 'PullImage', ...base }, `${podName}: PullImage ${image}`);
      record('Normal', 'Pulling', `Pulling image "${image}"`);
      return plan;
    }
    waiting('ContainerCreating');
    if (!justPulled) alreadyPresent();
    send('createContainer', { call: 'CreateContainer', ...base, ...(spec.command ? { command: spec.command } : {}), ...memoryOf(pod, spec) }, `${podName}: CreateContainer ${spec.name}`);
    return plan;
  }

  switch (latest.state) {
    case 'created':
      waiting('ContainerCreating');
      send('startContainer', { call: 'StartContainer', ...base, containerId: latest.id }, `${podName}: StartContainer ${spec.name}`);
      return plan;
    case 'running': {
      const started = fromRFC3339(latest.startedAt ?? toRFC3339(now));
      plan.status.state = { running: { startedAt: toRFC3339(started) } };
      plan.status.started = true;
      plan.everStarted = true;
      const subject = { node: view.node, namespace: ns, pod: podName };
      const health = healthOf(pod, spec);
      const probeFailed = (kind: ProbeKind, probe: Probe, outcome: ProbeOutcome): void => {
        const event = kubeletEvent(pod, view.node, 'Warning', 'Unhealthy', `${kind} probe failed: ${probeFailureOutput(probe, pod.status?.podIP)}`, now);
        // The prober records one event per failed probe; the recorder folds them into one with a count.
        const first = outcome.failures?.first ?? now;
        plan.steps.push(create({ ...event, firstTimestamp: toRFC3339(first), lastTimestamp: toRFC3339(outcome.since), count: outcome.failures?.count ?? 1 }, `event: ${podName} Unhealthy: ${event.message ?? ''}`));
      };
      if (health && spec.livenessProbe) {
        const live = probeOutcome(spec.livenessProbe, 'Liveness', health, started, now);
        if (!live.ok) {
          const grace = pod.spec.terminationGracePeriodSeconds ?? 30;
          probeFailed('Liveness', spec.livenessProbe, live);
          record('Normal', 'Killing', `Container ${spec.name} failed liveness probe, will be restarted`);
          send('restartContainer', { call: 'StopContainer', ...base, containerId: latest.id, timeoutSeconds: grace, keep: true }, `${podName}: ${spec.name} failed its liveness probe: StopContainer (grace ${grace}s), then create it again`);
          return plan;
        }
        if (live.next !== undefined) plan.steps.push(timer(makeTimer('livenessProbe', live.next, subject), `liveness probe of ${podName}/${spec.name} fails for good`));
      }
      if (health && spec.readinessProbe) {
        const readiness = probeOutcome(spec.readinessProbe, 'Readiness', health, started, now);
        plan.ready = readiness.ok;
        plan.status.ready = plan.ready;
        const wasReady = pod.status?.containerStatuses?.find((s) => s.name === spec.name && s.containerID === latest.id)?.ready === true;
        if (wasReady && !readiness.ok) probeFailed('Readiness', spec.readinessProbe, readiness);
        if (readiness.next !== undefined) {
          plan.steps.push(timer(makeTimer('readinessProbe', readiness.next, subject), `readiness probe of ${podName}/${spec.name} ${readiness.ok ? 'fails' : 'passes'}`));
          if (!readiness.ok) wait('syncPodStatus', `${spec.name} is running; its readiness probe passes again`, readiness.next);
        }
        return plan;
      }
      const at = readyAt(spec, started);
      plan.ready = at <= now;
      plan.status.ready = plan.ready;
      if (!plan.ready) {
        plan.steps.push(timer(makeTimer('readinessProbe', at, subject), `readiness probe of ${podName}/${spec.name} passes`));
        wait('syncPodStatus', `${spec.name} is running; its readiness probe first passes`, at);
      }
      return plan;
    }
    case 'exited': {
      plan.everStarted = true;
      if (!shouldRestart(pod, latest)) {
        plan.status.state = terminated(latest);
        plan.finished = true;
        return plan;
      }
      plan.status.lastState = terminated(latest);
      const key = restartKey(uid, spec.name);
      const entry = view.backOffs.get(key);
      const finishedAt = fromRFC3339(latest.finishedAt ?? toRFC3339(now));
      if (inBackOffSince(entry, finishedAt, now) && entry) {
        waiting('CrashLoopBackOff', crashLoopMessage(entry.seconds, spec.name, podName, ns, uid));
        if (shownWaiting !== 'CrashLoopBackOff') record('Warning', 'BackOff', `Back-off restarting failed container ${spec.name} in pod ${podName}_${ns}(${uid})`);
        const end = finishedAt + entry.seconds * 1000;
        plan.steps.push(timer(makeTimer('backOffEnd', end, { node: view.node, namespace: ns, pod: podName }), `restart back-off of ${podName} ends`));
        wait('restartContainer', `back-off ${goDuration(entry.seconds)} restarting failed container ${spec.name}`, end);
        return plan;
      }
      plan.backOffs.push(nextBackOff(key, entry, finishedAt, now));
      waiting('ContainerCreating');
      alreadyPresent();
      const why = latest.reason === OOM_REASON ? `${latest.reason}, exit code ${latest.exitCode ?? 0}` : `exit code ${latest.exitCode ?? 0}`;
      send('restartContainer', { call: 'CreateContainer', ...base, ...(spec.command ? { command: spec.command } : {}), ...memoryOf(pod, spec) }, `${podName}: restart ${spec.name} (${why})`);
      return plan;
    }
  }
}

const CALL_MOVE: Partial<Record<CriCall['call'], ContainerMove>> = {
  PullImage: 'pullImage',
  CreateContainer: 'createContainer',
  StartContainer: 'startContainer',
  StopContainer: 'restartContainer',
};

const secondsLeft = (until: SimTime, now: SimTime): number => Math.max(0, Math.ceil((until - now) / 1000));

/** The kubelet's event for a CRI answer it reads (image_manager.go, kuberuntime_container.go). */
function recordAnswer(call: CriCall, image: string, now: SimTime, record: (type: 'Normal', reason: string, message: string) => void): void {
  switch (call.call) {
    case 'PullImage': {
      const sent = fromRFC3339(call.sentAt);
      const waited = (call.dueAt === undefined ? now : fromRFC3339(call.dueAt)) - sent;
      const pulled = Math.min(waited, pullSeconds(image) * 1000);
      record('Normal', 'Pulled', `Successfully pulled image "${image}" in ${goDuration(pulled / 1000)} (${goDuration(waited / 1000)} including waiting). Image size: ${imageSizeBytes(image)} bytes.`);
      return;
    }
    case 'CreateContainer':
      record('Normal', 'Created', `Created container: ${call.container ?? ''}`);
      return;
    case 'StartContainer':
      record('Normal', 'Started', `Started container ${call.container ?? ''}`);
      return;
    default:
      return;
  }
}
