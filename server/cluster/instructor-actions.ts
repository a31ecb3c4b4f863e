/**
 * The instructor's cluster-level requests, which the API server runs and logs: `kubectl apply`
 * of a manifest, `kubectl delete`, faults (stop or start a node's kubelet, crash a pod's
 * container) and reset (the cluster back to its first round). Each is written with the actor
 * `instructor` at the classroom's simulated now, and answered in kubectl's words.
 */
import { parseAllDocuments } from 'yaml';
import { RESOURCE, type Kind, type KubeObject } from '@shared/model';
import { refuse, type Ack, type ClassroomView, type InstructorAction } from '@shared/protocol';
import { HEARTBEAT_MODE, KUBELET_STOPPED, crashContainer } from '@shared/sim';
import type { ClassroomChangeReason } from '../classroom/changes';
import { isApiError } from '../store';
import { bootstrapCluster, bootstrapNode, capacityError, type NodeCapacity } from './bootstrap';
import type { ClusterRuntime } from './cluster-runtime';
import { electLeaders } from './leader-election';
import { writeRequest } from './write-request';

/** Instructor requests that change the cluster rather than the room: they go through the API server. */
export const CLUSTER_INSTRUCTOR_KINDS = ['fault', 'apply', 'deleteObject', 'reset', 'runScenario'] as const;
export type ClusterInstructorKind = (typeof CLUSTER_INSTRUCTOR_KINDS)[number];
export type ClusterInstructorAction<K extends ClusterInstructorKind = ClusterInstructorKind> = Extract<InstructorAction, { kind: K }>;

export function isClusterInstructorAction(action: InstructorAction): action is ClusterInstructorAction {
  return (CLUSTER_INSTRUCTOR_KINDS as readonly string[]).includes(action.kind);
}

export interface InstructorContext {
  runtime: ClusterRuntime;
  announce(classroomId: string, reasons: ClassroomChangeReason[]): Promise<void>;
}

/** Timers of the bots (they act on whatever cluster there is) survive a reset. */
const KEEP_ON_RESET = new Set(['botTick', 'leaseRenew']);

type Reply = Ack<{ message?: string }>;
const APPLIABLE = new Set<string>(['Deployment', 'Service', 'Pod', 'Node']);
const INSTRUCTOR = 'instructor';

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

async function setKubeletStopped(runtime: ClusterRuntime, classroomId: string, node: string, stopped: boolean, simTime: number): Promise<Reply> {
  const patch = { metadata: { annotations: { [KUBELET_STOPPED]: stopped ? 'true' : null } } };
  await runtime.store.patch(classroomId, { kind: 'Node', name: node }, patch, { actor: INSTRUCTOR, simTime });
  return { ok: true, message: stopped ? `the kubelet on ${node} is stopped` : `the kubelet on ${node} is running again` };
}

/** The drill: the kubelet's student renews the node Lease by hand (or its loop does it again). */
async function setManualHeartbeat(runtime: ClusterRuntime, classroomId: string, node: string, manual: boolean, simTime: number): Promise<Reply> {
  const patch = { metadata: { annotations: { [HEARTBEAT_MODE]: manual ? 'manual' : null } } };
  await runtime.store.patch(classroomId, { kind: 'Node', name: node }, patch, { actor: INSTRUCTOR, simTime });
  return { ok: true, message: manual ? `the kubelet of ${node} now renews its Lease only when its player does` : `the kubelet of ${node} renews its Lease by itself again` };
}

/**
 * A new machine joins: the next `node-<n>` goes into the classroom's node list first (atomically,
 * so two clicks give two nodes), then its Node, Lease, container runtime and proxy table are
 * created, and the new view tells every screen (and the bots) about its kubelet and runtime seats.
 */
async function addNode(runtime: ClusterRuntime, announce: InstructorContext['announce'], classroomId: string, capacity: NodeCapacity, now: number): Promise<Reply> {
  const invalid = capacityError(capacity);
  if (invalid) return refuse('BadRequest', `cannot add a node with this capacity: ${invalid}`);
  const { name, index } = await runtime.classrooms.addNode(classroomId);
  await bootstrapNode(runtime.store, classroomId, name, index, now, capacity);
  await announce(classroomId, ['nodes']);
  return { ok: true, message: `node/${name} created: its kubelet and container runtime are new roles` };
}

type Fault = ClusterInstructorAction<'fault'>['fault'];

async function fault(runtime: ClusterRuntime, announce: InstructorContext['announce'], classroomId: string, fault: Fault, now: number): Promise<Reply> {
  switch (fault.type) {
    case 'stopKubelet':
    case 'startKubelet':
      return setKubeletStopped(runtime, classroomId, fault.node, fault.type === 'stopKubelet', now);
    case 'crashPod': {
      const state = await runtime.state(classroomId);
      const pod = state.pod(`default/${fault.pod}`);
      const node = pod?.spec.nodeName;
      if (!pod || node === undefined) return refuse('NotFound', `pods "${fault.pod}" not found on any node`);
      const steps = crashContainer(state, node, pod.metadata.uid ?? '', now);
      if (!steps.length) return refuse('Invalid', `${fault.pod} has no running container to crash`);
      const outcome = await runtime.apply(classroomId, steps, { actor: INSTRUCTOR, simTime: now }, { stopAtRefusal: true });
      return outcome.refusal ?? { ok: true, message: `the container of ${fault.pod} crashed` };
    }
    case 'addNode':
      return addNode(runtime, announce, classroomId, { cpu: fault.cpu, memory: fault.memory }, now);
    case 'manualHeartbeat':
      return setManualHeartbeat(runtime, classroomId, fault.node, fault.manual, now);
  }
}

/** Every object goes (in the log, as the instructor's deletions), then the first round's cluster comes back. */
async function reset(runtime: ClusterRuntime, view: ClassroomView, simTime: number): Promise<Reply> {
  const classroomId = view.id;
  // The pending steps of the old cluster go; the bots' ticks stay (they act on whatever cluster there is).
  for (const timer of await runtime.timers.pending(classroomId)) if (!KEEP_ON_RESET.has(timer.kind)) await runtime.timers.cancel(classroomId, timer.key);
  const context = { actor: INSTRUCTOR, simTime };
  const { objects } = await runtime.store.snapshot(classroomId);
  for (const object of objects) {
    await runtime.store.delete(classroomId, { kind: object.kind, name: object.metadata.name, namespace: object.metadata.namespace }, context).catch((error: unknown) => {
      if (!isApiError(error, 'NotFound')) throw error;
    });
  }
  await bootstrapCluster(runtime.store, classroomId, view.nodes, simTime, { onlyIfEmpty: false });
  await electLeaders(runtime.store, view);
  return { ok: true, message: `the cluster is back to its first round (${objects.length} objects removed)` };
}

/** One instructor request, decided at the classroom's simulated now (written to `clock`). Store refusals throw ApiError. */
export function runInstructorAction({ runtime, announce }: InstructorContext, classroomId: string, action: ClusterInstructorAction, clock: { simTime: number }): Promise<Reply> {
  return runtime.exclusive(classroomId, 'instructor', async () => {
    const moment = await runtime.moment(classroomId);
    if (!moment || moment.view.phase === 'closed') return refuse('Forbidden', 'this classroom is closed: its log can be replayed but nothing in it can change');
    const now = moment.now;
    clock.simTime = now;
    switch (action.kind) {
      case 'apply':
        return apply(runtime, classroomId, action.manifest, now);
      case 'deleteObject': {
        const request = { verb: 'delete', kind: action.objectKind, name: action.name, reason: 'the instructor deletes it' } as const;
        const target = action.objectKind === 'Node' ? request : { ...request, namespace: 'default' };
        const last = await writeRequest(runtime.store, classroomId, target, { actor: INSTRUCTOR, simTime: now });
        return { ok: true, message: `${named(action.objectKind, action.name)} ${last.metadata.deletionTimestamp ? 'terminating' : 'deleted'}` };
      }
      case 'fault':
        return fault(runtime, announce, classroomId, action.fault, now);
      case 'reset':
        return reset(runtime, moment.view, now);
      case 'runScenario':
        return refuse('NotFound', `scenario "${action.scenario}" not found: this version has only the first round (reset brings it back)`);
    }
  });
}
