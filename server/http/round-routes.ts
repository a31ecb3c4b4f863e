/**
 * Rounds over REST, for tools and tests:
 *   GET  /api/scenarios                          -> 200 [{ id, title, objective, timeLimitSeconds }]
 *   POST /api/classrooms/:id/scenarios  (YAML)   -> 201 { id } | 422 { code: "Invalid", message }   instructor
 *   POST /api/classrooms/:id/rounds     (JSON)   -> 201 { round }                                     instructor
 *   GET  /api/classrooms/:id/rounds/current      -> 200 { scenario, phase, goals, startedAt, … }      any member
 * The round requests go through the API server like the instructor's socket requests (one log).
 */
import express, { Router } from 'express';
import { z } from 'zod';
import { ROUND_TIME_SCALE, scenarioId } from '@shared/protocol';
import { MAX_SCENARIO_BYTES, parseScenario } from '@shared/scenarios';
import type { ClassroomChangeReason } from '../classroom/changes';
import { RefusalError } from '../classroom/refusal-error';
import type { ClassroomRepository } from '../classroom/repository';
import type { ApiServer } from '../cluster/api-server';
import { summaryOf } from '../rounds/catalogue';
import { instructorOf, memberOf } from './bearer';
import type { RoundService } from '../rounds/round-service';

export interface RoundRoutesDeps {
  classrooms: ClassroomRepository;
  api: ApiServer;
  rounds: RoundService;
  announce(classroomId: string, reasons: ClassroomChangeReason[]): Promise<void>;
}

const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml'];

const roundRequest = z
  .object({
    scenario: scenarioId,
    seed: z.number().int().min(0).max(2 ** 32 - 1).optional(),
    timeScale: z.number().min(ROUND_TIME_SCALE.min).max(ROUND_TIME_SCALE.max).optional(),
    /** Start the clock at once instead of waiting in the briefing. */
    start: z.boolean().optional(),
  })
  .strict();

/** Scenario uploads take YAML; mounted before the API's JSON-only body parsing. */
export function scenarioUploadRoutes({ classrooms, rounds }: RoundRoutesDeps): Router {
  const router = Router();
  router.post('/api/classrooms/:id/scenarios', express.text({ type: YAML_TYPES, limit: MAX_SCENARIO_BYTES }), async (req, res) => {
    const instructor = await instructorOf(req, classrooms, String(req.params['id']));
    if (!req.is(YAML_TYPES)) throw new RefusalError('UnsupportedMediaType', `a scenario is uploaded as YAML (Content-Type: application/yaml)`);
    const text = typeof req.body === 'string' ? req.body : '';
    const parsed = parseScenario(text);
    if (!parsed.ok) throw new RefusalError('Invalid', parsed.message);
    if (rounds.catalogue.builtin(parsed.scenario.id)) throw new RefusalError('Invalid', `id: "${parsed.scenario.id}" is a built-in scenario; choose another id`);
    await rounds.catalogue.upload(instructor.classroomId, parsed.scenario, text);
    res.status(201).json({ id: parsed.scenario.id });
  });
  return router;
}

export function roundRoutes({ classrooms, api, rounds, announce }: RoundRoutesDeps): Router {
  const router = Router();

  router.get('/api/scenarios', (_req, res) => {
    res.json(rounds.catalogue.builtins.map(summaryOf));
  });

  router.post('/api/classrooms/:id/rounds', async (req, res) => {
    const instructor = await instructorOf(req, classrooms, String(req.params['id']));
    const parsed = roundRequest.safeParse(req.body ?? {});
    if (!parsed.success) throw new RefusalError('BadRequest', parsed.error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; '));
    const { scenario, seed, timeScale, start } = parsed.data;
    const classroomId = instructor.classroomId;
    if (timeScale !== undefined) {
      await classrooms.runCommand(classroomId, { kind: 'setTimeScale', timeScale });
      await announce(classroomId, ['clock']);
    }
    const picked = await api.instruct(instructor, { kind: 'runScenario', scenario, ...(seed === undefined ? {} : { seed }) });
    if (!picked.reply.ok) throw new RefusalError(picked.reply.code, picked.reply.message);
    if (start) {
      const started = await api.instruct(instructor, { kind: 'startRound' });
      if (!started.reply.ok) throw new RefusalError(started.reply.code, started.reply.message);
    }
    res.status(201).json({ round: await rounds.view(classroomId) });
  });

  router.get('/api/classrooms/:id/rounds/current', async (req, res) => {
    const { classroomId } = await memberOf(req, classrooms, String(req.params['id']));
    const view = await rounds.view(classroomId);
    if (!view) throw new RefusalError('NotFound', 'no round in this classroom yet: the instructor picks a scenario first');
    res.json({
      scenario: view.scenario,
      phase: view.phase,
      goals: view.goals.map(({ id, text, met }) => ({ id, text, met })),
      startedAt: view.startedAt,
      ...(view.endedAt === undefined ? {} : { endedAt: view.endedAt }),
      elapsedSeconds: view.elapsedSeconds,
      timeLimitSeconds: view.timeLimitSeconds,
      scores: view.scores.map(({ memberId, name, score }) => ({ memberId, name, score })),
    });
  });

  return router;
}
