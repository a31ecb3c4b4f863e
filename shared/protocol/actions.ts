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

// kube-proxy
export const syncProxyRulesAction = a('syncProxyRules', { node: name, service: name });
export const routeRequestAction = a('routeRequest', { node: name, service: name });

export const clusterAction = z.discriminatedUnion('kind', [
  bindAction,
  markUnschedulableAction,
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
  syncProxyRules: 'kube-proxy',
  routeRequest: 'kube-proxy',
};

// instructor — each needs the instructor's token
const i = a;
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
  i('fault', {
    fault: z.discriminatedUnion('type', [
      z.object({ type: z.literal('stopKubelet'), node: name }).strict(),
      z.object({ type: z.literal('startKubelet'), node: name }).strict(),
      z.object({ type: z.literal('crashPod'), pod: name }).strict(),
      /** A drill: the kubelet's player renews the node Lease by hand (`manual: false` gives it back to the kubelet's loop). */
      z.object({ type: z.literal('manualHeartbeat'), node: name, manual: z.boolean() }).strict(),
      z
        .object({
          type: z.literal('addNode'),
          cpu: z.string().max(16).optional(),
          memory: z.string().max(16).optional(),
        })
        .strict(),
    ]),
  }),
  /** kubectl apply: one or more YAML documents (Deployment, Service, Pod, Node). */
  i('apply', { manifest: z.string().min(1).max(64 * 1024) }),
  i('deleteObject', { objectKind: z.enum(['Pod', 'Deployment', 'ReplicaSet', 'Service', 'Node']), name }),
  i('runScenario', { scenario: z.string().min(1).max(64) }),
  i('closeClassroom', {}),
]);
export type InstructorAction = z.infer<typeof instructorAction>;
