/**
 * Priority admission (Kubernetes 1.32 plugin/pkg/admission/priority): a new pod's
 * `priorityClassName` is resolved into `spec.priority` and `spec.preemptionPolicy`; a pod without
 * one gets the global default class (the lowest one if several claim it), else priority 0.
 * Pure: the caller passes the PriorityClasses it can read (the store's hash, the harness's state),
 * since a write rule sees only the object it writes.
 */
import { DEFAULT_PRIORITY_WHEN_NO_DEFAULT_CLASS_EXISTS, forbidden, type Pod, type PreemptionPolicy, type PriorityClass, type StatusError } from '@shared/model';

export type PriorityAdmission = { ok: true; pod: Pod } | { ok: false; error: StatusError };

const DEFAULT_PREEMPTION_POLICY: PreemptionPolicy = 'PreemptLowerPriority';

/** The global default class; with several (a race in Kubernetes), the one of lowest value. */
export function defaultPriorityClass(classes: readonly PriorityClass[]): PriorityClass | undefined {
  let found: PriorityClass | undefined;
  for (const pc of classes) if (pc.globalDefault && (!found || pc.value < found.value)) found = pc;
  return found;
}

export function admitPodPriority(pod: Pod, classes: readonly PriorityClass[]): PriorityAdmission {
  const name = pod.metadata.name;
  const asked = pod.spec.priorityClassName;
  const pc = asked ? classes.find((c) => c.metadata.name === asked) : defaultPriorityClass(classes);
  if (asked && !pc) return { ok: false, error: forbidden('Pod', name, `no PriorityClass with name ${asked} was found`) };
  const priority = pc?.value ?? DEFAULT_PRIORITY_WHEN_NO_DEFAULT_CLASS_EXISTS;
  const policy = pc?.preemptionPolicy ?? DEFAULT_PREEMPTION_POLICY;
  if (pod.spec.priority !== undefined && pod.spec.priority !== priority) {
    const reason = `the integer value of priority (${pod.spec.priority}) must not be provided in pod spec; priority admission controller computed ${priority} from the given PriorityClass name`;
    return { ok: false, error: forbidden('Pod', name, reason) };
  }
  if (pod.spec.preemptionPolicy !== undefined && pod.spec.preemptionPolicy !== policy) {
    const reason = `the string value of PreemptionPolicy (${pod.spec.preemptionPolicy}) must not be provided in pod spec; priority admission controller computed ${policy} from the given PriorityClass name`;
    return { ok: false, error: forbidden('Pod', name, reason) };
  }
  const className = asked ?? pc?.metadata.name;
  return { ok: true, pod: { ...pod, spec: { ...pod.spec, ...(className ? { priorityClassName: className } : {}), priority, preemptionPolicy: policy } } };
}

/**
 * A PriorityClass create or update: only one class may be the global default
 * (validatePriorityClass in the same plugin).
 */
export function admitPriorityClass(pc: PriorityClass, classes: readonly PriorityClass[], verb: 'create' | 'update'): StatusError | undefined {
  if (!pc.globalDefault) return undefined;
  const current = defaultPriorityClass(classes);
  if (!current || (verb === 'update' && current.metadata.name === pc.metadata.name)) return undefined;
  return forbidden('PriorityClass', pc.metadata.name, `PriorityClass ${current.metadata.name} is already marked as default. Only one default can exist`);
}
