/**
 * The instructor's cluster-level requests, plugged into the gateway's registry: `kubectl apply`
 * of a manifest, `kubectl delete`, faults (stop or start a node's kubelet, crash a pod's
 * container) and reset (the cluster back to its first round). Each is written with the actor
 * `instructor` at the classroom's simulated now, and answered in kubectl's words.
 */
import { parseAllDocuments } from 'yaml';
import { RESOURCE, type Kind, type KubeObject } from '@shared/model';
import { refuse, type Ack, type ClassroomView } from '@shared/protocol';
import { crashContainer } from '@shared/sim';
import type { ClassroomBroadcaster } from '../gateway/classroom-broadcaster';
import type { ClusterInstructorAction, ClusterInstructorRegistry } from '../gateway/cluster-instructor-registry';
import { electLeaders } from '../gateway/leader-election';
import { BOT_TICK } from '../bots/bot-players';
import { isApiError } from '../store';
import { bootstrapCluster, bootstrapNode, capacityError, type NodeCapacity } from './bootstrap';
import type { ClusterRuntime } from './cluster-runtime';
import { KUBELET_STOPPED } from './faults';
import { refusalOf } from './refusal';
import { writeRequest } from './write-request';

type Reply = Ack<{ message?: string }>;
const APPLIABLE = new Set<string>(['Deployment', 'Service', 'Pod', 'Node']);
const INSTRUCTOR = 'instructor';

/** `deployment.apps/web`, as kubectl names what it touched. */
const named = (kind: Kind, name: string): string => `${RESOURCE[kind].replace(/s(\.|$)/, '$1')}/${name}`;

async function apply(runtime: ClusterRuntime, classroomId: string, manifest: string, simTime: number): Promise<Reply> {
  const documents = parseAllDocuments(manifest);
  const list = Array.isArray(documents) ? documents : [documents];
  const broken = list.flatMap((d) => d.errors);
  if (broken.length) return refuse('BadRequest', `the manifest is not valid YAML: ${broken[0]?.message ?? ''}`);
  const objects = list.map((d) => d.toJS() as unknown).filter((o) => o !== null && o !== undefined);
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

/**
 * A new machine joins: the next `node-<n>` goes into the classroom's node list first (atomically,
 * so two clicks give two nodes), then its Node, Lease, container runtime and proxy table are
 * created, and the new view tells every screen (and the bots) about its kubelet and runtime seats.
 */
async function addNode(runtime: ClusterRuntime, broadcaster: ClassroomBroadcaster, classroomId: string, capacity: NodeCapacity, now: number): Promise<Reply> {
  const invalid = capacityError(capacity);
  if (invalid) return refuse('BadRequest', `cannot add a node with this capacity: ${invalid}`);
  const { name, index } = await runtime.classrooms.addNode(classroomId);
  await bootstrapNode(runtime.store, classroomId, name, index, now, capacity);
  await broadcaster.announce(classroomId, ['nodes']);
  return { ok: true, message: `node/${name} created: its kubelet and container runtime are new roles` };
}

type Fault = ClusterInstructorAction<'fault'>['fault'];

async function fault(runtime: ClusterRuntime, broadcaster: ClassroomBroadcaster, classroomId: string, fault: Fault, now: number): Promise<Reply> {
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
      return addNode(runtime, broadcaster, classroomId, { cpu: fault.cpu, memory: fault.memory }, now);
  }
}

/** Every object goes (in the log, as the instructor's deletions), then the first round's cluster comes back. */
async function reset(runtime: ClusterRuntime, view: ClassroomView, simTime: number): Promise<Reply> {
  const classroomId = view.id;
  // The pending steps of the old cluster go; the bots' ticks stay (they act on whatever cluster there is).
  for (const timer of await runtime.timers.pending(classroomId)) if (timer.kind !== BOT_TICK) await runtime.timers.cancel(classroomId, timer.key);
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

async function handle(runtime: ClusterRuntime, broadcaster: ClassroomBroadcaster, classroomId: string, action: ClusterInstructorAction): Promise<Reply> {
  return runtime.exclusive(classroomId, 'instructor', async () => {
    const moment = await runtime.moment(classroomId);
    if (!moment || moment.view.phase === 'closed') return refuse('Forbidden', 'this classroom is closed: its log can be replayed but nothing in it can change');
    const now = moment.now;
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
        return fault(runtime, broadcaster, classroomId, action.fault, now);
      case 'reset':
        return reset(runtime, moment.view, now);
      case 'runScenario':
        return refuse('NotFound', `scenario "${action.scenario}" not found: this version has only the first round (reset brings it back)`);
    }
  });
}

/**
 * Registers the cluster-level instructor requests; store refusals become the instructor's refusals.
 * The broadcaster re-announces the classroom when a request changes it (a new node's seats).
 */
export function registerInstructorActions(registry: ClusterInstructorRegistry, runtime: ClusterRuntime, broadcaster: ClassroomBroadcaster): void {
  const run = async (action: ClusterInstructorAction, classroomId: string): Promise<Reply> => {
    try {
      return await handle(runtime, broadcaster, classroomId, action);
    } catch (error) {
      return refusalOf(error);
    }
  };
  for (const kind of ['apply', 'deleteObject', 'fault', 'reset', 'runScenario'] as const) {
    registry.register(kind, (action, instructor) => run(action, instructor.classroomId));
  }
}
