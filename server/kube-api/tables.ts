/**
 * Server-side printing (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`): each kind's
 * columns and cells as Kubernetes 1.32's printers produce them (pkg/printers/internalversion),
 * always with the wide columns (priority 1), which kubectl shows with `-o wide`. Ages are simulated.
 */
import type { Deployment, Endpoints, Event, KubeObject, LabelSelector, Lease, Node, Pod, PriorityClass, ReplicaSet, Service, SimTime } from '@shared/model';
import type { ServedResource } from './resources';
import type { Namespace } from './namespaces';
import { ageSince } from './age';
import { formatLabels, formatSelector } from './selectors';

export const TABLE_MEDIA = 'application/json;as=Table;v=v1;g=meta.k8s.io';

/** Whether the Accept header asks for a Table (kubectl get does; -o yaml and client libraries do not). */
export function wantsTable(accept: string | undefined): boolean {
  return (accept ?? '').split(',').some((part) => {
    const params = new Set(part.split(';').slice(1).map((p) => p.trim()));
    return params.has('as=Table') && params.has('g=meta.k8s.io') && (params.has('v=v1') || params.has('v=v1beta1'));
  });
}

interface Column {
  name: string;
  type: 'string' | 'integer' | 'boolean';
  format: string;
  description: string;
  priority: number;
}
type Cell = string | number | boolean;

const col = (name: string, priority = 0, type: Column['type'] = 'string', format = ''): Column => ({ name, type, format, description: name, priority });
const NAME = col('Name', 0, 'string', 'name');
const AGE = col('Age');

const none = (s: string | undefined): string => (s ? s : '<none>');

function podCells(pod: Pod, now: SimTime): Cell[] {
  const status = pod.status ?? {};
  let reason: string = status.reason || status.phase || '';
  let restarts = 0;
  let ready = 0;
  let lastRestart = '';
  let hasRunning = false;
  const statuses = status.containerStatuses ?? [];
  for (let i = statuses.length - 1; i >= 0; i--) {
    const c = statuses[i];
    if (!c) continue;
    restarts += c.restartCount;
    const finished = c.lastState && 'terminated' in c.lastState ? c.lastState.terminated.finishedAt : undefined;
    if (finished && finished > lastRestart) lastRestart = finished;
    const state = c.state;
    if (state && 'waiting' in state && state.waiting.reason) reason = state.waiting.reason;
    else if (state && 'terminated' in state && state.terminated.reason) reason = state.terminated.reason;
    else if (state && 'terminated' in state) reason = state.terminated.signal ? `Signal:${state.terminated.signal}` : `ExitCode:${state.terminated.exitCode}`;
    else if (c.ready && state && 'running' in state) {
      hasRunning = true;
      ready++;
    }
  }
  if (reason === 'Completed' && hasRunning) reason = (status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True') ? 'Running' : 'NotReady';
  const terminal = status.phase === 'Succeeded' || status.phase === 'Failed';
  if (pod.metadata.deletionTimestamp && status.reason === 'NodeLost') reason = 'Unknown';
  else if (pod.metadata.deletionTimestamp && !terminal) reason = 'Terminating';
  const restartsCell = restarts !== 0 && lastRestart ? `${restarts} (${ageSince(lastRestart, now)} ago)` : String(restarts);
  return [
    pod.metadata.name,
    `${ready}/${pod.spec.containers.length}`,
    reason,
    restartsCell,
    ageSince(pod.metadata.creationTimestamp, now),
    none(status.podIP),
    none(pod.spec.nodeName),
    none(status.nominatedNodeName),
    '<none>',
  ];
}

function nodeRoles(node: Node): string {
  const roles: string[] = [];
  for (const [key, value] of Object.entries(node.metadata.labels ?? {})) {
    if (key.startsWith('node-role.kubernetes.io/')) roles.push(key.slice('node-role.kubernetes.io/'.length));
    else if (key === 'kubernetes.io/role' && value) roles.push(value);
  }
  return roles.sort().join(',') || '<none>';
}

function nodeCells(node: Node, now: SimTime): Cell[] {
  const readyCondition = node.status?.conditions?.find((c) => c.type === 'Ready');
  const status = [readyCondition ? (readyCondition.status === 'True' ? 'Ready' : 'NotReady') : 'Unknown'];
  if (node.spec.unschedulable) status.push('SchedulingDisabled');
  const info = node.status?.nodeInfo;
  const address = (type: string) => none(node.status?.addresses?.find((a) => a.type === type)?.address);
  return [
    node.metadata.name,
    status.join(','),
    nodeRoles(node),
    ageSince(node.metadata.creationTimestamp, now),
    info?.kubeletVersion ?? '',
    address('InternalIP'),
    address('ExternalIP'),
    info?.osImage || '<unknown>',
    info?.kernelVersion || '<unknown>',
    info?.containerRuntimeVersion || '<unknown>',
  ];
}

const containerCells = (containers: readonly { name: string; image: string }[]): [string, string] => [
  containers.map((c) => c.name).join(','),
  containers.map((c) => c.image).join(','),
];

function deploymentCells(d: Deployment, now: SimTime): Cell[] {
  const s = d.status ?? {};
  return [
    d.metadata.name,
    `${s.readyReplicas ?? 0}/${d.spec.replicas ?? 1}`,
    s.updatedReplicas ?? 0,
    s.availableReplicas ?? 0,
    ageSince(d.metadata.creationTimestamp, now),
    ...containerCells(d.spec.template.spec.containers),
    formatSelector(d.spec.selector as LabelSelector),
  ];
}

function replicaSetCells(rs: ReplicaSet, now: SimTime): Cell[] {
  const s = rs.status;
  return [
    rs.metadata.name,
    rs.spec.replicas ?? 1,
    s?.replicas ?? 0,
    s?.readyReplicas ?? 0,
    ageSince(rs.metadata.creationTimestamp, now),
    ...containerCells(rs.spec.template.spec.containers),
    formatSelector(rs.spec.selector as LabelSelector),
  ];
}

function serviceCells(svc: Service, now: SimTime): Cell[] {
  const type = svc.spec.type ?? 'ClusterIP';
  const ports = (svc.spec.ports ?? []).map((p) => (p.nodePort ? `${p.port}:${p.nodePort}/${p.protocol ?? 'TCP'}` : `${p.port}/${p.protocol ?? 'TCP'}`)).join(',');
  const externalIP = type === 'LoadBalancer' ? '<pending>' : '<none>';
  return [svc.metadata.name, type, none(svc.spec.clusterIP), externalIP, none(ports), ageSince(svc.metadata.creationTimestamp, now), formatLabels(svc.spec.selector)];
}

/** formatEndpoints: at most three `ip:port`, then `+ N more...`. */
function endpointsList(ep: Endpoints): string {
  const MAX = 3;
  const list: string[] = [];
  let count = 0;
  let more = false;
  for (const subset of ep.subsets ?? []) {
    const addresses = subset.addresses ?? [];
    const ports = subset.ports?.length ? subset.ports.map((p) => `:${p.port}`) : [''];
    for (const port of ports) {
      count += addresses.length;
      for (const address of addresses) {
        if (list.length === MAX) {
          more = true;
          break;
        }
        list.push(`${address.ip}${port}`);
      }
    }
  }
  if (more) return `${list.join(',')} + ${count - MAX} more...`;
  return none(list.join(','));
}

function eventCells(e: Event, now: SimTime): Cell[] {
  const first = e.firstTimestamp ? ageSince(e.firstTimestamp, now) : ageSince(e.eventTime, now);
  const last = e.lastTimestamp ? ageSince(e.lastTimestamp, now) : first;
  const target = e.involvedObject.name ? `${(e.involvedObject.kind ?? '').toLowerCase()}/${e.involvedObject.name}` : (e.involvedObject.kind ?? '').toLowerCase();
  const component = e.source?.component || e.reportingComponent || '';
  const instance = e.source?.host || e.reportingInstance || '';
  const source = component ? [component, ...(instance ? [instance] : [])].join(', ') : '';
  return [last, e.type ?? '', e.reason ?? '', target, e.involvedObject.fieldPath ?? '', source, (e.message ?? '').trim(), first, e.count || 1, e.metadata.name];
}

const leaseCells = (l: Lease, now: SimTime): Cell[] => [l.metadata.name, l.spec.holderIdentity ?? '', ageSince(l.metadata.creationTimestamp, now)];

const priorityClassCells = (pc: PriorityClass, now: SimTime): Cell[] => [
  pc.metadata.name,
  pc.value,
  pc.globalDefault ?? false,
  ageSince(pc.metadata.creationTimestamp, now),
  pc.preemptionPolicy ?? 'PreemptLowerPriority',
];

interface Printer {
  columns: Column[];
  cells(object: KubeObject, now: SimTime): Cell[];
}

const WIDE_WORKLOAD = [col('Containers', 1), col('Images', 1), col('Selector', 1)];

const PRINTERS: Record<ServedResource['kind'], Printer> = {
  Pod: {
    columns: [NAME, col('Ready'), col('Status'), col('Restarts'), AGE, col('IP', 1), col('Node', 1), col('Nominated Node', 1), col('Readiness Gates', 1)],
    cells: (o, now) => podCells(o as Pod, now),
  },
  Node: {
    columns: [NAME, col('Status'), col('Roles'), AGE, col('Version'), col('Internal-IP', 1), col('External-IP', 1), col('OS-Image', 1), col('Kernel-Version', 1), col('Container-Runtime', 1)],
    cells: (o, now) => nodeCells(o as Node, now),
  },
  Deployment: {
    columns: [NAME, col('Ready'), col('Up-to-date', 0, 'integer'), col('Available', 0, 'integer'), AGE, ...WIDE_WORKLOAD],
    cells: (o, now) => deploymentCells(o as Deployment, now),
  },
  ReplicaSet: {
    columns: [NAME, col('Desired', 0, 'integer'), col('Current', 0, 'integer'), col('Ready', 0, 'integer'), AGE, ...WIDE_WORKLOAD],
    cells: (o, now) => replicaSetCells(o as ReplicaSet, now),
  },
  Service: {
    columns: [NAME, col('Type'), col('Cluster-IP'), col('External-IP'), col('Port(s)'), AGE, col('Selector', 1)],
    cells: (o, now) => serviceCells(o as Service, now),
  },
  Endpoints: { columns: [NAME, col('Endpoints'), AGE], cells: (o, now) => [o.metadata.name, endpointsList(o as Endpoints), ageSince(o.metadata.creationTimestamp, now)] },
  Event: {
    columns: [col('Last Seen'), col('Type'), col('Reason'), col('Object'), col('Subobject', 1), col('Source', 1), col('Message'), col('First Seen', 1), col('Count', 1), col('Name', 1)],
    cells: (o, now) => eventCells(o as Event, now),
  },
  Lease: { columns: [NAME, col('Holder'), AGE], cells: (o, now) => leaseCells(o as Lease, now) },
  PriorityClass: {
    columns: [NAME, col('Value', 0, 'integer'), col('Global-Default', 0, 'boolean'), AGE, col('PreemptionPolicy')],
    cells: (o, now) => priorityClassCells(o as PriorityClass, now),
  },
};

/** The row's object: the metadata only (includeObject=Metadata, kubectl's default). */
const partial = (object: KubeObject) => ({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: object.metadata });

export interface TableOptions {
  /** `includeObject=None|Metadata|Object` */
  includeObject?: string | undefined;
  /** Watch events after the first leave the column definitions out, as Kubernetes does. */
  noHeaders?: boolean;
}

export function toTable(kind: ServedResource['kind'], objects: readonly KubeObject[], now: SimTime, resourceVersion: string, options: TableOptions = {}): object {
  return tableOf(PRINTERS[kind], objects, now, resourceVersion, options);
}

/** Namespaces are not stored (namespaces.ts): printNamespace's NAME STATUS AGE. */
const NAMESPACE_PRINTER: Printer = {
  columns: [NAME, col('Status'), AGE],
  cells: (o, now) => [o.metadata.name, (o as unknown as Namespace).status.phase, ageSince(o.metadata.creationTimestamp, now)],
};

export function namespaceTable(namespaces: readonly Namespace[], now: SimTime, resourceVersion: string, options: TableOptions = {}): object {
  return tableOf(NAMESPACE_PRINTER, namespaces as unknown as readonly KubeObject[], now, resourceVersion, options);
}

function tableOf(printer: Printer, objects: readonly KubeObject[], now: SimTime, resourceVersion: string, options: TableOptions): object {
  const include = options.includeObject ?? 'Metadata';
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion },
    columnDefinitions: options.noHeaders ? null : printer.columns,
    rows: objects.map((o) => ({
      cells: printer.cells(o, now),
      ...(include === 'None' ? {} : { object: include === 'Object' ? o : partial(o) }),
    })),
  };
}
