/**
 * What the API server fills in on create/update (SetDefaults_* of core/v1 and apps/v1, plus the
 * DefaultTolerationSeconds admission plugin). Pure: returns a new object, never mutates.
 * The schemas only default metadata.namespace; the store calls `applyDefaults` after validation.
 */
import type { Container, Pod, PodSpec, PodTemplateSpec, Probe } from './pod';
import type { Deployment, ReplicaSet } from './workloads';
import type { Service } from './service';
import type { KubeObject } from './objects';
import { withDefaultTolerations } from './taints';

export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';
export const DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS = 30;
export const DEFAULT_REVISION_HISTORY_LIMIT = 10;
export const DEFAULT_PROGRESS_DEADLINE_SECONDS = 600;
export const DEFAULT_MAX_SURGE = '25%';
export const DEFAULT_MAX_UNAVAILABLE = '25%';

/** A docker reference as ParseImageName reads it: `[domain[:port]/]path[:tag][@digest]`, the path in lower case. */
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const IMAGE_REFERENCE = new RegExp(
  `^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*(?::[0-9]+)?/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*` +
    '(?::([\\w][\\w.-]{0,127}))?(@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?$',
);

/**
 * SetDefaults_Container: `Always` when the image's tag is `latest`, where an image with neither a
 * tag nor a digest counts as `latest`; else `IfNotPresent` (a digest alone, another tag, or a
 * reference that does not parse, whose tag is then empty).
 */
export function defaultPullPolicy(image: string): 'Always' | 'IfNotPresent' {
  // A bare 64-digit hex string would be an image ID, which a reference may not be.
  const match = /^[a-f0-9]{64}$/.test(image) ? null : IMAGE_REFERENCE.exec(image);
  if (!match) return 'IfNotPresent';
  const [, tag, digest] = match;
  return tag === 'latest' || (tag === undefined && digest === undefined) ? 'Always' : 'IfNotPresent';
}

function defaultProbe(probe: Probe | undefined): Probe | undefined {
  if (probe === undefined) return undefined;
  return { periodSeconds: 10, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3, ...probe };
}

function defaultContainer(c: Container): Container {
  const out: Container = { ...c, imagePullPolicy: c.imagePullPolicy ?? defaultPullPolicy(c.image) };
  if (c.ports) out.ports = c.ports.map((p) => ({ ...p, protocol: p.protocol ?? 'TCP' }));
  const readiness = defaultProbe(c.readinessProbe);
  if (readiness) out.readinessProbe = readiness;
  const liveness = defaultProbe(c.livenessProbe);
  if (liveness) out.livenessProbe = liveness;
  return out;
}

export function defaultPodSpec(spec: PodSpec): PodSpec {
  return {
    ...spec,
    containers: spec.containers.map(defaultContainer),
    restartPolicy: spec.restartPolicy ?? 'Always',
    terminationGracePeriodSeconds: spec.terminationGracePeriodSeconds ?? DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS,
    schedulerName: spec.schedulerName ?? DEFAULT_SCHEDULER_NAME,
  };
}

function defaultTemplate(template: PodTemplateSpec): PodTemplateSpec {
  return { ...template, spec: defaultPodSpec(template.spec) };
}

/**
 * SetDefaults_Pod: a limit without a request becomes the request. Pods only: a template keeps its
 * requests unset, so defaulting never changes a workload's template (and never starts a rollout).
 */
function withRequestsFromLimits(c: Container): Container {
  const limits = c.resources?.limits;
  if (!limits || Object.keys(limits).length === 0) return c;
  return { ...c, resources: { ...c.resources, requests: { ...limits, ...c.resources?.requests } } };
}

function defaultPod(pod: Pod): Pod {
  const spec = defaultPodSpec(pod.spec);
  const withSpec: Pod = {
    ...pod,
    // Priority admission sets it on create; a template keeps it unset, or its pods would carry a
    // priority their class does not give and be refused.
    spec: { ...spec, priority: spec.priority ?? 0, containers: spec.containers.map(withRequestsFromLimits) },
    status: { ...pod.status, phase: pod.status?.phase ?? 'Pending' },
  };
  return withDefaultTolerations(withSpec);
}

function defaultDeployment(d: Deployment): Deployment {
  const strategy = d.spec.strategy ?? {};
  const type = strategy.type ?? 'RollingUpdate';
  return {
    ...d,
    spec: {
      ...d.spec,
      replicas: d.spec.replicas ?? 1,
      template: defaultTemplate(d.spec.template),
      strategy:
        type === 'RollingUpdate'
          ? {
              type,
              rollingUpdate: {
                maxSurge: strategy.rollingUpdate?.maxSurge ?? DEFAULT_MAX_SURGE,
                maxUnavailable: strategy.rollingUpdate?.maxUnavailable ?? DEFAULT_MAX_UNAVAILABLE,
              },
            }
          : { type },
      revisionHistoryLimit: d.spec.revisionHistoryLimit ?? DEFAULT_REVISION_HISTORY_LIMIT,
      progressDeadlineSeconds: d.spec.progressDeadlineSeconds ?? DEFAULT_PROGRESS_DEADLINE_SECONDS,
    },
  };
}

function defaultReplicaSet(rs: ReplicaSet): ReplicaSet {
  return { ...rs, spec: { ...rs.spec, replicas: rs.spec.replicas ?? 1, template: defaultTemplate(rs.spec.template) } };
}

/**
 * SetDefaults_Service, and what the Service REST storage sets once the ClusterIP is allocated
 * (pkg/registry/core/service/storage alloc.go): on this IPv4 single-stack cluster, clusterIPs is
 * the one clusterIP, ipFamilies IPv4, ipFamilyPolicy SingleStack (a headless Service without a
 * selector RequireDualStack). An ExternalName Service has none of them. The status is an empty
 * loadBalancer, as the API serializes a Service whose status nothing wrote.
 */
function defaultService(s: Service): Service {
  const type = s.spec.type ?? 'ClusterIP';
  const spec: Service['spec'] = { ...s.spec, type, sessionAffinity: s.spec.sessionAffinity ?? 'None' };
  if (s.spec.ports) spec.ports = s.spec.ports.map((p) => ({ ...p, protocol: p.protocol ?? 'TCP', targetPort: p.targetPort ?? p.port }));
  if (type !== 'ExternalName') {
    spec.internalTrafficPolicy = s.spec.internalTrafficPolicy ?? 'Cluster';
    const ip = s.spec.clusterIP;
    if (ip) {
      spec.clusterIPs = [ip];
      spec.ipFamilies = s.spec.ipFamilies ?? ['IPv4'];
      spec.ipFamilyPolicy = s.spec.ipFamilyPolicy ?? (ip === 'None' && !s.spec.selector ? 'RequireDualStack' : 'SingleStack');
    }
  }
  return { ...s, spec, status: { ...s.status, loadBalancer: s.status?.loadBalancer ?? {} } };
}

/** Kubernetes' defaulting for the kinds that have any; other kinds are returned unchanged. */
export function applyDefaults<T extends KubeObject>(obj: T): T {
  // Each branch returns the same kind it received; TypeScript cannot see that through the generic.
  switch (obj.kind) {
    case 'Pod':
      return defaultPod(obj) as T;
    case 'Deployment':
      return defaultDeployment(obj) as T;
    case 'ReplicaSet':
      return defaultReplicaSet(obj) as T;
    case 'Service':
      return defaultService(obj) as T;
    default:
      return obj;
  }
}
