/**
 * Session replay over HTTP. Export: `GET /api/classrooms/:id/log` (the classroom's instructor
 * token as a bearer token) streams the record as NDJSON. Import: `POST /api/replays` (any
 * instructor's token; `Content-Type: application/x-ndjson`, optionally gzip-encoded, or an
 * archive as `application/gzip`) -> 201 `{ id, token, expiresAt }`; `DELETE /api/replays/:id`
 * (the importing instructor's token) -> 204. A replay expires after REPLAY_TTL_DAYS. `POST /api/classrooms/:id/replays`
 * does both on the server: the instructor's "Open replay". The replay's own token (bearer) reads
 * it: `GET /api/replays/:id` (summary and timeline), `/state?resourceVersion=N | at=<sim ms> |
 * index=<entry>` (the moment), `/entries?from=&limit=` (entries, for playing forward).
 */
import { once } from 'node:events';
import { createGunzip, createInflate } from 'node:zlib';
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { LOG_MEDIA_TYPE, type Identity } from '@shared/protocol';
import { RefusalError } from '../classroom/refusal-error';
import type { ClassroomRepository } from '../classroom/repository';
import type { ReplayFiles } from '../replay/compaction';
import { exportLines } from '../replay/export-log';
import { ReplayImportError } from '../replay/import-error';
import { DEFAULT_IMPORT_LIMITS, DEFAULT_REPLAY_TTL_MS, importReplay, type ImportLimits } from '../replay/import-log';
import { Replays, type SeekTarget } from '../replay/replays';
import { bearerToken, instructorOf } from './bearer';

export interface ReplayRoutesDeps extends ReplayFiles {
  classrooms: ClassroomRepository;
  importLimits?: ImportLimits;
  replayTtlMs?: number;
}

const seekQuery = z.union([
  z.object({ resourceVersion: z.string().regex(/^\d{1,15}$/, 'resourceVersion is a decimal number') }).strict().transform((q) => ({ resourceVersion: Number(q.resourceVersion) })),
  z.object({ at: z.string().regex(/^-?\d{1,16}$/, 'at is a simulated time in milliseconds') }).strict().transform((q) => ({ at: Number(q.at) })),
  z.object({ index: z.string().regex(/^-?\d{1,9}$/, 'index is an entry number') }).strict().transform((q) => ({ index: Number(q.index) })),
]);
const entriesQuery = z.object({ from: z.string().regex(/^\d{1,9}$/), limit: z.string().regex(/^\d{1,5}$/).optional() }).strict();

/** An archive file (server/replay/archive.ts) as it is: gzip-compressed NDJSON. */
const ARCHIVE_MEDIA_TYPE = 'application/gzip';

/** Who may delete a replay: the instructor who imported it. */
const ownerOf = (instructor: Extract<Identity, { kind: 'instructor' }>): string => `${instructor.classroomId}/${instructor.memberId}`;

function bodyOf(req: Request): AsyncIterable<Buffer | string> {
  const encoding = String(req.headers['content-encoding'] ?? 'identity').toLowerCase();
  if (req.is(ARCHIVE_MEDIA_TYPE)) {
    if (encoding !== 'identity') throw new RefusalError('UnsupportedMediaType', `an archive (${ARCHIVE_MEDIA_TYPE}) is sent as it is, without Content-Encoding`);
    return req.pipe(createGunzip());
  }
  if (encoding === 'identity') return req;
  if (encoding === 'gzip' || encoding === 'x-gzip') return req.pipe(createGunzip());
  if (encoding === 'deflate') return req.pipe(createInflate());
  throw new RefusalError('UnsupportedMediaType', `Content-Encoding "${encoding}" is not supported: send the log as it is, or gzip`);
}

/** Import errors name the line; a corrupt gzip stream is the upload's fault too. */
function importRefusal(error: unknown): RefusalError | null {
  if (error instanceof ReplayImportError) return new RefusalError(error.code, error.message);
  if (error instanceof Error && 'code' in error && typeof error.code === 'string' && error.code.startsWith('Z_')) return new RefusalError('BadRequest', `the compressed body cannot be read: ${error.message}`);
  return null;
}

async function stream(res: Response, lines: AsyncIterable<string>): Promise<void> {
  let closed = false;
  const gone = new Promise<void>((resolve) => res.once('close', () => resolve(void (closed = true))));
  for await (const line of lines) {
    if (closed) return;
    if (!res.write(`${line}\n`)) await Promise.race([once(res, 'drain'), gone]);
  }
  res.end();
}

export function replayRoutes({ redis, keyPrefix, dataDir, classrooms, importLimits = DEFAULT_IMPORT_LIMITS, replayTtlMs = DEFAULT_REPLAY_TTL_MS }: ReplayRoutesDeps): Router {
  const router = Router();
  const replays = new Replays(redis, keyPrefix);

  async function classroomOf(req: Request): Promise<{ id: string; title: string; owner: string }> {
    const id = String(req.params['id']);
    const instructor = await instructorOf(req, classrooms, id);
    const view = await classrooms.view(id);
    if (!view) throw new RefusalError('NotFound', `classroom "${id}" not found`);
    return { id, title: view.title, owner: ownerOf(instructor) };
  }

  router.get('/api/classrooms/:id/log', async (req, res) => {
    const { id, title } = await classroomOf(req);
    const lines = await exportLines({ redis, keyPrefix, dataDir, classroom: { id, title } });
    res.status(200).type(LOG_MEDIA_TYPE).setHeader('Content-Disposition', `attachment; filename="clusterplay-${String(req.params['id'])}.ndjson"`);
    await stream(res, lines);
  });

  router.post('/api/classrooms/:id/replays', async (req, res) => {
    const { id: classroomId, title, owner } = await classroomOf(req);
    const lines = await exportLines({ redis, keyPrefix, dataDir, classroom: { id: classroomId, title } });
    const withNewlines = (async function* () {
      for await (const line of lines) yield `${line}\n`;
    })();
    const { id, token, expiresAt } = await importReplay({ redis, keyPrefix, owner, ttlMs: replayTtlMs }, withNewlines, importLimits);
    res.status(201).json({ id, token, expiresAt });
  });

  router.post('/api/replays', async (req, res) => {
    const owner = ownerOf(await instructorOf(req, classrooms, null));
    if (!req.is([LOG_MEDIA_TYPE, ARCHIVE_MEDIA_TYPE])) {
      const type = req.headers['content-type']?.split(';')[0]?.trim();
      throw new RefusalError('UnsupportedMediaType', `POST /api/replays takes an exported log (Content-Type: ${LOG_MEDIA_TYPE}) or an archive (${ARCHIVE_MEDIA_TYPE})${type ? `, not ${type}` : ''}`);
    }
    try {
      const { id, token, expiresAt } = await importReplay({ redis, keyPrefix, owner, ttlMs: replayTtlMs }, bodyOf(req), importLimits);
      res.status(201).json({ id, token, expiresAt });
    } catch (error) {
      const refusal = importRefusal(error);
      if (!refusal) throw error;
      // The rest of the upload is not read: the connection goes after the answer.
      if (!req.readableEnded) res.setHeader('Connection', 'close');
      throw refusal;
    }
  });

  router.delete('/api/replays/:id', async (req, res) => {
    await replays.delete(String(req.params['id']), ownerOf(await instructorOf(req, classrooms, null)));
    res.status(204).end();
  });

  router.get('/api/replays/:id', async (req, res) => {
    res.json((await replays.open(String(req.params['id']), bearerToken(req, 'the replay token'))).summary);
  });

  router.get('/api/replays/:id/state', async (req, res) => {
    const meta = await replays.open(String(req.params['id']), bearerToken(req, 'the replay token'));
    const query = seekQuery.safeParse(req.query);
    if (!query.success) throw new RefusalError('BadRequest', 'name one point: ?resourceVersion=<N>, ?at=<simulated time in ms> or ?index=<entry>');
    res.json(await replays.seek(meta, query.data as SeekTarget));
  });

  router.get('/api/replays/:id/entries', async (req, res) => {
    await replays.open(String(req.params['id']), bearerToken(req, 'the replay token'));
    const query = entriesQuery.safeParse(req.query);
    if (!query.success) throw new RefusalError('BadRequest', 'name where to start: ?from=<entry>&limit=<count>');
    const from = Number(query.data.from);
    res.json({ from, entries: await replays.entries(String(req.params['id']), from, Number(query.data.limit ?? 500)) });
  });

  return router;
}
