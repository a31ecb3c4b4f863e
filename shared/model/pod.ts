/** Pod (v1): spec as the scheduler and kubelet read it, status as the kubelet writes it. */
import { z } from 'zod';
import {
  OPERATOR_MESSAGE,
  LabelsSchema,
  requirementIssues,
  ConditionStatusSchema,
  IntOrStringSchema,
  LabelSelectorSchema,
  ResourceListSchema,
  StringMapSchema,
  TimeSchema,
  invalidValue,
  namespacedMetaSchema,
  nonNegativeInt,
} from './schemas-common';
import { dns1123LabelErrors } from './names';

const ContainerNameSchema = z.string().superRefine((name, ctx) => {
  for (const detail of dns1123LabelErrors(name)) ctx.addIssue({ code: 'custom', message: invalidValue(name, detail), input: name });
});

export const ContainerPortSchema = z.object({
  name: z.string().optional(),
  containerPort: z.number().int().min(1).max(65535),
  hostPort: z.number().int().min(1).max(65535).optional(),
  protocol: z.enum(['TCP', 'UDP', 'SCTP']).optional(),
});

export const ProbeSchema = z.object({
  httpGet: z.object({ path: z.string().optional(), port: IntOrStringSchema, scheme: z.enum(['HTTP', 'HTTPS']).optional() }).optional(),
  tcpSocket: z.object({ port: IntOrStringSchema }).optional(),
  exec: z.object({ command: z.array(z.string()).optional() }).optional(),
  initialDelaySeconds: nonNegativeInt().optional(),
  periodSeconds: z.number().int().min(1).optional(),
  timeoutSeconds: z.number().int().min(1).optional(),
  successThreshold: z.number().int().min(1).optional(),
  failureThreshold: z.number().int().min(1).optional(),
});

export const ResourceRequirementsSchema = z.object({
  requests: ResourceListSchema.optional(),
  limits: ResourceListSchema.optional(),
});

export const ContainerSchema = z.object({
  name: ContainerNameSchema,
  image: z.string().min(1, { error: () => 'Required value' }),
  imagePullPolicy: z.enum(['Always', 'IfNotPresent', 'Never']).optional(),
  command: z.array(z.string()).optional(),
  args: z.array(z.string()).optional(),
  ports: z.array(ContainerPortSchema).optional(),
  resources: ResourceRequirementsSchema.optional(),
  readinessProbe: ProbeSchema.optional(),
  livenessProbe: ProbeSchema.optional(),
});

const NodeSelectorOperatorSchema = z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt'], {
  error: (iss) => invalidValue(iss.input, OPERATOR_MESSAGE),
});

export const NodeSelectorRequirementSchema = z
  .object({ key: z.string(), operator: NodeSelectorOperatorSchema, values: z.array(z.string()).optional() })
  .superRefine((req, ctx) => {
    for (const issue of requirementIssues(req, false)) ctx.addIssue({ code: 'custom', ...issue });
  });

/** ValidateNodeFieldSelectorRequirement: only `metadata.name`, only In/NotIn with exactly one value. */
const NodeFieldSelectorRequirementSchema = z
  .object({ key: z.string(), operator: NodeSelectorOperatorSchema, values: z.array(z.string()).optional() })
  .superRefine((req, ctx) => {
    if (req.operator !== 'In' && req.operator !== 'NotIn') {
      ctx.addIssue({ code: 'custom', path: ['operator'], input: req.operator, message: invalidValue(req.operator, OPERATOR_MESSAGE) });
    } else if ((req.values?.length ?? 0) !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['values'],
        input: req.values,
        message: "Required value: must be only one value when `operator` is 'In' or 'NotIn' for node field selector",
      });
    }
    if (req.key !== 'metadata.name') {
      ctx.addIssue({ code: 'custom', path: ['key'], input: req.key, message: invalidValue(req.key, 'not a valid field selector key') });
    }
  });

export const NodeSelectorTermSchema = z.object({
  matchExpressions: z.array(NodeSelectorRequirementSchema).optional(),
  matchFields: z.array(NodeFieldSelectorRequirementSchema).optional(),
});

export const PodAffinityTermSchema = z.object({
  labelSelector: LabelSelectorSchema.optional(),
  namespaces: z.array(z.string()).optional(),
  topologyKey: z.string().min(1, { error: () => 'Required value: can not be empty' }),
});

const WeightedPodAffinityTermSchema = z.object({ weight: z.number().int().min(1).max(100), podAffinityTerm: PodAffinityTermSchema });

const PodAffinityRulesSchema = z.object({
  requiredDuringSchedulingIgnoredDuringExecution: z.array(PodAffinityTermSchema).optional(),
  preferredDuringSchedulingIgnoredDuringExecution: z.array(WeightedPodAffinityTermSchema).optional(),
});

export const AffinitySchema = z.object({
  nodeAffinity: z
    .object({
      requiredDuringSchedulingIgnoredDuringExecution: z.object({ nodeSelectorTerms: z.array(NodeSelectorTermSchema) }).optional(),
      preferredDuringSchedulingIgnoredDuringExecution: z
        .array(z.object({ weight: z.number().int().min(1).max(100), preference: NodeSelectorTermSchema }))
        .optional(),
    })
    .optional(),
  podAffinity: PodAffinityRulesSchema.optional(),
  podAntiAffinity: PodAffinityRulesSchema.optional(),
});

export const TaintEffectSchema = z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']);

export const TolerationSchema = z
  .object({
    key: z.string().optional(),
    operator: z.enum(['Exists', 'Equal']).optional(),
    value: z.string().optional(),
    effect: TaintEffectSchema.optional(),
    tolerationSeconds: z.number().int().optional(),
  })
  .superRefine((t, ctx) => {
    // validation.ValidateTolerations
    if (!t.key && t.operator !== 'Exists') {
      ctx.addIssue({
        code: 'custom',
        path: ['operator'],
        input: t.operator ?? '',
        message: invalidValue(t.operator ?? '', 'operator must be Exists when `key` is empty, which means "match all values and all keys"'),
      });
    }
    if (t.operator === 'Exists' && t.value) {
      ctx.addIssue({ code: 'custom', path: ['operator'], input: t.operator, message: invalidValue(t.operator, "value must be empty when `operator` is 'Exists'") });
    }
  });

/** Said of a field ClusterPlay does not model, rather than dropping it silently (field.Forbidden). */
export const NOT_MODELLED = 'Forbidden: init containers are not modelled by this cluster; put the work in the app container';

export const PodSpecSchema = z.object({
  // Refused rather than dropped: the kubelet would otherwise start the app without its init work.
  initContainers: z
    .array(z.unknown())
    .max(0, { error: () => NOT_MODELLED })
    .optional(),
  containers: z.array(ContainerSchema).min(1, { error: () => 'Required value' }),
  nodeName: z.string().optional(),
  nodeSelector: LabelsSchema.optional(),
  affinity: AffinitySchema.optional(),
  tolerations: z.array(TolerationSchema).optional(),
  restartPolicy: z.enum(['Always', 'OnFailure', 'Never']).optional(),
  terminationGracePeriodSeconds: nonNegativeInt().optional(),
  schedulerName: z.string().optional(),
  priorityClassName: z.string().optional(),
  priority: z.number().int().optional(),
  preemptionPolicy: z.enum(['PreemptLowerPriority', 'Never']).optional(),
});

export const PodConditionTypeSchema = z.enum([
  'PodScheduled',
  'PodReadyToStartContainers',
  'Initialized',
  'ContainersReady',
  'Ready',
  'DisruptionTarget',
]);

export const PodConditionSchema = z.object({
  type: PodConditionTypeSchema,
  status: ConditionStatusSchema,
  lastProbeTime: TimeSchema.nullable().optional(),
  lastTransitionTime: TimeSchema.optional(),
  reason: z.string().optional(),
  message: z.string().optional(),
});

export const ContainerStateWaitingSchema = z.object({ reason: z.string().optional(), message: z.string().optional() });
export const ContainerStateRunningSchema = z.object({ startedAt: TimeSchema.optional() });
export const ContainerStateTerminatedSchema = z.object({
  exitCode: z.number().int(),
  signal: z.number().int().optional(),
  reason: z.string().optional(),
  message: z.string().optional(),
  startedAt: TimeSchema.optional(),
  finishedAt: TimeSchema.optional(),
  containerID: z.string().optional(),
});

/** Exactly one of waiting / running / terminated, as the kubelet reports it. */
export const ContainerStateSchema = z.union(
  [
    z.strictObject({ waiting: ContainerStateWaitingSchema }),
    z.strictObject({ running: ContainerStateRunningSchema }),
    z.strictObject({ terminated: ContainerStateTerminatedSchema }),
  ],
  { error: (iss) => invalidValue(iss.input, 'must specify exactly one of: `waiting`, `running`, `terminated`') },
);

export const ContainerStatusSchema = z.object({
  name: z.string(),
  image: z.string(),
  imageID: z.string(),
  containerID: z.string().optional(),
  ready: z.boolean(),
  started: z.boolean().optional(),
  restartCount: nonNegativeInt(),
  state: ContainerStateSchema.optional(),
  lastState: ContainerStateSchema.optional(),
});

export const PodPhaseSchema = z.enum(['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown']);

export const PodStatusSchema = z.object({
  phase: PodPhaseSchema.optional(),
  conditions: z.array(PodConditionSchema).optional(),
  hostIP: z.string().optional(),
  /** The node's and the pod's addresses, one per IP family; the first is hostIP / podIP. */
  hostIPs: z.array(z.object({ ip: z.string() })).optional(),
  podIP: z.string().optional(),
  podIPs: z.array(z.object({ ip: z.string() })).optional(),
  startTime: TimeSchema.optional(),
  reason: z.string().optional(),
  message: z.string().optional(),
  nominatedNodeName: z.string().optional(),
  containerStatuses: z.array(ContainerStatusSchema).optional(),
});

export const PodSchema = z.object({
  apiVersion: z.literal('v1'),
  kind: z.literal('Pod'),
  metadata: namespacedMetaSchema(),
  spec: PodSpecSchema,
  status: PodStatusSchema.optional(),
});

/** The pod template of a Deployment or ReplicaSet. */
export const PodTemplateSpecSchema = z.object({
  metadata: z
    .object({ name: z.string().optional(), labels: LabelsSchema.optional(), annotations: StringMapSchema.optional() })
    .optional(),
  spec: PodSpecSchema,
});

export type Pod = z.output<typeof PodSchema>;
export type PodSpec = z.output<typeof PodSpecSchema>;
export type PodStatus = z.output<typeof PodStatusSchema>;
export type PodPhase = z.output<typeof PodPhaseSchema>;
export type PodCondition = z.output<typeof PodConditionSchema>;
export type PodConditionType = z.output<typeof PodConditionTypeSchema>;
export type PodTemplateSpec = z.output<typeof PodTemplateSpecSchema>;
export type Container = z.output<typeof ContainerSchema>;
export type ContainerPort = z.output<typeof ContainerPortSchema>;
export type ContainerStatus = z.output<typeof ContainerStatusSchema>;
export type ContainerState = z.output<typeof ContainerStateSchema>;
export type ResourceRequirements = z.output<typeof ResourceRequirementsSchema>;
export type Probe = z.output<typeof ProbeSchema>;
export type Affinity = z.output<typeof AffinitySchema>;
export type PodAffinityTerm = z.output<typeof PodAffinityTermSchema>;
export type NodeSelectorTerm = z.output<typeof NodeSelectorTermSchema>;
export type NodeSelectorRequirement = z.output<typeof NodeSelectorRequirementSchema>;
export type Toleration = z.output<typeof TolerationSchema>;
export type TaintEffect = z.output<typeof TaintEffectSchema>;
