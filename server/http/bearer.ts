import type { Request } from 'express';
import type { Identity } from '@shared/protocol';
import { RefusalError } from '../classroom/refusal-error';
import type { ClassroomRepository } from '../classroom/repository';
import { classroomIdOfToken } from '../classroom/secrets';

type Instructor = Extract<Identity, { kind: 'instructor' }>;

/** The token of `Authorization: Bearer <token>`; 401 Unauthorized when there is none. */
export function bearerToken(req: Request, whose = 'your classroom token'): string {
  const match = /^Bearer\s+(\S{1,256})$/i.exec(req.get('authorization') ?? '');
  if (!match?.[1]) throw new RefusalError('Unauthorized', `send ${whose} as "Authorization: Bearer <token>"`);
  return match[1];
}

/** Whoever holds the bearer token: an unknown or revoked token is 401 Unauthorized. */
async function callerOf(req: Request, classrooms: ClassroomRepository, whose?: string): Promise<Identity> {
  const identity = await classrooms.authenticate(bearerToken(req, whose));
  if (!identity) throw new RefusalError('Unauthorized', 'unknown or revoked token');
  return identity;
}

/**
 * A member (student, instructor or host screen) of classroom `classroomId`; another classroom's
 * token is 403. A student of a class split into groups plays in their group: the token the class
 * issued, sent to the class's URL (the only one the student knows), answers as that member of the
 * group, so a route reads the returned identity's classroom, not the URL's.
 */
export async function memberOf(req: Request, classrooms: ClassroomRepository, classroomId: string): Promise<Identity> {
  const identity = await callerOf(req, classrooms);
  if (identity.classroomId !== classroomId && classroomIdOfToken(bearerToken(req)) !== classroomId) {
    throw new RefusalError('Forbidden', `this token is for another classroom, not "${classroomId}"`);
  }
  return identity;
}

/**
 * The instructor of classroom `classroomId` (or of any classroom when it is null), proved by the
 * bearer token: no or an unknown token is 401 Unauthorized, anyone else's token (a student, the host
 * screen, another classroom's instructor) 403 Forbidden.
 */
export async function instructorOf(req: Request, classrooms: ClassroomRepository, classroomId: string | null): Promise<Instructor> {
  const identity = await callerOf(req, classrooms, 'the instructor token');
  if (identity.kind !== 'instructor' || (classroomId !== null && identity.classroomId !== classroomId)) {
    throw new RefusalError('Forbidden', classroomId === null ? 'only an instructor may do this' : `only the instructor of classroom "${classroomId}" may do this`);
  }
  return identity;
}
