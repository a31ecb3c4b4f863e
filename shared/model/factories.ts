/**
 * Small, pure constructors for tests, bots and scenarios. They build objects as a client would
 * submit them: uid, resourceVersion, generation and creationTimestamp are left to the server
 * (pass `uid` only when a test needs one, e.g. for owner references).
 */
import type { Node, Taint } from './node';
import type { Container, Pod, PodSpec, Toleration, Affinity } from './pod';
import type { Deployment } from './workloads';
import type { Service } from './service';
import type { Lease } from './lease';
import type { OwnerReference, ResourceList } from './schemas-common';
import { toMicroTime, toRFC3339, type SimTime } from './time';

export const LABEL_HOSTNAME = 'kubernetes.io/hostname';
export const LABEL_OS = 'kubernetes.io/os';
export const LABEL_ARCH = 'kubernetes.io/arch';
export const KUBELET_VERSION = 'v1.32.0';
/**
 * The runtime a node's container-runtime player stands in for (containerd behind the CRI): the
 * name in the node's containerRuntimeVersion is the scheme of its containers' IDs, as the kubelet
 * reports both from the runtime's CRI Version answer.
 */
export const CONTAINER_RUNTIME = 'containerd';
export const CONTAINER_RUNTIME_VERSION = `${CONTAINER_RUNTIME}://1.7.24`;
/**
 * No kernel boots and no OS image is installed under a simulated node: it says what it is, as a
 * kwok node reports kwok-<version> (kwok's stage node-initialize) rather than leave kubectl's
 * KERNEL-VERSION `<unknown>` or name an OS it does not run.
 */
export const SIMULATED_KERNEL_VERSION = 'clusterplay-simulated';
export const SIMULATED_OS_IMAGE = 'ClusterPlay simulated node';

export interface MakeNodeOptions {
  cpu?: string | number;
  memory?: string;
  pods?: number;
  labels?: Record<string, string>;
  taints?: Taint[];
  unschedulable?: boolean;
  /** Ready condition status (default True). */
  ready?: boolean;
  /** When given, condition times (heartbeat and transition) are set to it. */
  now?: SimTime;
  internalIP?: string;
  podCIDR?: string;
  uid?: string;
}

/** A registered node as its kubelet reports it: capacity = allocatable, standard labels, conditions. */
export function makeNode(name: string, opts: MakeNodeOptions = {}): Node {
  const resources: ResourceList = { cpu: String(opts.cpu ?? '2'), memory: opts.memory ?? '4Gi', pods: String(opts.pods ?? 110) };
  const times = opts.now === undefined ? {} : { lastHeartbeatTime: toRFC3339(opts.now), lastTransitionTime: toRFC3339(opts.now) };
  const ready = opts.ready ?? true;
  const node: Node = {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels: { [LABEL_ARCH]: 'amd64', [LABEL_HOSTNAME]: name, [LABEL_OS]: 'linux', ...opts.labels },
    },
    spec: {},
    status: {
      capacity: { ...resources },
      allocatable: { ...resources },
      conditions: [
        { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory', message: 'kubelet has sufficient memory available', ...times },
        { type: 'DiskPressure', status: 'False', reason: 'KubeletHasNoDiskPressure', message: 'kubelet has no disk pressure', ...times },
        { type: 'PIDPressure', status: 'False', reason: 'KubeletHasSufficientPID', message: 'kubelet has sufficient PID available', ...times },
        ready
          ? { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', ...times }
          : { type: 'Ready', status: 'False', reason: 'KubeletNotReady', message: 'container runtime network not ready', ...times },
      ],
      addresses: [...(opts.internalIP ? [{ type: 'InternalIP' as const, address: opts.internalIP }] : []), { type: 'Hostname', address: name }],
      nodeInfo: {
        kernelVersion: SIMULATED_KERNEL_VERSION,
        osImage: SIMULATED_OS_IMAGE,
        containerRuntimeVersion: CONTAINER_RUNTIME_VERSION,
        kubeletVersion: KUBELET_VERSION,
        kubeProxyVersion: KUBELET_VERSION,
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
    },
  };
  if (opts.taints) node.spec.taints = opts.taints;
  if (opts.unschedulable) node.spec.unschedulable = true;
  if (opts.podCIDR) node.spec.podCIDR = opts.podCIDR;
  if (opts.uid) node.metadata.uid = opts.uid;
  return node;
}

export interface ResourceOptions {
  cpu?: string | number;
  memory?: string;
}

function resourceList(r: ResourceOptions | undefined): ResourceList | undefined {
  if (r === undefined) return undefined;
  const list: ResourceList = {};
  if (r.cpu !== undefined) list['cpu'] = String(r.cpu);
  if (r.memory !== undefined) list['memory'] = r.memory;
  return list;
}

export interface MakeContainerOptions {
  requests?: ResourceOptions;
  limits?: ResourceOptions;
  port?: number;
}

export function makeContainer(name: string, image: string, opts: MakeContainerOptions = {}): Container {
  const container: Container = { name, image };
  const requests = resourceList(opts.requests);
  const limits = resourceList(opts.limits);
  if (requests || limits) container.resources = { ...(requests && { requests }), ...(limits && { limits }) };
  if (opts.port !== undefined) container.ports = [{ containerPort: opts.port, protocol: 'TCP' }];
  return container;
}

export interface MakePodOptions extends MakeContainerOptions {
  namespace?: string;
  image?: string;
  labels?: Record<string, string>;
  nodeName?: string;
  nodeSelector?: Record<string, string>;
  tolerations?: Toleration[];
  affinity?: Affinity;
  ownerReferences?: OwnerReference[];
  uid?: string;
}

/** A pod as submitted: one container named `app`, phase Pending, no default tolerations (see `applyDefaults`). */
export function makePod(name: string, opts: MakePodOptions = {}): Pod {
  const spec: PodSpec = { containers: [makeContainer('app', opts.image ?? 'nginx:1.27', opts)] };
  if (opts.nodeName !== undefined) spec.nodeName = opts.nodeName;
  if (opts.nodeSelector) spec.nodeSelector = opts.nodeSelector;
  if (opts.tolerations) spec.tolerations = opts.tolerations;
  if (opts.affinity) spec.affinity = opts.affinity;
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: opts.namespace ?? 'default', labels: { ...opts.labels } },
    spec,
    status: { phase: 'Pending' },
  };
  if (opts.ownerReferences) pod.metadata.ownerReferences = opts.ownerReferences;
  if (opts.uid) pod.metadata.uid = opts.uid;
  return pod;
}

export interface MakeDeploymentOptions {
  replicas?: number;
  image?: string;
  /** Selector and template labels (default `{ app: name }`). */
  labels?: Record<string, string>;
  requests?: ResourceOptions;
  limits?: ResourceOptions;
  port?: number;
  namespace?: string;
  uid?: string;
}

/** A Deployment whose selector matches its template labels; the container is named after the deployment. */
export function makeDeployment(name: string, opts: MakeDeploymentOptions = {}): Deployment {
  const labels = opts.labels ?? { app: name };
  const deployment: Deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: opts.namespace ?? 'default', labels: { ...labels } },
    spec: {
      replicas: opts.replicas ?? 1,
      selector: { matchLabels: { ...labels } },
      template: {
        metadata: { labels: { ...labels } },
        spec: { containers: [makeContainer(name, opts.image ?? 'nginx:1.27', opts)] },
      },
    },
  };
  if (opts.uid) deployment.metadata.uid = opts.uid;
  return deployment;
}

/** A ClusterIP Service on `port`, forwarding to `targetPort` (default: the same port). */
export function makeService(
  name: string,
  selector: Record<string, string>,
  port: number,
  opts: { targetPort?: number | string; namespace?: string; clusterIP?: string } = {},
): Service {
  const service: Service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: opts.namespace ?? 'default' },
    spec: {
      type: 'ClusterIP',
      selector: { ...selector },
      ports: [{ protocol: 'TCP', port, targetPort: opts.targetPort ?? port }],
    },
  };
  if (opts.clusterIP) service.spec.clusterIP = opts.clusterIP;
  return service;
}

/** A Lease held by `holderIdentity` since `now` (node heartbeat: namespace kube-node-lease, name = node, 40 s). */
export function makeLease(
  name: string,
  namespace: string,
  holderIdentity: string,
  leaseDurationSeconds: number,
  now: SimTime,
): Lease {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name, namespace },
    spec: { holderIdentity, leaseDurationSeconds, acquireTime: toMicroTime(now), renewTime: toMicroTime(now), leaseTransitions: 0 },
  };
}
