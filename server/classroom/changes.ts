import { z } from 'zod';
import type { ClassroomView } from '@shared/protocol';
import type { Logger } from '../logger';
import type { RedisClient } from '../redis/connect';
import { publishToAll, subscribeToAll } from '../redis/fanout';
import { classroomChangesChannel } from './keys';

export const CHANGE_REASONS = ['members', 'roles', 'presence', 'locked', 'botHelp', 'botPace', 'clock', 'nodes'] as const;
export type ClassroomChangeReason = (typeof CHANGE_REASONS)[number];

/** One change of a classroom, with the view after it; every server process hears every change. */
export interface ClassroomChange {
  classroomId: string;
  reasons: ClassroomChangeReason[];
  /** Members whose identity (role) or presence changed, so each process refreshes their sockets. */
  memberIds: string[];
  view: ClassroomView;
}

/** Bots follow who plays which role and whether bot help is on; a new node brings new roles. */
export const seatsChanged = (change: ClassroomChange): boolean =>
  change.reasons.some((r) => r === 'members' || r === 'roles' || r === 'presence' || r === 'botHelp' || r === 'nodes');

/** Timers in simulated time reschedule when the clock starts, pauses, resumes or changes scale. */
export const clockChanged = (change: ClassroomChange): boolean => change.reasons.includes('clock');

// The view comes from another process of ours; the envelope is checked, the view trusted as built.
const changeSchema = z.object({
  classroomId: z.string(),
  reasons: z.array(z.enum(CHANGE_REASONS)),
  memberIds: z.array(z.string()),
  view: z.custom<ClassroomView>((v) => typeof v === 'object' && v !== null && 'seats' in v && 'clock' in v),
});

export interface ClassroomChanges {
  publish(change: ClassroomChange): Promise<void>;
  /** Calls the listener for every change published by any process; returns the unsubscribe. */
  subscribe(listener: (change: ClassroomChange) => void): () => void;
  close(): Promise<void>;
}

/** "Seat changed" / "clock changed" for everyone who cares (sockets, bots, timers), over Redis pub/sub (sharded on a cluster). */
export async function createClassroomChanges(redis: RedisClient, prefix: string, logger: Logger): Promise<ClassroomChanges> {
  const channel = classroomChangesChannel(prefix);
  const listeners = new Set<(change: ClassroomChange) => void>();
  const subscription = await subscribeToAll(redis, channel, (message) => {
    let change: ClassroomChange;
    try {
      change = changeSchema.parse(JSON.parse(message));
    } catch (error) {
      logger.warn({ err: error }, 'ignored a malformed classroom change');
      return;
    }
    for (const listener of listeners) {
      try {
        listener(change);
      } catch (error) {
        logger.error({ err: error, classroomId: change.classroomId }, 'a classroom change listener failed');
      }
    }
  });
  return {
    async publish(change) {
      await publishToAll(redis, channel, change.classroomId, JSON.stringify(change));
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      listeners.clear();
      await subscription.close();
    },
  };
}
