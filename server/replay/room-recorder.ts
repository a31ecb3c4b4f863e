/**
 * Membership, role and presence changes and the instructor's room controls (lock, bot help and
 * pace, start / pause / resume / time scale / close) reach every process as a published
 * classroom change carrying the view after it; the process that made the change publishes it
 * exactly once. Wrapping `publish` puts each one in the session record with that view.
 * Who did it is not on the change: presence is the member's own doing, everything else the
 * instructor's (every other announcement comes from an instructor request).
 */
import { simNow } from '@shared/protocol';
import type { ClassroomChange, ClassroomChanges } from '../classroom/changes';
import type { Logger } from '../logger';
import type { RedisClient } from '../redis/connect';
import { DEFAULT_LOG_RETENTION, appendRecordEntry, storeKeys } from '../store';

function actorOf(change: ClassroomChange): string {
  if (!change.reasons.includes('presence')) return 'instructor';
  const [only, ...more] = change.memberIds;
  const member = change.view.members.find((m) => m.id === only);
  if (only === undefined || more.length || !member) return 'system:presence';
  return member.kind === 'instructor' ? 'instructor' : `student:${only}`;
}

export function recordRoomChanges(changes: ClassroomChanges, redis: RedisClient, keyPrefix: string, logger: Logger): ClassroomChanges {
  return {
    ...changes,
    async publish(change) {
      const wallTime = Date.now();
      const entry = { t: 'room', reasons: change.reasons, view: change.view, actor: actorOf(change), simTime: Math.floor(simNow(change.view.clock, wallTime)), wallTime } as const;
      try {
        await appendRecordEntry(redis, storeKeys(keyPrefix, change.classroomId), entry, DEFAULT_LOG_RETENTION);
      } catch (error) {
        logger.warn({ err: error, classroomId: change.classroomId }, 'could not record a classroom change for replay');
      }
      await changes.publish(change);
    },
  };
}
