/**
 * Node-local state that real clusters keep outside the API (containerd's containers and image
 * store, the CRI calls in flight, the kubelet's back-off memory, kube-proxy's programmed rules).
 * ClusterPlay stores it as objects of its own group so it is versioned and watched like the rest:
 * one `ContainerRuntime` and one `ProxyTable` per node, named after the node.
 */
import { z } from 'zod';
import { TimeSchema, clusterMetaSchema, nonNegativeInt } from './schemas-common';

export const CLUSTERPLAY_API_VERSION = 'clusterplay.dev/v1alpha1';

export const CRI_CALLS = ['PullImage', 'CreateContainer', 'StartContainer', 'StopContainer', 'ListContainers'] as const;
export type CriCallName = (typeof CRI_CALLS)[number];

/** One CRI request the kubelet sent: pending (sent) -> running (the runtime took it) -> done | failed. */
/** From `afterSeconds` after its start on, the process uses `bytes` of memory. */
const MemoryStepSchema = z.object({ afterSeconds: nonNegativeInt(), bytes: nonNegativeInt() });

export const CriCallSchema = z.object({
  id: z.string().min(1),
  call: z.enum(CRI_CALLS),
  status: z.enum(['pending', 'running', 'done', 'failed']),
  namespace: z.string().optional(),
  pod: z.string().optional(),
  podUid: z.string().optional(),
  container: z.string().optional(),
  image: z.string().optional(),
  /** CreateContainer: the command the container will run (a crashing one exits, see shared/sim/runtime). */
  command: z.array(z.string()).optional(),
  /** CreateContainer: the container's memory limit (the cgroup's) and its process's use over time (shared/sim/runtime/memory.ts). */
  memoryLimitBytes: nonNegativeInt().optional(),
  memoryUsage: z.array(MemoryStepSchema).optional(),
  /** StartContainer / StopContainer: the container the call is about. */
  containerId: z.string().optional(),
  /** StopContainer: seconds before the runtime kills the container (the pod's grace period). */
  timeoutSeconds: nonNegativeInt().optional(),
  /** StopContainer: the kubelet restarts this container (a liveness kill): it stays listed, exited, as the next one's lastState. */
  keep: z.boolean().optional(),
  sentAt: TimeSchema,
  /** When the runtime finishes a running call (simulated time). */
  dueAt: TimeSchema.optional(),
  /** What the runtime answered: a container id, an image reference, or an error such as `ErrImagePull: ...`. */
  result: z.string().optional(),
});

export const RuntimeContainerSchema = z.object({
  id: z.string().min(1),
  namespace: z.string(),
  pod: z.string(),
  podUid: z.string(),
  name: z.string(),
  image: z.string(),
  command: z.array(z.string()).optional(),
  memoryLimitBytes: nonNegativeInt().optional(),
  memoryUsage: z.array(MemoryStepSchema).optional(),
  state: z.enum(['created', 'running', 'exited']),
  /** How many times the kubelet restarted this container before this instance (the pod's restartCount). */
  attempt: nonNegativeInt(),
  exitCode: z.number().int().optional(),
  /** Stopped by its kubelet to be restarted (a liveness kill): restarted unless restartPolicy is Never, whatever its exit code. */
  stoppedToRestart: z.boolean().optional(),
  /** `Completed`, `Error`, `OOMKilled`: as the kubelet will report the terminated state. */
  reason: z.string().optional(),
  createdAt: TimeSchema,
  startedAt: TimeSchema.optional(),
  finishedAt: TimeSchema.optional(),
});

export const RuntimeImageSchema = z.object({ name: z.string(), pulledAt: TimeSchema });

/** The kubelet's back-off memory for one key (`<podUid>/<container>` or `.../pull`), as its backoff.Backoff keeps it. */
export const BackOffEntrySchema = z.object({
  key: z.string(),
  seconds: z.number().int().min(1),
  /** When the back-off was last extended: it resets once twice the cap (600 s) passes after this. */
  lastUpdate: TimeSchema,
});

export const ContainerRuntimeSchema = z.object({
  apiVersion: z.literal(CLUSTERPLAY_API_VERSION),
  kind: z.literal('ContainerRuntime'),
  metadata: clusterMetaSchema(),
  spec: z.object({ nodeName: z.string() }),
  status: z
    .object({
      images: z.array(RuntimeImageSchema).default([]),
      containers: z.array(RuntimeContainerSchema).default([]),
      calls: z.array(CriCallSchema).default([]),
      backOffs: z.array(BackOffEntrySchema).default([]),
      /** The last call id handed out on this node (ids are `<node>-<n>`). */
      callSeq: nonNegativeInt().default(0),
    })
    .default({ images: [], containers: [], calls: [], backOffs: [], callSeq: 0 }),
});

/** One Service as kube-proxy programmed it on a node, and what it routed since. */
export const ProgrammedServiceSchema = z.object({
  /** `namespace/name` */
  service: z.string(),
  clusterIP: z.string().optional(),
  endpoints: z.array(z.object({ ip: z.string(), pod: z.string().optional() })),
  /** The Endpoints resourceVersion these rules reflect: behind the API's when kube-proxy lags. */
  endpointsResourceVersion: z.string().optional(),
  programmedAt: TimeSchema,
  /** Round-robin cursor into `endpoints`. */
  next: nonNegativeInt(),
  served: nonNegativeInt(),
  refused: nonNegativeInt(),
  failed: nonNegativeInt(),
});

export const ProxyTableSchema = z.object({
  apiVersion: z.literal(CLUSTERPLAY_API_VERSION),
  kind: z.literal('ProxyTable'),
  metadata: clusterMetaSchema(),
  spec: z.object({ nodeName: z.string() }),
  status: z
    .object({ lastSyncTime: TimeSchema.optional(), services: z.array(ProgrammedServiceSchema).default([]) })
    .default({ services: [] }),
});

type ClusterScoped<T extends { metadata: object }> = Omit<T, 'metadata'> & { metadata: T['metadata'] & { namespace?: undefined } };

export type ContainerRuntime = ClusterScoped<z.output<typeof ContainerRuntimeSchema>>;
export type CriCall = z.output<typeof CriCallSchema>;
export type RuntimeContainer = z.output<typeof RuntimeContainerSchema>;
export type RuntimeImage = z.output<typeof RuntimeImageSchema>;
export type BackOffEntry = z.output<typeof BackOffEntrySchema>;
export type ProxyTable = ClusterScoped<z.output<typeof ProxyTableSchema>>;
export type ProgrammedService = z.output<typeof ProgrammedServiceSchema>;

export function makeContainerRuntime(node: string): ContainerRuntime {
  return {
    apiVersion: CLUSTERPLAY_API_VERSION,
    kind: 'ContainerRuntime',
    metadata: { name: node },
    spec: { nodeName: node },
    status: { images: [], containers: [], calls: [], backOffs: [], callSeq: 0 },
  };
}

export function makeProxyTable(node: string): ProxyTable {
  return { apiVersion: CLUSTERPLAY_API_VERSION, kind: 'ProxyTable', metadata: { name: node }, spec: { nodeName: node }, status: { services: [] } };
}
