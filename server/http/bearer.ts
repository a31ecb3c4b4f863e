import type { Request } from 'express';
import type { Identity } from '@shared/protocol';
import { RefusalError } from '../classroom/refusal-error';
import type { ClassroomRepository } from '../classroom/repository';

type Instructor = Extract<Identity, { kind: 'instructor' }>;

/**
 * The instructor of classroom `classroomId`, proved by `Authorization: Bearer <instructor token>`:
 * no or an unknown token is 401 Unauthorized, anyone else's token (a student, the host screen,
 * another classroom's instructor) 403 Forbidden.
 */
export async function instructorOf(req: Request, classrooms: ClassroomRepository, classroomId: string): Promise<Instructor> {
  const match = /^Bearer\s+(\S{1,256})$/i.exec(req.get('authorization') ?? '');
  if (!match?.[1]) throw new RefusalError('Unauthorized', 'send the instructor token as "Authorization: Bearer <token>"');
  const identity = await classrooms.authenticate(match[1]);
  if (!identity) throw new RefusalError('Unauthorized', 'unknown or revoked token');
  if (identity.kind !== 'instructor' || identity.classroomId !== classroomId) {
    throw new RefusalError('Forbidden', `only the instructor of classroom "${classroomId}" may do this`);
  }
  return identity;
}
