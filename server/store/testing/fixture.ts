import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import type { WatchEvent } from '@shared/protocol';
import { connectRedis, type RedisClient } from '../../redis/connect';
import { waitFor } from '../../testing/wait';
import { ObjectStore, type ObjectStoreOptions, type WriteContext } from '../object-store';

export interface OpenStore {
  store: ObjectStore;
  redis: RedisClient;
  close(): Promise<void>;
}

/** A store on the test run's Redis, with its own connection (as a server process has). */
export async function openStore(options: Partial<ObjectStoreOptions> = {}): Promise<OpenStore> {
  const redis = await connectRedis(inject('redisUrl'));
  const store = new ObjectStore({ redis, keyPrefix: inject('redisKeyPrefix'), ...options });
  return {
    store,
    redis,
    async close() {
      await store.close();
      await redis.close();
    },
  };
}

/** A classroom id no other test uses. */
export const newClassroom = (): string => `test-${randomUUID()}`;

export const SIM_START = Date.UTC(2026, 10, 25, 10, 0, 0);

export function as(actor: string, simTime = SIM_START): WriteContext {
  return { actor, simTime };
}

/** Collects watch batches; `until` waits for a number of events. */
export function collector(): { events: WatchEvent[]; listener: (batch: WatchEvent[]) => void; until(n: number): Promise<WatchEvent[]> } {
  const events: WatchEvent[] = [];
  return {
    events,
    listener: (batch) => events.push(...batch),
    until: (n) => waitFor(() => events.length >= n && events, { what: `${n} watch events (got ${events.length})` }),
  };
}
