import type { ClassroomChange, ClassroomChangeReason, ClassroomChanges } from '../classroom/changes';
import type { ClassroomRepository } from '../classroom/repository';
import { classroomRoom, memberRoom, roomsOf } from './rooms';
import type { ClusterPlayServer, ClusterPlaySocket } from './types';

export interface ClassroomBroadcaster {
  /** After a change: the new view to the whole classroom (every process) and to the change listeners. */
  announce(classroomId: string, reasons: ClassroomChangeReason[], memberIds?: string[]): Promise<void>;
}

export function createClassroomBroadcaster(io: ClusterPlayServer, classrooms: ClassroomRepository, changes: ClassroomChanges): ClassroomBroadcaster {
  return {
    async announce(classroomId, reasons, memberIds = []) {
      const view = await classrooms.view(classroomId);
      if (!view) return;
      io.to(classroomRoom(classroomId)).emit('classroom', view);
      await changes.publish({ classroomId, reasons, memberIds, view });
    },
  };
}

function localSockets(io: ClusterPlayServer, room: string): ClusterPlaySocket[] {
  const ids = io.of('/').adapter.rooms.get(room) ?? new Set<string>();
  return [...ids].flatMap((id) => io.of('/').sockets.get(id) ?? []);
}

/**
 * Each process keeps the identity of its own sockets current: a member whose role changed gets
 * the new `session`, and moves from the old role's room to the new one.
 */
export async function refreshLocalSessions(io: ClusterPlayServer, classrooms: ClassroomRepository, change: ClassroomChange): Promise<void> {
  for (const memberId of change.memberIds) {
    const sockets = localSockets(io, memberRoom(change.classroomId, memberId));
    if (!sockets.length) continue;
    const identity = await classrooms.identity(change.classroomId, memberId);
    if (!identity) continue; // removed: the removal disconnects those sockets
    for (const socket of sockets) {
      const before = socket.data.identity;
      if (JSON.stringify(before) === JSON.stringify(identity)) continue;
      const stale = roomsOf(before).filter((room) => !roomsOf(identity).includes(room));
      for (const room of stale) void socket.leave(room);
      void socket.join(roomsOf(identity));
      socket.data.identity = identity;
      socket.emit('session', identity);
    }
  }
}
