/**
 * A scenario's initial cluster: its nodes (registered, Ready, with their Lease, runtime and
 * kube-proxy table, plus the scenario's labels and taints) and its manifests, written over whatever
 * the classroom had. Every deletion and creation is in the log, so every screen and cache follows.
 */
import type { KubeObject, Node, SimTime } from '@shared/model';
import type { Scenario } from '@shared/scenarios';
import type { ClassroomView } from '@shared/protocol';
import { isApiError } from '../store';
import { nodeObjects } from '../cluster/bootstrap';
import type { ClusterRuntime } from '../cluster/cluster-runtime';
import { electLeaders } from '../cluster/leader-election';

/** Who writes a scenario's first cluster: its setup, no one's move (a replay's timeline marks no fault for it). */
export const SCENARIO_ACTOR = 'system:scenario';

/** Timers that belong to whoever plays, not to the old cluster: they survive a rebuild. */
const KEEP = new Set(['leaseRenew', 'kubeletHeartbeat']);

export function scenarioObjects(scenario: Scenario, now: SimTime): KubeObject[] {
  const nodes = scenario.nodes.flatMap((n, i) =>
    nodeObjects(n.name, i, now, { ...(n.cpu ? { cpu: n.cpu } : {}), ...(n.memory ? { memory: n.memory } : {}) }).map((object) => {
      if (object.kind !== 'Node') return object;
      const node: Node = { ...object, metadata: { ...object.metadata, labels: { ...object.metadata.labels, ...n.labels } }, spec: { ...object.spec } };
      if (n.taints?.length) node.spec.taints = n.taints;
      if (n.pods !== undefined && node.status) node.status = { ...node.status, capacity: { ...node.status.capacity, pods: String(n.pods) }, allocatable: { ...node.status.allocatable, pods: String(n.pods) } };
      return node;
    }),
  );
  return [...nodes, ...scenario.workloads];
}

/**
 * Replaces the classroom's cluster with the scenario's; the node list (and so the roles) follows
 * it. The build is claimed: a first bootstrap in another process at the same moment waits for it
 * and then writes nothing, another scenario's build waits its turn, so one cluster is left.
 */
export async function buildScenarioCluster(runtime: ClusterRuntime, classroomId: string, scenario: Scenario, now: SimTime): Promise<ClassroomView | null> {
  return runtime.claims.replace(classroomId, `scenario:${scenario.id}`, () => rebuild(runtime, classroomId, scenario, now));
}

async function rebuild(runtime: ClusterRuntime, classroomId: string, scenario: Scenario, now: SimTime): Promise<ClassroomView | null> {
  for (const timer of await runtime.timers.pending(classroomId)) if (!KEEP.has(timer.kind)) await runtime.timers.cancel(classroomId, timer.key);
  runtime.simTimers.cancel(classroomId, (timer) => !KEEP.has(timer.kind));
  const context = { actor: SCENARIO_ACTOR, simTime: now };
  const { objects } = await runtime.store.snapshot(classroomId);
  for (const object of objects) {
    await runtime.store.delete(classroomId, { kind: object.kind, name: object.metadata.name, namespace: object.metadata.namespace }, context).catch((error: unknown) => {
      if (!isApiError(error, 'NotFound')) throw error;
    });
  }
  await runtime.classrooms.setNodes(classroomId, scenario.nodes.map((n) => n.name));
  for (const object of scenarioObjects(scenario, now)) await runtime.store.create(classroomId, object, context);
  const view = await runtime.classrooms.view(classroomId);
  if (view) await electLeaders(runtime.store, view);
  return view;
}
