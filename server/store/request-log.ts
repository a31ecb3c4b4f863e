/**
 * The classroom's API request log: every request through the API server, accepted or refused,
 * in its own capped stream (the change log only holds committed changes).
 */
import { z } from 'zod';
import { apiRequestEntrySchema, type ApiRequestEntry } from '@shared/protocol';
import type { RedisClient } from '../redis/connect';


const StoredEntriesSchema = z.array(z.object({ id: z.string(), message: z.object({ entry: z.string() }) }));

export async function appendRequestLog(redis: RedisClient, key: string, entry: ApiRequestEntry, retention: number): Promise<void> {
  const checked = apiRequestEntrySchema.parse(entry);
  await redis.xAdd(key, '*', { entry: JSON.stringify(checked) }, { TRIM: { strategy: 'MAXLEN', strategyModifier: '~', threshold: retention } });
}

export async function readRequestLog(redis: RedisClient, key: string, count: number): Promise<ApiRequestEntry[]> {
  const newestFirst = StoredEntriesSchema.parse(await redis.xRevRange(key, '+', '-', { COUNT: count }));
  return newestFirst.reverse().map(({ message }) => apiRequestEntrySchema.parse(JSON.parse(message.entry)));
}
