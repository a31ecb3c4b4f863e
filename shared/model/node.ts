/** Node (v1, cluster-scoped). */
import { z } from 'zod';
import { ConditionStatusSchema, ResourceListSchema, TimeSchema, clusterMetaSchema } from './schemas-common';
import { TaintEffectSchema } from './pod';

export const TaintSchema = z.object({
  key: z.string().min(1, { error: () => 'Required value' }),
  value: z.string().optional(),
  effect: TaintEffectSchema,
  timeAdded: TimeSchema.optional(),
});

export const NodeConditionTypeSchema = z.enum(['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure', 'NetworkUnavailable']);

export const NodeConditionSchema = z.object({
  type: NodeConditionTypeSchema,
  status: ConditionStatusSchema,
  lastHeartbeatTime: TimeSchema.optional(),
  lastTransitionTime: TimeSchema.optional(),
  reason: z.string().optional(),
  message: z.string().optional(),
});

export const NodeAddressSchema = z.object({
  type: z.enum(['Hostname', 'InternalIP', 'ExternalIP', 'InternalDNS', 'ExternalDNS']),
  address: z.string(),
});

export const ContainerImageSchema = z.object({ names: z.array(z.string()), sizeBytes: z.number().int().optional() });

export const NodeSystemInfoSchema = z.object({
  machineID: z.string().optional(),
  systemUUID: z.string().optional(),
  bootID: z.string().optional(),
  kernelVersion: z.string().optional(),
  osImage: z.string().optional(),
  containerRuntimeVersion: z.string().optional(),
  kubeletVersion: z.string().optional(),
  kubeProxyVersion: z.string().optional(),
  operatingSystem: z.string().optional(),
  architecture: z.string().optional(),
});

export const NodeSchema = z.object({
  apiVersion: z.literal('v1'),
  kind: z.literal('Node'),
  metadata: clusterMetaSchema(),
  spec: z
    .object({
      unschedulable: z.boolean().optional(),
      taints: z.array(TaintSchema).optional(),
      podCIDR: z.string().optional(),
      providerID: z.string().optional(),
    })
    .default({}),
  status: z
    .object({
      capacity: ResourceListSchema.optional(),
      allocatable: ResourceListSchema.optional(),
      conditions: z.array(NodeConditionSchema).optional(),
      addresses: z.array(NodeAddressSchema).optional(),
      images: z.array(ContainerImageSchema).optional(),
      nodeInfo: NodeSystemInfoSchema.optional(),
    })
    .optional(),
});

/**
 * `namespace?: undefined` lets code read `obj.metadata.namespace` on any KubeObject;
 * the schema drops a submitted namespace, as the API server clears it for cluster-scoped kinds.
 */
export type Node = Omit<z.output<typeof NodeSchema>, 'metadata'> & {
  metadata: z.output<typeof NodeSchema>['metadata'] & { namespace?: undefined };
};
export type Taint = z.output<typeof TaintSchema>;
export type NodeCondition = z.output<typeof NodeConditionSchema>;
export type NodeConditionType = z.output<typeof NodeConditionTypeSchema>;
export type NodeAddress = z.output<typeof NodeAddressSchema>;
export type NodeSystemInfo = z.output<typeof NodeSystemInfoSchema>;
