import { Router, type Request } from 'express';
import type { z } from 'zod';
import { createClassroomRequest, joinClassroomRequest } from '@shared/protocol';
import type { JoinLimiter } from '../classroom/join-limiter';
import { RefusalError } from '../classroom/refusal-error';
import type { ClassroomRepository } from '../classroom/repository';

export interface ClassroomRoutesDeps {
  classrooms: ClassroomRepository;
  joinLimiter: JoinLimiter;
}

function parseBody<T extends z.ZodType>(schema: T, req: Request): z.infer<T> {
  const parsed = schema.safeParse(req.body ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; ');
    throw new RefusalError('BadRequest', problems);
  }
  return parsed.data;
}

/** The classroom REST API: POST /api/classrooms (instructor) and POST /api/classrooms/join (students). */
export function classroomRoutes({ classrooms, joinLimiter }: ClassroomRoutesDeps): Router {
  const router = Router();

  router.post('/api/classrooms', async (req, res) => {
    // Creations have an allowance of their own per address: the join limiter's numbers, its own count.
    // The count is per allowance too, so servers sharing a Redis with different settings (a rollout,
    // the test suite) do not spend each other's.
    if (!(await joinLimiter.allow(`create:${joinLimiter.limit}/${joinLimiter.windowSeconds}s:${req.ip ?? 'unknown'}`))) {
      res.setHeader('Retry-After', String(joinLimiter.windowSeconds));
      throw new RefusalError('TooManyRequests', `too many classrooms created from this address: at most ${joinLimiter.limit} per ${joinLimiter.windowSeconds} s; wait a minute and try again`);
    }
    res.status(201).json(await classrooms.create(parseBody(createClassroomRequest, req)));
  });

  router.post('/api/classrooms/join', async (req, res) => {
    // Counted before anything else, so failed guesses of a code use up the allowance too.
    if (!(await joinLimiter.allow(req.ip ?? 'unknown'))) {
      res.setHeader('Retry-After', String(joinLimiter.windowSeconds));
      throw new RefusalError('TooManyRequests', `too many join attempts from this address: at most ${joinLimiter.limit} per ${joinLimiter.windowSeconds} s; wait a minute and try again`);
    }
    res.status(201).json(await classrooms.join(parseBody(joinClassroomRequest, req)));
  });

  return router;
}
