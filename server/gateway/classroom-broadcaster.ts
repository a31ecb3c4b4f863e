import type { ClassroomChange } from '../classroom/changes';
import type { ClassroomRepository } from '../classroom/repository';
import { classroomRoom, memberRoom, roomsOf } from './rooms';
import type { ClusterPlayServer, ClusterPlaySocket } from './types';

function localSockets(io: ClusterPlayServer, room: string): ClusterPlaySocket[] {
  const ids = io.of('/').adapter.rooms.get(room) ?? new Set<string>();
  return [...ids].flatMap((id) => io.of('/').sockets.get(id) ?? []);
}

/**
 * Each process hears every classroom change (Redis pub/sub) and brings its own sockets up to
 * date: the new view to the classroom's sockets, and to a member whose role changed the new
 * `session`, moving them from the old role's room to the new one.
 */
export async function followChange(io: ClusterPlayServer, classrooms: ClassroomRepository, change: ClassroomChange): Promise<void> {
  io.local.to(classroomRoom(change.classroomId)).emit('classroom', change.view);
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
