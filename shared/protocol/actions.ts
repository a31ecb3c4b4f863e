import { z } from 'zod';

/**
 * Every move a student (or bot) makes is one of these API requests. The gateway checks each in
 * order: this schema -> the sender's role -> the shared/sim rules -> a store write carrying the
 * resourceVersion the sender saw.
 */
const name = z
  .string()
  .max(63)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a lowercase RFC 1123 label');
const resourceVersion = z.string().regex(/^[0-9]+$/, 'must be a resourceVersion the server sent');
const taint = z
  .object({
    key: z.string().min(1).max(253),
    value: z.string().max(63).optional(),
    effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']),
  })
  .strict();

const a = <K extends string, S extends z.ZodRawShape>(kind: K, shape: S) => z.object({ kind: z.literal(kind), ...shape }).strict();

// scheduler
export const bindAction = a('bind', { pod: name, node: name, resourceVersion });
/** No node fits: PodScheduled=False (Unschedulable) and the FailedScheduling event. */
export const markUnschedulableAction = a('markUnschedulable', { pod: name, resourceVersion });
/** No node fits a pod but evicting lower-priority pods on `node` would (DefaultPreemption): evict them, nominate the node. */
export const preemptAction = a('preempt', { pod: name, node: name, resourceVersion });

// kubelet:<node> — `node` must be the sender's own node; each move names the one pod (and container) it acts on
export const pullImageAction = a('pullImage', { node: name, pod: name, container: name });
export const createContainerAction = a('createContainer', { node: name, pod: name, container: name });
export const startContainerAction = a('startContainer', { node: name, pod: name, container: name });
export const restartContainerAction = a('restartContainer', { node: name, pod: name, container: name });
export const syncPodStatusAction = a('syncPodStatus', { node: name, pod: name });
export const killPodAction = a('killPod', { node: name, pod: name });
/** Only in the manual-heartbeat drill: otherwise the kubelet's own loop renews its Lease. */
export const renewLeaseAction = a('renewLease', { node: name });

// container-runtime:<node> — answers the CRI call its kubelet sent
export const answerCriAction = a('answerCri', { node: name, callId: z.string().min(1).max(64) });

// controller-manager
export const syncDeploymentAction = a('syncDeployment', { deployment: name });
export const createPodAction = a('createPod', { replicaSet: name });
export const deletePodAction = a('deletePod', { pod: name, resourceVersion });
export const updateReplicaSetStatusAction = a('updateReplicaSetStatus', { replicaSet: name });
export const setNodeConditionAction = a('setNodeCondition', {
  node: name,
  status: z.enum(['True', 'False', 'Unknown']),
  resourceVersion,
});
export const taintNodeAction = a('taintNode', { node: name, taint, resourceVersion });
export const untaintNodeAction = a('untaintNode', { node: name, key: z.string().min(1).max(253), effect: taint.shape.effect, resourceVersion });
export const evictPodAction = a('evictPod', { pod: name, resourceVersion });
export const updateEndpointsAction = a('updateEndpoints', { service: name });
/** The garbage collector acts on one object: deletes it, removes owner references, or a finalizer. */
export const GARBAGE_KINDS = ['Pod', 'ReplicaSet', 'Deployment', 'Service', 'Endpoints', 'Node'] as const;
export const collectGarbageAction = a('collectGarbage', { objectKind: z.enum(GARBAGE_KINDS), name });

// kube-proxy
export const syncProxyRulesAction = a('syncProxyRules', { node: name, service: name });
export const routeRequestAction = a('routeRequest', { node: name, service: name });

export const clusterAction = z.discriminatedUnion('kind', [
  bindAction,
  markUnschedulableAction,
  preemptAction,
  pullImageAction,
  createContainerAction,
  startContainerAction,
  restartContainerAction,
  syncPodStatusAction,
  killPodAction,
  renewLeaseAction,
  answerCriAction,
  syncDeploymentAction,
  createPodAction,
  deletePodAction,
  updateReplicaSetStatusAction,
  setNodeConditionAction,
  taintNodeAction,
  untaintNodeAction,
  evictPodAction,
  updateEndpointsAction,
  collectGarbageAction,
  syncProxyRulesAction,
  routeRequestAction,
]);
export type ClusterAction = z.infer<typeof clusterAction>;
export type ClusterActionKind = ClusterAction['kind'];

export type Component = 'scheduler' | 'kubelet' | 'container-runtime' | 'controller-manager' | 'kube-proxy';

/** Which component may send each action; per-node roles also must name their own node. */
export const actionComponent: Record<ClusterActionKind, Component> = {
  bind: 'scheduler',
  markUnschedulable: 'scheduler',
  preempt: 'scheduler',
  pullImage: 'kubelet',
  createContainer: 'kubelet',
  startContainer: 'kubelet',
  restartContainer: 'kubelet',
  syncPodStatus: 'kubelet',
  killPod: 'kubelet',
  renewLease: 'kubelet',
  answerCri: 'container-runtime',
  syncDeployment: 'controller-manager',
  createPod: 'controller-manager',
  deletePod: 'controller-manager',
  updateReplicaSetStatus: 'controller-manager',
  setNodeCondition: 'controller-manager',
  taintNode: 'controller-manager',
  untaintNode: 'controller-manager',
  evictPod: 'controller-manager',
  updateEndpoints: 'controller-manager',
  collectGarbage: 'controller-manager',
  syncProxyRules: 'kube-proxy',
  routeRequest: 'kube-proxy',
};

// instructor — each needs the instructor's token
const i = a;
export const scenarioId = z.string().min(1).max(64).regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a lowercase RFC 1123 label');
const seed = z.number().int().min(0).max(2 ** 32 - 1);
/** The round clock's range: slower than real time to talk it through, up to 10x to skip the waiting. */
export const ROUND_TIME_SCALE = { min: 0.25, max: 10 } as const;

/**
 * Faults and changes the instructor (or a scenario's timed step) makes to a running cluster; each is
 * one request in the log as the instructor's and a mark on the round's timeline.
 */
export const faultSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('stopKubelet'), node: name }).strict(),
  z.object({ type: z.literal('startKubelet'), node: name }).strict(),
  /** The node's kube-proxy stops syncing: requests from the node follow its last rules (stale) until `startKubeProxy`. */
  z.object({ type: z.literal('stopKubeProxy'), node: name }).strict(),
  z.object({ type: z.literal('startKubeProxy'), node: name }).strict(),
  /** The node's kubelet cannot reach the API server (its containers keep running); `partitioned: false` heals it. */
  z.object({ type: z.literal('partitionNode'), node: name, partitioned: z.boolean() }).strict(),
  z.object({ type: z.literal('crashPod'), pod: name }).strict(),
  /** A drill: the kubelet's player renews the node Lease by hand (`manual: false` gives it back to the kubelet's loop). */
  z.object({ type: z.literal('manualHeartbeat'), node: name, manual: z.boolean() }).strict(),
  /** Every image pull on the node takes this many seconds longer (0 ends it): a slow registry or link. */
  z.object({ type: z.literal('slowImagePulls'), node: name, extraSeconds: z.number().int().min(0).max(600) }).strict(),
  z
    .object({
      type: z.literal('addNode'),
      cpu: z.string().max(16).optional(),
      memory: z.string().max(16).optional(),
    })
    .strict(),
  /** The Node object is deleted (kubectl delete node): its pods are left without a node. */
  z.object({ type: z.literal('removeNode'), node: name }).strict(),
  /** kubectl scale deployment/<name> --replicas=<n> */
  z.object({ type: z.literal('scaleDeployment'), deployment: name, replicas: z.number().int().min(0).max(50) }).strict(),
  /** kubectl set image deployment/<name> <container>=<image> (the first container when none is named) */
  z.object({ type: z.literal('setImage'), deployment: name, image: z.string().min(1).max(200), container: name.optional() }).strict(),
  /** Clients send requests to the Service through kube-proxy, `perSecond` of them (0 stops them). */
  z.object({ type: z.literal('traffic'), service: name, perSecond: z.number().min(0).max(20) }).strict(),
  /** As many more requests per second for `seconds`, on top of the steady traffic. */
  z.object({ type: z.literal('trafficSpike'), service: name, perSecond: z.number().min(0.1).max(20), seconds: z.number().int().min(1).max(600) }).strict(),
  /** etcd takes no writes (`readOnly: false` gives them back): every write answers 503. */
  z.object({ type: z.literal('readOnlyStore'), readOnly: z.boolean() }).strict(),
]);
export type Fault = z.infer<typeof faultSchema>;
export type FaultType = Fault['type'];

/**
 * A fault that breaks something (a round measures recovery from it), as opposed to a change the
 * cluster takes in its stride (traffic, a new node or image, a scale, a fault healed): a timeline
 * calls only the first a fault.
 */
export function faultBreaks(fault: Fault): boolean {
  switch (fault.type) {
    case 'stopKubelet':
    case 'stopKubeProxy':
    case 'crashPod':
    case 'removeNode':
    case 'trafficSpike':
      return true;
    case 'partitionNode':
      return fault.partitioned;
    case 'slowImagePulls':
      return fault.extraSeconds > 0;
    case 'readOnlyStore':
      return fault.readOnly;
    default:
      return false;
  }
}
export const instructorAction = z.discriminatedUnion('kind', [
  i('assignRole', { studentId: z.string().min(1).max(64), role: z.string().max(100).nullable() }),
  i('autoAssignRoles', {}),
  i('lockRoom', { locked: z.boolean() }),
  i('removeStudent', { studentId: z.string().min(1).max(64) }),
  i('setBotHelp', { role: z.string().max(100), enabled: z.boolean() }),
  i('setBotPace', { secondsPerAction: z.number().min(0.1).max(120) }),
  i('start', {}),
  i('pause', {}),
  i('resume', {}),
  i('reset', {}),
  i('setTimeScale', { timeScale: z.number().min(0.1).max(100) }),
  i('fault', { fault: faultSchema }),
  /** kubectl apply: one or more YAML documents (Deployment, Service, Pod, Node). */
  i('apply', { manifest: z.string().min(1).max(64 * 1024) }),
  /** kubectl delete; `propagationPolicy` as DeleteOptions has it (none: Background, what kubectl sends). */
  i('deleteObject', { objectKind: z.enum(['Pod', 'Deployment', 'ReplicaSet', 'Service', 'Node']), name, propagationPolicy: z.enum(['Orphan', 'Background', 'Foreground']).optional() }),
  /** Builds the scenario's initial cluster and shows its briefing; the clock waits for `startRound`. */
  i('runScenario', { scenario: scenarioId, seed: seed.optional() }),
  /** The briefing is read: the round clock starts. */
  i('startRound', {}),
  /** The scenario's initial cluster again, and the round clock from zero. */
  i('restartRound', {}),
  i('closeClassroom', {}),
]);
export type InstructorAction = z.infer<typeof instructorAction>;
