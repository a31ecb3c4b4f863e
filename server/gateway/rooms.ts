import type { ApiRequestEntry, Identity, Role } from '@shared/protocol';

/** Socket.IO rooms; through the Redis adapter an emit to a room reaches it on every server process. */
export const classroomRoom = (classroomId: string): string => `classroom:${classroomId}`;
export const studentsRoom = (classroomId: string): string => `students:${classroomId}`;
export const instructorsRoom = (classroomId: string): string => `instructors:${classroomId}`;
export const memberRoom = (classroomId: string, memberId: string): string => `member:${classroomId}:${memberId}`;
export const roleRoom = (classroomId: string, role: Role): string => `role:${classroomId}:${role}`;

export function roomsOf(identity: Identity): string[] {
  // The host screen watches what the whole class sees, and nothing addressed to a member.
  if (identity.kind === 'display') return [classroomRoom(identity.classroomId)];
  const rooms = [classroomRoom(identity.classroomId), memberRoom(identity.classroomId, identity.memberId)];
  if (identity.kind === 'student') {
    rooms.push(studentsRoom(identity.classroomId));
    if (identity.role) rooms.push(roleRoom(identity.classroomId, identity.role));
  } else rooms.push(instructorsRoom(identity.classroomId));
  return rooms;
}

/**
 * Who reads a request-log entry live: the whole class when it was accepted; a refusal only its
 * sender and the instructor (a student's mistake is not the class's business, and a script's
 * burst of refusals does not flood everyone).
 */
export function requestAudience(classroomId: string, entry: ApiRequestEntry): string[] {
  if (entry.outcome === 'accepted') return [classroomRoom(classroomId)];
  const sender = entry.actor.startsWith('student:') ? [memberRoom(classroomId, entry.actor.slice('student:'.length))] : [];
  return [instructorsRoom(classroomId), ...sender];
}
