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

/** `Always` for `:latest` or an untagged image, else `IfNotPresent` (SetDefaults_Container). */
export function defaultPullPolicy(image: string): 'Always' | 'IfNotPresent' {
  if (image.includes('@')) return 'IfNotPresent';
  const lastPart = image.slice(image.lastIndexOf('/') + 1);
  const colon = lastPart.lastIndexOf(':');
  const tag = colon < 0 ? '' : lastPart.slice(colon + 1);
  return tag === '' || tag === 'latest' ? 'Always' : 'IfNotPresent';
}

function defaultProbe(probe: Probe | undefined): Probe | undefined {
  if (probe === undefined) return undefined;
  return { periodSeconds: 10, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3, ...probe };
}

function defaultContainer(c: Container): Container {
  const out: Container = { ...c, imagePullPolicy: c.imagePullPolicy ?? defaultPullPolicy(c.image) };
  if (c.ports) out.ports = c.ports.map((p) => ({ ...p, protocol: p.protocol ?? 'TCP' }));
  const limits = c.resources?.limits;
  if (limits) out.resources = { ...c.resources, requests: { ...limits, ...c.resources?.requests } };
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
    priority: spec.priority ?? 0,
  };
}

function defaultTemplate(template: PodTemplateSpec): PodTemplateSpec {
  return { ...template, spec: defaultPodSpec(template.spec) };
}

function defaultPod(pod: Pod): Pod {
  const withSpec: Pod = { ...pod, spec: defaultPodSpec(pod.spec), status: { ...pod.status, phase: pod.status?.phase ?? 'Pending' } };
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

function defaultService(s: Service): Service {
  const spec: Service['spec'] = { ...s.spec, type: s.spec.type ?? 'ClusterIP', sessionAffinity: s.spec.sessionAffinity ?? 'None' };
  if (s.spec.ports) spec.ports = s.spec.ports.map((p) => ({ ...p, protocol: p.protocol ?? 'TCP', targetPort: p.targetPort ?? p.port }));
  return { ...s, spec };
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
