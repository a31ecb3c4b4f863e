/** Event (v1, the core events API that `kubectl describe` shows). */
import { z } from 'zod';
import { ObjectReferenceSchema, TimeSchema, namespacedMetaSchema } from './schemas-common';

export const EventSchema = z.object({
  apiVersion: z.literal('v1'),
  kind: z.literal('Event'),
  // Event names are `<involved object name>.<hex>`: a DNS-1123 subdomain, dots allowed.
  metadata: namespacedMetaSchema(),
  involvedObject: ObjectReferenceSchema,
  reason: z.string().optional(),
  message: z.string().optional(),
  type: z.enum(['Normal', 'Warning']).optional(),
  source: z.object({ component: z.string().optional(), host: z.string().optional() }).optional(),
  firstTimestamp: TimeSchema.optional(),
  lastTimestamp: TimeSchema.optional(),
  count: z.number().int().optional(),
  eventTime: TimeSchema.nullable().optional(),
  action: z.string().optional(),
  reportingComponent: z.string().optional(),
  reportingInstance: z.string().optional(),
});

export type Event = z.output<typeof EventSchema>;
export type EventType = NonNullable<Event['type']>;
