/** Service and Endpoints (v1). An Endpoints object has the same name as its Service. */
import { z } from 'zod';
import { IntOrStringSchema, LabelsSchema, ObjectReferenceSchema, namespacedMetaSchema, ConditionStatusSchema, TimeSchema } from './schemas-common';

const ProtocolSchema = z.enum(['TCP', 'UDP', 'SCTP']);

export const ServicePortSchema = z.object({
  name: z.string().optional(),
  protocol: ProtocolSchema.optional(),
  port: z.number().int().min(1).max(65535),
  /** A container port number or a container port name. */
  targetPort: IntOrStringSchema.optional(),
  nodePort: z.number().int().optional(),
});

export const ServiceSchema = z.object({
  apiVersion: z.literal('v1'),
  kind: z.literal('Service'),
  // Kubernetes validates Service names as DNS-1035 labels (must start with a letter).
  metadata: namespacedMetaSchema('dns1035Label'),
  spec: z.object({
    selector: LabelsSchema.optional(),
    ports: z.array(ServicePortSchema).optional(),
    clusterIP: z.string().optional(),
    /** Set from clusterIP (this cluster is IPv4 single-stack): one address, the same. */
    clusterIPs: z.array(z.string()).optional(),
    type: z.enum(['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName']).optional(),
    sessionAffinity: z.enum(['None', 'ClientIP']).optional(),
    ipFamilies: z.array(z.enum(['IPv4', 'IPv6'])).optional(),
    ipFamilyPolicy: z.enum(['SingleStack', 'PreferDualStack', 'RequireDualStack']).optional(),
    internalTrafficPolicy: z.enum(['Cluster', 'Local']).optional(),
  }),
  status: z
    .object({
      loadBalancer: z.object({ ingress: z.array(z.object({ ip: z.string().optional(), hostname: z.string().optional() })).optional() }).optional(),
      conditions: z
        .array(
          z.object({
            type: z.string(),
            status: ConditionStatusSchema,
            lastTransitionTime: TimeSchema.optional(),
            reason: z.string().optional(),
            message: z.string().optional(),
            observedGeneration: z.number().int().optional(),
          }),
        )
        .optional(),
    })
    .optional(),
});

export const EndpointAddressSchema = z.object({
  ip: z.string(),
  hostname: z.string().optional(),
  nodeName: z.string().optional(),
  targetRef: ObjectReferenceSchema.optional(),
});

export const EndpointPortSchema = z.object({
  name: z.string().optional(),
  port: z.number().int().min(1).max(65535),
  protocol: ProtocolSchema.optional(),
});

export const EndpointSubsetSchema = z.object({
  addresses: z.array(EndpointAddressSchema).optional(),
  notReadyAddresses: z.array(EndpointAddressSchema).optional(),
  ports: z.array(EndpointPortSchema).optional(),
});

export const EndpointsSchema = z.object({
  apiVersion: z.literal('v1'),
  kind: z.literal('Endpoints'),
  // ValidateEndpointsName is NameIsDNSSubdomain; an Endpoints is named after its Service anyway.
  metadata: namespacedMetaSchema(),
  subsets: z.array(EndpointSubsetSchema).optional(),
});

export type Service = z.output<typeof ServiceSchema>;
export type ServicePort = z.output<typeof ServicePortSchema>;
export type Endpoints = z.output<typeof EndpointsSchema>;
export type EndpointSubset = z.output<typeof EndpointSubsetSchema>;
export type EndpointAddress = z.output<typeof EndpointAddressSchema>;
export type EndpointPort = z.output<typeof EndpointPortSchema>;
