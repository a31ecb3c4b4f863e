/**
 * Groups over REST (the instructor's console and tools):
 *   POST   /api/classrooms/:id/groups        { groups, scenario, seed?, timeScale?, start? } -> 201 { groups }  instructor
 *   POST   /api/classrooms/:id/groups/round  { action: start|pause|resume|restart }          -> 200 { groups }  instructor
 *   DELETE /api/classrooms/:id/groups                                                         -> 200 { dissolved } instructor
 *   GET    /api/classrooms/:id/groups        -> 200 { groups: GroupView[] }  any member of the class (students in a group too), or its host screen
 */
import { Router, type Request } from 'express';
import type { z } from 'zod';
import { groupsRoundRequest, splitGroupsRequest, type GroupsResponse } from '@shared/protocol';
import { RefusalError } from '../classroom/refusal-error';
import type { ClassroomRepository } from '../classroom/repository';
import type { ClassGroups } from '../rounds/class-groups';
import { bearerToken, instructorOf } from './bearer';

export interface GroupRoutesDeps {
  classrooms: ClassroomRepository;
  groups: ClassGroups;
}

function bodyOf<T extends z.ZodType>(schema: T, req: Request): z.infer<T> {
  const parsed = schema.safeParse(req.body ?? {});
  if (!parsed.success) throw new RefusalError('BadRequest', parsed.error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; '));
  return parsed.data;
}

export function groupRoutes({ classrooms, groups }: GroupRoutesDeps): Router {
  const router = Router();
  const idOf = (req: Request): string => String(req.params['id']);

  router.post('/api/classrooms/:id/groups', async (req, res) => {
    const instructor = await instructorOf(req, classrooms, idOf(req));
    const request = bodyOf(splitGroupsRequest, req);
    res.status(201).json({ groups: await groups.split(instructor, request) });
  });

  router.post('/api/classrooms/:id/groups/round', async (req, res) => {
    const instructor = await instructorOf(req, classrooms, idOf(req));
    await groups.round(instructor, bodyOf(groupsRoundRequest, req));
    res.json({ groups: await groups.compare(instructor.classroomId) } satisfies GroupsResponse);
  });

  router.delete('/api/classrooms/:id/groups', async (req, res) => {
    const instructor = await instructorOf(req, classrooms, idOf(req));
    res.json({ dissolved: await groups.dissolve(instructor) });
  });

  router.get('/api/classrooms/:id/groups', async (req, res) => {
    const classroomId = idOf(req);
    // A student of the class plays in a group: their token seats them there, and still reads the class's groups.
    const identity = await classrooms.authenticate(bearerToken(req));
    if (!identity) throw new RefusalError('Unauthorized', 'unknown or revoked token');
    if (identity.classroomId !== classroomId && !(await groups.list(classroomId)).some((g) => g.id === identity.classroomId)) {
      throw new RefusalError('Forbidden', `this token is for another classroom, not "${classroomId}"`);
    }
    res.json({ groups: await groups.compare(classroomId) } satisfies GroupsResponse);
  });

  return router;
}
