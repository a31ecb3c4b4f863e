import type { Identity, Role } from '@shared/protocol';

/** Socket.IO rooms; through the Redis adapter an emit to a room reaches it on every server process. */
export const classroomRoom = (classroomId: string): string => `classroom:${classroomId}`;
export const studentsRoom = (classroomId: string): string => `students:${classroomId}`;
export const memberRoom = (classroomId: string, memberId: string): string => `member:${classroomId}:${memberId}`;
export const roleRoom = (classroomId: string, role: Role): string => `role:${classroomId}:${role}`;

export function roomsOf(identity: Identity): string[] {
  const rooms = [classroomRoom(identity.classroomId), memberRoom(identity.classroomId, identity.memberId)];
  if (identity.kind === 'student') {
    rooms.push(studentsRoom(identity.classroomId));
    if (identity.role) rooms.push(roleRoom(identity.classroomId, identity.role));
  }
  return rooms;
}
