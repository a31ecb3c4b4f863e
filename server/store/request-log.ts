/**
 * The classroom's API request log: every request through the API server, accepted or refused,
 * in its own capped stream (the change log only holds committed changes).
 */
import { z } from 'zod';
import { ErrorCode, type ApiRequestEntry } from '@shared/protocol';
import type { RedisClient } from '../redis/connect';

export const ApiRequestEntrySchema = z.object({
  id: z.string(),
  wallTime: z.number(),
  simTime: z.number(),
  actor: z.string(),
  actorName: z.string(),
  role: z.string().nullable(),
  verb: z.string(),
  target: z.string(),
  outcome: z.enum(['accepted', 'refused']),
  code: z.enum(ErrorCode).optional(),
  message: z.string(),
}) satisfies z.ZodType<ApiRequestEntry>;

const StoredEntriesSchema = z.array(z.object({ id: z.string(), message: z.object({ entry: z.string() }) }));

export async function appendRequestLog(redis: RedisClient, key: string, entry: ApiRequestEntry, retention: number): Promise<void> {
  const checked = ApiRequestEntrySchema.parse(entry);
  await redis.xAdd(key, '*', { entry: JSON.stringify(checked) }, { TRIM: { strategy: 'MAXLEN', strategyModifier: '~', threshold: retention } });
}

export async function readRequestLog(redis: RedisClient, key: string, count: number): Promise<ApiRequestEntry[]> {
  const newestFirst = StoredEntriesSchema.parse(await redis.xRevRange(key, '+', '-', { COUNT: count }));
  return newestFirst.reverse().map(({ message }) => ApiRequestEntrySchema.parse(JSON.parse(message.entry)));
}
