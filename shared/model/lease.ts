/** Lease (coordination.k8s.io/v1): node heartbeats in `kube-node-lease`, leader election in `kube-system`. */
import { z } from 'zod';
import { TimeSchema, namespacedMetaSchema, nonNegativeInt } from './schemas-common';

export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
export const LEADER_ELECTION_NAMESPACE = 'kube-system';

export const LeaseSchema = z.object({
  apiVersion: z.literal('coordination.k8s.io/v1'),
  kind: z.literal('Lease'),
  metadata: namespacedMetaSchema(),
  spec: z.object({
    holderIdentity: z.string().optional(),
    leaseDurationSeconds: z.number().int().min(1).optional(),
    /** MicroTime, e.g. `2026-11-25T10:00:00.000000Z`. */
    acquireTime: TimeSchema.optional(),
    /** MicroTime. */
    renewTime: TimeSchema.optional(),
    leaseTransitions: nonNegativeInt().optional(),
  }),
});

export type Lease = z.output<typeof LeaseSchema>;
