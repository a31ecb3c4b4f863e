/**
 * PriorityClass (scheduling.k8s.io/v1): a cluster-scoped name for a pod priority. Facts from
 * Kubernetes 1.32: pkg/apis/scheduling (types.go, validation/validation.go).
 */
import { z } from 'zod';
import { clusterMetaSchema } from './schemas-common';

/** The highest value a class not made by the system may have (scheduling.HighestUserDefinablePriority). */
export const HIGHEST_USER_DEFINABLE_PRIORITY = 1_000_000_000;
/** Priority of a pod without a class when no class is the global default. */
export const DEFAULT_PRIORITY_WHEN_NO_DEFAULT_CLASS_EXISTS = 0;
const SYSTEM_PRIORITY_CLASS_PREFIX = 'system-';

export const PreemptionPolicySchema = z.enum(['PreemptLowerPriority', 'Never']);
export type PreemptionPolicy = z.output<typeof PreemptionPolicySchema>;

/** The classes every cluster has from its start, as the API server creates them. */
export const SYSTEM_PRIORITY_CLASSES = [
  { name: 'system-node-critical', value: 2_000_001_000, description: 'Used for system critical pods that must not be moved from their current node.' },
  { name: 'system-cluster-critical', value: 2_000_000_000, description: 'Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.' },
] as const;

function isKnownSystemClass(name: string, value: number, globalDefault: boolean): boolean {
  return !globalDefault && SYSTEM_PRIORITY_CLASSES.some((c) => c.name === name && c.value === value);
}

export const PriorityClassSchema = z
  .object({
    apiVersion: z.literal('scheduling.k8s.io/v1'),
    kind: z.literal('PriorityClass'),
    metadata: clusterMetaSchema(),
    value: z.number().int().min(-2147483648).max(2147483647),
    globalDefault: z.boolean().optional(),
    description: z.string().optional(),
    preemptionPolicy: PreemptionPolicySchema.optional(),
  })
  .superRefine((pc, ctx) => {
    const name = pc.metadata.name;
    if (isKnownSystemClass(name, pc.value, pc.globalDefault ?? false)) return;
    if (name.startsWith(SYSTEM_PRIORITY_CLASS_PREFIX)) {
      ctx.addIssue({ code: 'custom', path: ['metadata', 'name'], input: name, message: `Forbidden: priority class names with '${SYSTEM_PRIORITY_CLASS_PREFIX}' prefix are reserved for system use only` });
    } else if (pc.value > HIGHEST_USER_DEFINABLE_PRIORITY) {
      ctx.addIssue({ code: 'custom', path: ['value'], input: pc.value, message: `Forbidden: maximum allowed value of a user defined priority is ${HIGHEST_USER_DEFINABLE_PRIORITY}` });
    }
  });

type PriorityClassOutput = z.output<typeof PriorityClassSchema>;
/** Cluster-scoped: no namespace, as Node. */
export type PriorityClass = Omit<PriorityClassOutput, 'metadata'> & { metadata: PriorityClassOutput['metadata'] & { namespace?: undefined } };

/** The built-in classes as objects (before the store stamps them). */
export function systemPriorityClasses(): PriorityClass[] {
  return SYSTEM_PRIORITY_CLASSES.map((c) => ({
    apiVersion: 'scheduling.k8s.io/v1',
    kind: 'PriorityClass',
    metadata: { name: c.name },
    value: c.value,
    globalDefault: false,
    description: c.description,
    preemptionPolicy: 'PreemptLowerPriority',
  }));
}

/**
 * The classes admission resolves from: the stored ones, and the system ones where none is stored
 * under their name (ClusterPlay does not store them at bootstrap; they exist as in every cluster).
 */
export function withSystemPriorityClasses(stored: readonly PriorityClass[]): PriorityClass[] {
  const names = new Set(stored.map((c) => c.metadata.name));
  return [...stored, ...systemPriorityClasses().filter((c) => !names.has(c.metadata.name))];
}
