/**
 * A student's open watch and the groups: when the class is split (or its groups dissolved), the
 * student's token reaches another classroom from then on. The watch of the old one ends there, as
 * an API server ends a watch it can no longer serve: kubectl `get -w` stops, and informers (client-go,
 * client-node) list again, which lands them, by the same token, on the cluster the student now plays.
 */
import type { StatusError } from '@shared/model';
import type { Identity } from '@shared/protocol';
import type { ClassroomChanges } from '../classroom/changes';
import { RefusalError } from '../classroom/refusal-error';
import type { ClassroomRepository } from '../classroom/repository';
import { classroomIdOfToken } from '../classroom/secrets';
import { isRedisUnavailable } from '../redis/unavailable';

export interface WatchMovesDeps {
  classrooms: ClassroomRepository;
  changes: ClassroomChanges;
}

const WHERE = {
  group: "the class was split into groups: your token now reaches your group's cluster, not this one; watch again to follow it there",
  class: "the class's groups were brought back together: your token now reaches the class's cluster, not this one; watch again to follow it there",
  gone: 'your token no longer reaches this cluster',
};

/**
 * The watch's last event: 410, as the watch cache ends a watch whose history it cannot serve, for
 * the version the client holds is one of the old cluster's. Informers list again on 410 (from
 * scratch, not from that version); kubectl `get -w` prints the Status (STATUS, REASON, MESSAGE) and exits.
 */
function movedStatus(where: keyof typeof WHERE): StatusError {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: WHERE[where], reason: 'Expired', code: 410 };
}

/**
 * Calls `moved` once when `token` stops reaching `identity`'s classroom: placed in a group or back
 * in the class, or no longer accepted at all. A split and a dissolve are announced on the class as a
 * change of its members (on every process), so only those changes are checked. Returns the unsubscribe.
 */
export function onWatcherMoved({ classrooms, changes }: WatchMovesDeps, token: string, identity: Identity, moved: (end: StatusError) => void): () => void {
  // Only a student is ever placed elsewhere; an instructor's and a host screen's token stay put.
  const klass = classroomIdOfToken(token);
  if (identity.kind !== 'student' || klass === null) return () => undefined;
  let checking = false;
  let again = false;
  let done = false;
  const check = async (): Promise<void> => {
    if (checking) return void (again = true);
    checking = true;
    try {
      do {
        again = false;
        const now = await classrooms.authenticate(token).then(
          (found) => found?.classroomId ?? null,
          // Refused (a closed classroom) is an answer; Redis out of reach is not: the watch stays.
          (error: unknown) => (error instanceof RefusalError && !isRedisUnavailable(error) ? null : identity.classroomId),
        );
        if (done) return;
        if (now !== identity.classroomId) {
          done = true;
          unsubscribe();
          return moved(movedStatus(now === null ? 'gone' : now === klass ? 'class' : 'group'));
        }
      } while (again);
    } finally {
      checking = false;
    }
  };
  const unsubscribe = changes.subscribe((change) => {
    if (change.classroomId === klass && change.reasons.includes('members')) void check();
  });
  return () => {
    done = true;
    unsubscribe();
  };
}
