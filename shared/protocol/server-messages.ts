import { z } from 'zod';
import type { KubeObject } from '../model';
import type { ClassroomView, Identity } from './classroom';
import { ErrorCode } from './errors';
import type { ApiRequestEntry, ResyncReply, Snapshot, StoreState, WatchEvent } from './events';
import { markWithBy, type RoundTimelineMark, type RoundView } from './rounds';
import { roleSchema } from './roles';

/**
 * The shapes of what the server sends, checked on arrival by the client (a message that does not
 * parse is dropped and logged rather than corrupting its store) and on write by the server. Objects are checked for what the
 * store keys them by; their bodies are the server's validated objects.
 */
const errorCode = z.enum(Object.values(ErrorCode) as [ErrorCode, ...ErrorCode[]]);
const resourceVersion = z.string().regex(/^[0-9]+$/);
const kubeObject = z.custom<KubeObject>(
  (o) => z.looseObject({ kind: z.string().min(1), metadata: z.looseObject({ name: z.string().min(1), namespace: z.string().optional() }) }).safeParse(o).success,
);

export const snapshotSchema: z.ZodType<Snapshot> = z.object({ resourceVersion, objects: z.array(kubeObject) });

const watchEvent: z.ZodType<WatchEvent> = z.object({
  type: z.enum(['ADDED', 'MODIFIED', 'DELETED']),
  object: kubeObject,
  resourceVersion,
  actor: z.string(),
  simTime: z.number(),
  wallTime: z.number(),
});
export const watchEventsSchema = z.array(watchEvent);

export const apiRequestEntrySchema: z.ZodType<ApiRequestEntry> = z.object({
  id: z.string(),
  wallTime: z.number(),
  simTime: z.number(),
  actor: z.string(),
  actorName: z.string(),
  role: z.string().nullable(),
  verb: z.string(),
  target: z.string(),
  outcome: z.enum(['accepted', 'refused']),
  code: errorCode.optional(),
  message: z.string(),
  via: z.literal('kubectl').optional(),
  breaks: z.boolean().optional(),
});
export const requestEntriesSchema = z.array(apiRequestEntrySchema);
/** The arguments of a `watch` message: the changes, and the request-log entries when there are some. */
export const watchMessageSchema = z.union([z.tuple([watchEventsSchema]), z.tuple([watchEventsSchema, requestEntriesSchema])]);

const role = roleSchema;
export const identitySchema: z.ZodType<Identity> = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('instructor'), classroomId: z.string(), memberId: z.string(), name: z.string() }),
  z.object({ kind: z.literal('student'), classroomId: z.string(), memberId: z.string(), name: z.string(), role: role.nullable() }),
  z.object({ kind: z.literal('display'), classroomId: z.string(), name: z.string() }),
]);

export const classroomViewSchema: z.ZodType<ClassroomView> = z.object({
  id: z.string(),
  code: z.string(),
  title: z.string(),
  phase: z.enum(['lobby', 'running', 'paused', 'closed']),
  locked: z.boolean(),
  clock: z.object({ simAtWall: z.number(), wall: z.number(), timeScale: z.number(), paused: z.boolean() }),
  botPace: z.object({ secondsPerAction: z.number() }),
  nodes: z.array(z.string()),
  classId: z.string().optional(),
  members: z.array(
    z.object({ id: z.string(), name: z.string(), kind: z.enum(['instructor', 'student']), connected: z.boolean(), role: role.nullable() }),
  ),
  seats: z.array(
    z.object({
      role,
      studentIds: z.array(z.string()),
      leaderId: z.string().nullable(),
      bot: z.enum(['playing', 'standby', 'off']),
      botHelp: z.boolean(),
    }),
  ),
});

export const helloSchema = z.object({ protocolVersion: z.number(), serverId: z.string() });
export const removedSchema = z.object({ message: z.string() });
export const storeStateSchema: z.ZodType<StoreState> = z.object({ reachable: z.boolean() });

const refusal = z.object({ ok: z.literal(false), code: errorCode, message: z.string() });
export const ackSchema = z.union([z.looseObject({ ok: z.literal(true), message: z.string().optional() }), refusal]);
export type ParsedAck = z.infer<typeof ackSchema>;

export const resyncReplySchema: z.ZodType<ResyncReply> = z.union([
  z.object({ ok: z.literal(true), events: watchEventsSchema }),
  z.object({ ok: z.literal(true), snapshot: snapshotSchema }),
  refusal,
]);

const roundGoal = z.object({
  id: z.string(),
  text: z.string(),
  about: z.string().optional(),
  met: z.boolean(),
  progress: z.object({ current: z.number(), target: z.number(), percent: z.literal(true).optional() }).optional(),
  metAtSeconds: z.number().optional(),
  achievedBy: z.array(z.object({ component: z.string(), memberId: z.string().nullable(), name: z.string() })).optional(),
  heldFromStart: z.boolean().optional(),
  waitsFor: z.string().optional(),
  metBy: z.enum(['scenario', 'instructor']).optional(),
});
const roundScore = z.object({
  memberId: z.string(),
  name: z.string(),
  role: role.nullable(),
  score: z.number(),
  refusals: z.number(),
  accepted: z.number(),
  pendingToBoundSeconds: z.number().optional(),
  boundToRunningSeconds: z.number().optional(),
});

/** A timeline mark; one sent or stored before `by` was added gets it from its `actor`. */
export const roundTimelineMarkSchema: z.ZodType<RoundTimelineMark> = z
  .object({
    atSeconds: z.number(),
    kind: z.enum(['phase', 'step', 'fault', 'refusal', 'goal']),
    text: z.string(),
    by: z.enum(['instructor', 'scenario', 'cluster', 'round']).optional(),
    actor: z.string().optional(),
  })
  .transform(markWithBy);

/** The `round` event: the whole round as every screen renders it, or null when none was picked. */
export const roundViewSchema: z.ZodType<RoundView | null> = z
  .object({
    scenario: z.string(),
    title: z.string(),
    objective: z.string(),
    briefing: z.string(),
    phase: z.enum(['briefing', 'running', 'paused', 'won', 'lost']),
    seed: z.number(),
    goals: z.array(roundGoal),
    startedAt: z.string().nullable(),
    endedAt: z.string().optional(),
    startedAtSim: z.number().nullable(),
    endedAtSim: z.number().optional(),
    elapsedSeconds: z.number(),
    timeLimitSeconds: z.number(),
    scores: z.array(roundScore),
    teams: z.array(z.object({ team: z.string(), score: z.number(), memberIds: z.array(z.string()) })),
    activity: z.array(z.object({ memberId: z.string(), name: z.string(), role: role.nullable(), accepted: z.number(), refusals: z.number(), idleSeconds: z.number() })),
    timeline: z.array(roundTimelineMarkSchema),
    etcdReadOnly: z.literal(true).optional(),
    debrief: z
      .object({
        points: z.array(z.string()),
        availability: z.number().optional(),
        recoveries: z.array(z.object({ fault: z.string(), seconds: z.number().nullable(), again: z.boolean().optional() })),
      })
      .optional(),
  })
  .nullable();

export const refusedSchema = z.object({ ok: z.literal(false), code: errorCode, message: z.string(), event: z.string(), verb: z.string().max(40).optional(), target: z.string().max(200).optional() });
