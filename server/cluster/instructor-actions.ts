/**
 * The instructor's cluster-level requests, which the API server runs and logs: `kubectl apply`
 * of a manifest, `kubectl delete` (with its propagationPolicy), faults (stop or start a node's kubelet, crash a pod's
 * container) and reset (the cluster back to its first round). Each is written with the actor
 * `instructor` at the classroom's simulated now, and answered in kubectl's words.
 */
import { parseAllDocuments } from 'yaml';
import { RESOURCE, type Deployment, type Kind, type KubeObject } from '@shared/model';
import { refuse, type Ack, type ClassroomView, type Fault, type InstructorAction } from '@shared/protocol';
import { HEARTBEAT_MODE, KUBELET_STOPPED, KUBE_PROXY_STOPPED, NODE_PARTITIONED, SLOW_IMAGE_PULLS, crashContainer } from '@shared/sim';
import { SCENARIO_ACTOR } from '@shared/scenarios';
import type { RoundService } from '../rounds/round-service';
import type { ClassroomChangeReason } from '../classroom/changes';
import { isApiError } from '../store';
import { createBootstrapObjects, bootstrapNode, capacityError, type NodeCapacity } from './bootstrap';
import { CONFLICT_RETRIES, type ClusterRuntime } from './cluster-runtime';
import { electLeaders } from './leader-election';
import { writeRequest } from './write-request';

/** Instructor requests that change the cluster rather than the room: they go through the API server. */
export const CLUSTER_INSTRUCTOR_KINDS = ['fault', 'apply', 'deleteObject', 'reset', 'runScenario', 'startRound', 'restartRound'] as const;
export type ClusterInstructorKind = (typeof CLUSTER_INSTRUCTOR_KINDS)[number];
export type ClusterInstructorAction<K extends ClusterInstructorKind = ClusterInstructorKind> = Extract<InstructorAction, { kind: K }>;

export function isClusterInstructorAction(action: InstructorAction): action is ClusterInstructorAction {
  return (CLUSTER_INSTRUCTOR_KINDS as readonly string[]).includes(action.kind);
}

export interface InstructorContext {
  runtime: ClusterRuntime;
  announce(classroomId: string, reasons: ClassroomChangeReason[]): Promise<void>;
  rounds: RoundService;
}

/** The kubelets' Lease renewals (they act on whatever nodes there are) survive a reset. */
const KEEP_ON_RESET = new Set(['leaseRenew']);

type Reply = Ack<{ message?: string }>;
const APPLIABLE = new Set<string>(['Deployment', 'Service', 'Pod', 'Node']);
const INSTRUCTOR = 'instructor';
/**
 * Who a scenario's timed step writes as: the round, not the instructor (who did nothing), so the
 * timeline and the goals it meets credit no one for it (authorsOf names it the scenario's).
 */
export const SCENARIO_STEP_ACTOR = SCENARIO_ACTOR;

/** Who asked for an instructor request: the instructor, or the round playing its scenario's step. */
export type InstructorBy = 'instructor' | 'scenario';

/** `deployment.apps/web`, as kubectl names what it touched. */
const named = (kind: Kind, name: string): string => `${RESOURCE[kind].replace(/s(\.|$)/, '$1')}/${name}`;

/**
 * Aliases a manifest may resolve (yaml's `maxAliasCount`): kubectl manifests hardly use any, and a
 * "billion laughs" document (aliases of aliases) would otherwise expand to gigabytes.
 */
export const MAX_YAML_ALIASES = 50;

/** The manifest's documents as plain values, or why they cannot be read: every failure here is the manifest's. */
function readManifest(manifest: string): unknown[] | Reply {
  try {
    const documents = parseAllDocuments(manifest);
    const list = Array.isArray(documents) ? documents : [documents];
    const broken = list.flatMap((d) => d.errors);
    if (broken.length) return refuse('BadRequest', `the manifest is not valid YAML: ${broken[0]?.message ?? ''}`);
    return list.map((d) => d.toJS({ maxAliasCount: MAX_YAML_ALIASES }) as unknown).filter((o) => o !== null && o !== undefined);
  } catch (error) {
    if (error instanceof ReferenceError && /alias/i.test(error.message)) {
      return refuse('BadRequest', `the manifest cannot be read: it uses YAML aliases more than ${MAX_YAML_ALIASES} times (a "billion laughs" document?)`);
    }
    // Nesting too deep for the parser, an alias to nothing, a bad merge key: still the manifest.
    return refuse('BadRequest', `the manifest cannot be read: ${error instanceof Error ? error.message : String(error)}`);
  }
}

async function apply(runtime: ClusterRuntime, classroomId: string, manifest: string, simTime: number): Promise<Reply> {
  const objects = readManifest(manifest);
  if (!Array.isArray(objects)) return objects;
  if (!objects.length) return refuse('BadRequest', 'the manifest holds no object');
  const lines: string[] = [];
  for (const input of objects) {
    const kind = typeof input === 'object' && input !== null && 'kind' in input ? String(input.kind) : '';
    if (!APPLIABLE.has(kind)) return refuse('BadRequest', `cannot apply kind "${kind}": apply a Deployment, Service, Pod or Node`);
    const object = input as KubeObject;
    const context = { actor: INSTRUCTOR, simTime };
    try {
      await runtime.store.create(classroomId, object, context);
      lines.push(`${named(object.kind, object.metadata.name)} created`);
    } catch (error) {
      if (!isApiError(error, 'AlreadyExists')) throw error;
      const before = await runtime.store.get(classroomId, { kind: object.kind, name: object.metadata.name, namespace: object.metadata.namespace });
      const after = await runtime.store.update(classroomId, { ...object, metadata: { ...object.metadata, resourceVersion: undefined } } as KubeObject, context);
      lines.push(`${named(object.kind, object.metadata.name)} ${after.metadata.resourceVersion === before.metadata.resourceVersion ? 'unchanged' : 'configured'}`);
    }
  }
  return { ok: true, message: lines.join('\n') };
}

/** A fault marked on the Node, so every process, cache and screen sees it. */
async function annotateNode(runtime: ClusterRuntime, classroomId: string, node: string, key: string, value: string | null, actor: string, simTime: number, message: string): Promise<Reply> {
  await runtime.store.patch(classroomId, { kind: 'Node', name: node }, { metadata: { annotations: { [key]: value } } }, { actor, simTime });
  return { ok: true, message };
}

/**
 * A new machine joins: the next `node-<n>` goes into the classroom's node list first (atomically,
 * so two clicks give two nodes), then its Node, Lease, container runtime and proxy table are
 * created, and the new view tells every screen (and the bots) about its kubelet, runtime and kube-proxy seats.
 */
async function addNode(runtime: ClusterRuntime, announce: InstructorContext['announce'], classroomId: string, capacity: NodeCapacity, now: number): Promise<Reply> {
  const invalid = capacityError(capacity);
  if (invalid) return refuse('BadRequest', `cannot add a node with this capacity: ${invalid}`);
  const { name, index } = await runtime.classrooms.addNode(classroomId);
  await bootstrapNode(runtime.store, classroomId, name, index, now, capacity);
  await announce(classroomId, ['nodes']);
  return { ok: true, message: `node/${name} created: its kubelet, container runtime and kube-proxy are new roles` };
}

/** kubectl scale / kubectl set image: the Deployment's spec changes, its controller does the rest. */
async function changeDeployment(runtime: ClusterRuntime, classroomId: string, name: string, actor: string, simTime: number, change: (d: Deployment) => Deployment | string): Promise<Reply> {
  for (let attempt = 0; ; attempt++) {
    const deployment = await runtime.store.get(classroomId, { kind: 'Deployment', name, namespace: 'default' });
    const next = change(deployment);
    if (typeof next === 'string') return refuse('Invalid', next);
    try {
      await runtime.store.update(classroomId, next, { actor, simTime });
      return { ok: true, message: `deployment.apps/${name} ${next.spec.replicas !== deployment.spec.replicas ? 'scaled' : 'image updated'}` };
    } catch (error) {
      // The deployment controller wrote the Deployment (its status, its revision) between our read
      // and our write: the change is made again on the version read now, as kubectl's patch would be.
      if (!isApiError(error, 'Conflict') || attempt >= CONFLICT_RETRIES) throw error;
    }
  }
}

function setImage(d: Deployment, image: string, container: string | undefined): Deployment | string {
  const containers = d.spec.template.spec.containers;
  const target = container ?? containers[0]?.name;
  if (!containers.some((c) => c.name === target)) return `unable to find container named "${target ?? ''}"`;
  const next = containers.map((c) => (c.name === target ? { ...c, image } : c));
  return { ...d, spec: { ...d.spec, template: { ...d.spec.template, spec: { ...d.spec.template.spec, containers: next } } } };
}

/** A running container of the pod exits with 137, as the OOM killer or `kill -9` would end it. */
async function crashPod(runtime: ClusterRuntime, classroomId: string, podName: string, actor: string, decidedAt: number): Promise<Reply> {
  let now = decidedAt;
  for (let attempt = 0; ; attempt++) {
    const state = await runtime.state(classroomId);
    const pod = state.pod(`default/${podName}`);
    const node = pod?.spec.nodeName;
    if (!pod || node === undefined) return refuse('NotFound', `pods "${podName}" not found on any node`);
    const steps = crashContainer(state, node, pod.metadata.uid ?? '', now);
    if (!steps.length) return refuse('Invalid', `${podName} has no running container to crash`);
    const outcome = await runtime.apply(classroomId, steps, { actor, simTime: now }, { stopAtRefusal: true });
    // The node's runtime or kubelet wrote its object between our read and our write: the crash
    // is the instructor's, not a version they sent, so it is made on the object as it is now.
    if (outcome.refusal?.code === 'Conflict' && attempt < CONFLICT_RETRIES) {
      await runtime.catchUp(classroomId);
      // Stamped after the write that won, so the log's simulated times stay in order.
      now = Math.max(now, (await runtime.moment(classroomId))?.now ?? now);
      continue;
    }
    return outcome.refusal ?? { ok: true, message: `the container of ${podName} crashed` };
  }
}

async function fault(runtime: ClusterRuntime, announce: InstructorContext['announce'], classroomId: string, fault: Fault, actor: string, now: number): Promise<Reply> {
  switch (fault.type) {
    case 'stopKubelet':
    case 'startKubelet': {
      const stopped = fault.type === 'stopKubelet';
      return annotateNode(runtime, classroomId, fault.node, KUBELET_STOPPED, stopped ? 'true' : null, actor, now, stopped ? `the kubelet on ${fault.node} is stopped` : `the kubelet on ${fault.node} is running again`);
    }
    case 'stopKubeProxy':
    case 'startKubeProxy': {
      const stopped = fault.type === 'stopKubeProxy';
      const message = stopped ? `kube-proxy on ${fault.node} is stopped: requests from ${fault.node} follow its last rules until it syncs again` : `kube-proxy on ${fault.node} is running again: it syncs its rules`;
      return annotateNode(runtime, classroomId, fault.node, KUBE_PROXY_STOPPED, stopped ? 'true' : null, actor, now, message);
    }
    case 'partitionNode':
      return annotateNode(runtime, classroomId, fault.node, NODE_PARTITIONED, fault.partitioned ? 'true' : null, actor, now, fault.partitioned ? `${fault.node} is cut off from the API server (its containers keep running)` : `${fault.node} reaches the API server again`);
    case 'slowImagePulls':
      return annotateNode(runtime, classroomId, fault.node, SLOW_IMAGE_PULLS, fault.extraSeconds > 0 ? String(fault.extraSeconds) : null, actor, now, fault.extraSeconds > 0 ? `image pulls on ${fault.node} take ${fault.extraSeconds} s longer` : `image pulls on ${fault.node} are back to normal`);
    case 'manualHeartbeat':
      return annotateNode(runtime, classroomId, fault.node, HEARTBEAT_MODE, fault.manual ? 'manual' : null, actor, now, fault.manual ? `the kubelet of ${fault.node} now renews its Lease only when its player does` : `the kubelet of ${fault.node} renews its Lease by itself again`);
    case 'crashPod':
      return crashPod(runtime, classroomId, fault.pod, actor, now);
    case 'addNode':
      return addNode(runtime, announce, classroomId, { cpu: fault.cpu, memory: fault.memory }, now);
    case 'removeNode': {
      await writeRequest(runtime.store, classroomId, { verb: 'delete', kind: 'Node', name: fault.node, reason: actor === INSTRUCTOR ? 'the instructor removes the node' : 'the scenario removes the node' }, { actor, simTime: now });
      return { ok: true, message: `node/${fault.node} deleted` };
    }
    case 'scaleDeployment':
      return changeDeployment(runtime, classroomId, fault.deployment, actor, now, (d) => ({ ...d, spec: { ...d.spec, replicas: fault.replicas } }));
    case 'setImage':
      return changeDeployment(runtime, classroomId, fault.deployment, actor, now, (d) => setImage(d, fault.image, fault.container));
    case 'traffic':
      return { ok: true, message: fault.perSecond > 0 ? `clients send ${requestsPerSecond(fault.perSecond)} to service/${fault.service}` : `clients stop sending requests to service/${fault.service}` };
    case 'trafficSpike':
      return { ok: true, message: `a spike: ${requestsPerSecond(fault.perSecond, 'more ')} to service/${fault.service} for ${fault.seconds} s` };
    case 'readOnlyStore':
      return { ok: true, message: fault.readOnly ? 'etcd is read-only: every write answers 503 until it takes writes again' : 'etcd takes writes again' };
  }
}

/** Every object goes (in the log, as the instructor's deletions), then the first round's cluster comes back. */
async function reset(runtime: ClusterRuntime, view: ClassroomView, simTime: number): Promise<Reply> {
  const classroomId = view.id;
  // The pending steps of the old cluster go; the bots' ticks stay (they act on whatever cluster there is).
  for (const timer of await runtime.timers.pending(classroomId)) if (!KEEP_ON_RESET.has(timer.kind)) await runtime.timers.cancel(classroomId, timer.key);
  runtime.simTimers.cancel(classroomId, (timer) => !KEEP_ON_RESET.has(timer.kind));
  const context = { actor: INSTRUCTOR, simTime };
  const objects = await runtime.claims.replace(classroomId, 'reset', async () => {
    const { objects: old } = await runtime.store.snapshot(classroomId);
    for (const object of old) {
      await runtime.store.delete(classroomId, { kind: object.kind, name: object.metadata.name, namespace: object.metadata.namespace }, context).catch((error: unknown) => {
        if (!isApiError(error, 'NotFound')) throw error;
      });
    }
    await createBootstrapObjects(runtime.store, classroomId, view.nodes, simTime);
    return old;
  });
  await electLeaders(runtime.store, view);
  return { ok: true, message: `the cluster is back to its first round (${objects.length} objects removed)` };
}

/** One instructor request, decided at the classroom's simulated now (written to `clock`). Store refusals throw ApiError. */
export function runInstructorAction(
  { runtime, announce, rounds }: InstructorContext,
  classroomId: string,
  action: ClusterInstructorAction,
  clock: { simTime: number },
  by: InstructorBy = 'instructor',
): Promise<Reply> {
  return runtime.exclusive(classroomId, 'instructor', async () => {
    const moment = await runtime.moment(classroomId);
    if (!moment || moment.view.phase === 'closed') return refuse('Forbidden', 'this classroom is closed: its log can be replayed but nothing in it can change');
    const now = moment.now;
    clock.simTime = now;
    // etcd takes no writes: only what brings it back (or starts over) gets through.
    const writes = action.kind === 'apply' || action.kind === 'deleteObject' || (action.kind === 'fault' && action.fault.type !== 'readOnlyStore' && action.fault.type !== 'traffic' && action.fault.type !== 'trafficSpike');
    const readOnly = writes ? runtime.writeGuard?.(classroomId) : null;
    if (readOnly) return readOnly;
    switch (action.kind) {
      case 'apply':
        return apply(runtime, classroomId, action.manifest, now);
      case 'deleteObject': {
        const policy = action.propagationPolicy === undefined ? {} : { propagationPolicy: action.propagationPolicy };
        const request = { verb: 'delete', kind: action.objectKind, name: action.name, reason: 'the instructor deletes it', ...policy } as const;
        const target = action.objectKind === 'Node' ? request : { ...request, namespace: 'default' };
        const last = await writeRequest(runtime.store, classroomId, target, { actor: INSTRUCTOR, simTime: now });
        // A pod in its grace period is Terminating; anything else held by a finalizer is deleted as kubectl says, the garbage collector finishes it.
        const terminating = action.objectKind === 'Pod' && last.metadata.deletionTimestamp !== undefined;
        return { ok: true, message: `${named(action.objectKind, action.name)} ${terminating ? 'terminating' : 'deleted'}` };
      }
      case 'fault': {
        const refused = await rounds.faultRefusal(classroomId, action.fault);
        if (refused) return refused;
        const reply = await fault(runtime, announce, classroomId, action.fault, by === 'scenario' ? SCENARIO_STEP_ACTOR : INSTRUCTOR, now);
        if (reply.ok) await rounds.noteFault(classroomId, action.fault, reply.message ?? action.fault.type, now, by);
        return reply;
      }
      case 'reset':
        await rounds.clear(classroomId);
        return reset(runtime, moment.view, now);
      case 'runScenario':
        return rounds.runScenario(classroomId, action.scenario, action.seed, now);
      case 'startRound':
        return rounds.startRound(classroomId);
      case 'restartRound':
        return rounds.restartRound(classroomId, now);
    }
  });
}

/** "1 request a second", "5 more requests a second". */
function requestsPerSecond(perSecond: number, more = ''): string {
  return `${perSecond} ${more}request${perSecond === 1 ? '' : 's'} a second`;
}
