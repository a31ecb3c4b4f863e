/**
 * Groups over REST (the instructor's console and tools):
 *   POST   /api/classrooms/:id/groups        { groups, scenario, seed?, timeScale?, start? } -> 201 { groups }  instructor
 *   POST   /api/classrooms/:id/groups/round  { action: start|pause|resume|restart }          -> 200 { groups }  instructor
 *   DELETE /api/classrooms/:id/groups                                                         -> 200 { dissolved } instructor
 *   GET    /api/classrooms/:id/groups        -> 200 { groups: GroupView[] }  any member of the class, or its host screen
 */
import { Router, type Request } from 'express';
import type { z } from 'zod';
import { groupsRoundRequest, splitGroupsRequest, type GroupsResponse } from '@shared/protocol';
import { RefusalError } from '../classroom/refusal-error';
import type { ClassroomRepository } from '../classroom/repository';
import type { ClassGroups } from '../rounds/class-groups';
import { instructorOf, memberOf } from './bearer';

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
    const { classroomId } = await memberOf(req, classrooms, idOf(req));
    res.json({ groups: await groups.compare(classroomId) } satisfies GroupsResponse);
  });

  return router;
}
