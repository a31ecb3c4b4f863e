/** Deployment and ReplicaSet (apps/v1). */
import { z } from 'zod';
import { ConditionStatusSchema, IntOrPercentSchema, LabelSelectorSchema, TimeSchema, invalidValue, namespacedMetaSchema, nonNegativeInt } from './schemas-common';
import { PodTemplateSpecSchema } from './pod';
import { matchesSelector } from './selectors';

/** Annotation the Deployment controller keeps on its ReplicaSets (and the Deployment). */
export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
/** Label the Deployment controller adds to a ReplicaSet's selector, template and pods. */
export const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';

export const DeploymentConditionSchema = z.object({
  type: z.enum(['Available', 'Progressing', 'ReplicaFailure']),
  status: ConditionStatusSchema,
  lastUpdateTime: TimeSchema.optional(),
  lastTransitionTime: TimeSchema.optional(),
  reason: z.string().optional(),
  message: z.string().optional(),
});

export const ReplicaSetConditionSchema = z.object({
  type: z.enum(['ReplicaFailure']),
  status: ConditionStatusSchema,
  lastTransitionTime: TimeSchema.optional(),
  reason: z.string().optional(),
  message: z.string().optional(),
});

export const DeploymentStrategySchema = z.object({
  type: z.enum(['RollingUpdate', 'Recreate']).optional(),
  rollingUpdate: z.object({ maxSurge: IntOrPercentSchema.optional(), maxUnavailable: IntOrPercentSchema.optional() }).optional(),
});

/** validation: `selector` does not match template `labels` (apps ValidateDeploymentSpec / ValidateReplicaSetSpec). */
function selectorMatchesTemplate(
  spec: { selector: z.output<typeof LabelSelectorSchema>; template: z.output<typeof PodTemplateSpecSchema> },
  ctx: z.RefinementCtx,
): void {
  const labels = spec.template.metadata?.labels ?? {};
  const empty = !spec.selector.matchLabels && !spec.selector.matchExpressions;
  if (empty) {
    ctx.addIssue({ code: 'custom', path: ['selector'], input: spec.selector, message: invalidValue(spec.selector, 'empty selector is invalid for deployment') });
  } else if (!matchesSelector(spec.selector, labels)) {
    ctx.addIssue({
      code: 'custom',
      path: ['template', 'metadata', 'labels'],
      input: labels,
      message: invalidValue(labels, '`selector` does not match template `labels`'),
    });
  }
}

export const DeploymentSpecSchema = z
  .object({
    replicas: nonNegativeInt().optional(),
    selector: LabelSelectorSchema,
    template: PodTemplateSpecSchema,
    strategy: DeploymentStrategySchema.optional(),
    revisionHistoryLimit: nonNegativeInt().optional(),
    progressDeadlineSeconds: z.number().int().min(1).optional(),
    minReadySeconds: nonNegativeInt().optional(),
    paused: z.boolean().optional(),
  })
  .superRefine(selectorMatchesTemplate);

export const DeploymentSchema = z.object({
  apiVersion: z.literal('apps/v1'),
  kind: z.literal('Deployment'),
  metadata: namespacedMetaSchema(),
  spec: DeploymentSpecSchema,
  status: z
    .object({
      observedGeneration: z.number().int().optional(),
      replicas: z.number().int().optional(),
      updatedReplicas: z.number().int().optional(),
      readyReplicas: z.number().int().optional(),
      availableReplicas: z.number().int().optional(),
      unavailableReplicas: z.number().int().optional(),
      collisionCount: z.number().int().optional(),
      conditions: z.array(DeploymentConditionSchema).optional(),
    })
    .optional(),
});

export const ReplicaSetSpecSchema = z
  .object({
    replicas: nonNegativeInt().optional(),
    selector: LabelSelectorSchema,
    template: PodTemplateSpecSchema,
    minReadySeconds: nonNegativeInt().optional(),
  })
  .superRefine(selectorMatchesTemplate);

export const ReplicaSetSchema = z.object({
  apiVersion: z.literal('apps/v1'),
  kind: z.literal('ReplicaSet'),
  metadata: namespacedMetaSchema(),
  spec: ReplicaSetSpecSchema,
  status: z
    .object({
      replicas: z.number().int().optional(),
      fullyLabeledReplicas: z.number().int().optional(),
      readyReplicas: z.number().int().optional(),
      availableReplicas: z.number().int().optional(),
      observedGeneration: z.number().int().optional(),
      conditions: z.array(ReplicaSetConditionSchema).optional(),
    })
    .optional(),
});

export type Deployment = z.output<typeof DeploymentSchema>;
export type DeploymentSpec = z.output<typeof DeploymentSpecSchema>;
export type DeploymentStrategy = z.output<typeof DeploymentStrategySchema>;
export type DeploymentCondition = z.output<typeof DeploymentConditionSchema>;
export type ReplicaSet = z.output<typeof ReplicaSetSchema>;
export type ReplicaSetSpec = z.output<typeof ReplicaSetSpecSchema>;
export type ReplicaSetCondition = z.output<typeof ReplicaSetConditionSchema>;
