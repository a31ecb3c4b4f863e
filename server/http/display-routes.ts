import { Router, type Request } from 'express';
import type { DisplayLinkResponse, ServerConfigResponse } from '@shared/protocol';
import { RefusalError } from '../classroom/refusal-error';
import type { ClassroomRepository } from '../classroom/repository';
import { instructorOf } from './bearer';

export interface DisplayRoutesDeps {
  classrooms: ClassroomRepository;
  /** PUBLIC_URL or this machine's LAN address, decided per request (see join-url.ts); null when neither is known. */
  joinBaseUrl: () => string | null;
}

/**
 * The host screen and the join link: `GET /api/config` tells the client where students open the
 * join link; `POST /api/classrooms/:id/display` gives the instructor a link for the projector's own
 * browser, with a read-only token of its own.
 */
export function displayRoutes({ classrooms, joinBaseUrl }: DisplayRoutesDeps): Router {
  const router = Router();
  // Without a LAN address or PUBLIC_URL, the address the asking browser used is the only one known to work.
  const baseOf = (req: Request): string => joinBaseUrl() ?? `${req.protocol}://${req.get('host') ?? 'localhost'}`;

  router.get('/api/config', (req, res) => {
    const body: ServerConfigResponse = { joinBaseUrl: baseOf(req) };
    res.json(body);
  });

  router.post('/api/classrooms/:id/display', async (req, res) => {
    const classroomId = req.params.id;
    await instructorOf(req, classrooms, classroomId);
    if (Object.keys(req.body ?? {}).length) throw new RefusalError('BadRequest', 'this request takes no fields: send {}');
    const token = await classrooms.issueDisplayToken(classroomId);
    const body: DisplayLinkResponse = { url: `${baseOf(req)}/display/${encodeURIComponent(classroomId)}#token=${encodeURIComponent(token)}`, token };
    res.status(201).json(body);
  });

  return router;
}
