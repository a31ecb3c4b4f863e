import type { ClassroomChangeReason, ClassroomChanges } from './changes';
import type { ClassroomRepository } from './repository';

/** Tells every server process that a classroom changed; each sends the new view to its own sockets. */
export interface ClassroomAnnouncer {
  announce(classroomId: string, reasons: ClassroomChangeReason[], memberIds?: string[]): Promise<void>;
}

export function createClassroomAnnouncer(classrooms: ClassroomRepository, changes: ClassroomChanges): ClassroomAnnouncer {
  return {
    async announce(classroomId, reasons, memberIds = []) {
      const view = await classrooms.view(classroomId);
      if (view) await changes.publish({ classroomId, reasons, memberIds, view });
    },
  };
}
