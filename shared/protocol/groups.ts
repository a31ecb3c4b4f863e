/**
 * Groups: the instructor splits the class; each group plays its own cluster (a classroom of its
 * own, with its own clock and round) in the same scenario, and the host screen compares them.
 */
import { z } from 'zod';
import type { Role } from './roles';
import { ROUND_TIME_SCALE, scenarioId } from './actions';
import type { RoundView } from './rounds';

/** As many groups as a class may be split into (the host screen shows them side by side). */
export const MAX_GROUPS = 6;

/** `POST /api/classrooms/:id/groups` (instructor): split the class and pick the scenario every group plays. */
export const splitGroupsRequest = z
  .object({
    groups: z.number().int().min(2).max(MAX_GROUPS),
    scenario: scenarioId,
    seed: z.number().int().min(0).max(2 ** 32 - 1).optional(),
    timeScale: z.number().min(ROUND_TIME_SCALE.min).max(ROUND_TIME_SCALE.max).optional(),
    /** Start every group's clock at once instead of waiting in the briefing. */
    start: z.boolean().optional(),
  })
  .strict();
export type SplitGroupsRequest = z.infer<typeof splitGroupsRequest>;

/** `POST /api/classrooms/:id/groups/round` (instructor): the same round request to every group. */
export const groupsRoundRequest = z.object({ action: z.enum(['start', 'pause', 'resume', 'restart']) }).strict();
export type GroupsRoundRequest = z.infer<typeof groupsRoundRequest>;

export interface GroupMemberView {
  id: string;
  name: string;
  role: Role | null;
  connected: boolean;
}

/** One group as the host screen compares it. */
export interface GroupView {
  id: string;
  name: string;
  members: GroupMemberView[];
  /** Worker nodes and whether each is Ready, from the group's own cluster. */
  nodes: { name: string; ready: boolean }[];
  round: RoundView | null;
}

/** `GET /api/classrooms/:id/groups` (any member or the host screen). */
export interface GroupsResponse {
  groups: GroupView[];
}
