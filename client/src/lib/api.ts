import { z } from 'zod';
import {
  ErrorCode,
  type CreateClassroomRequest,
  type CreateClassroomResponse,
  type DisplayLinkResponse,
  type GroupsRoundRequest,
  type GroupView,
  type JoinClassroomRequest,
  type JoinClassroomResponse,
  type ScenarioSummary,
  type ServerConfigResponse,
  type SplitGroupsRequest,
} from '@shared/protocol';

/** The classroom REST calls; replies are parsed, errors surface as `ApiError` with the server's words. */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const errorBody = z.object({ code: z.enum(Object.values(ErrorCode) as [ErrorCode, ...ErrorCode[]]), message: z.string() });
const createResponse = z.object({ id: z.string().min(1), code: z.string().min(1), instructorToken: z.string().min(1) });
const joinResponse = z.object({ classroomId: z.string().min(1), studentId: z.string().min(1), token: z.string().min(1) });
const configResponse: z.ZodType<ServerConfigResponse> = z.object({ joinBaseUrl: z.string().min(1) });
const displayLinkResponse: z.ZodType<DisplayLinkResponse> = z.object({ url: z.string().min(1), token: z.string().min(1) });
const scenariosResponse: z.ZodType<ScenarioSummary[]> = z.array(z.object({ id: z.string(), title: z.string(), objective: z.string(), timeLimitSeconds: z.number() }));

/** A group as the split answers it: its members and its own instructor token (to drive it alone). */
export interface SplitGroup {
  id: string;
  name: string;
  instructorToken: string;
  members: { id: string; name: string }[];
}
const splitResponse: z.ZodType<{ groups: SplitGroup[] }> = z.object({
  groups: z.array(z.object({ id: z.string(), name: z.string(), instructorToken: z.string(), members: z.array(z.object({ id: z.string(), name: z.string() })) })),
});
// The comparison itself is polled and shown as the server sends it; only its shape is checked here.
const groupsResponse = z.object({ groups: z.array(z.custom<GroupView>((v) => typeof v === 'object' && v !== null && 'id' in v && 'name' in v)) });
const dissolveResponse = z.object({ dissolved: z.number() });

function post<T>(path: string, body: unknown, schema: z.ZodType<T>, headers: Record<string, string> = {}): Promise<T> {
  return call(path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) }, schema);
}

async function call<T>(path: string, init: RequestInit, schema: z.ZodType<T>): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiError('ServiceUnavailable', 'The server cannot be reached. Check your network and try again.');
  }
  const json: unknown = await response.json().catch(() => null);
  if (!response.ok) {
    const error = errorBody.safeParse(json);
    throw error.success ? new ApiError(error.data.code, error.data.message) : new ApiError('InternalError', `The server answered ${response.status}.`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new ApiError('InternalError', 'The server sent an answer this page does not understand.');
  return parsed.data;
}

export function createClassroom(request: CreateClassroomRequest): Promise<CreateClassroomResponse> {
  return post('/api/classrooms', request, createResponse);
}

export function joinClassroom(request: JoinClassroomRequest): Promise<JoinClassroomResponse> {
  return post('/api/classrooms/join', request, joinResponse);
}

/** Where students open the join link: the server's PUBLIC_URL or LAN address, never this browser's `localhost`. */
export function getServerConfig(): Promise<ServerConfigResponse> {
  return call('/api/config', {}, configResponse);
}

/** A new link for the host screen (the previous one stops working). */
export function createDisplayLink(classroomId: string, instructorToken: string): Promise<DisplayLinkResponse> {
  return post(`/api/classrooms/${encodeURIComponent(classroomId)}/display`, {}, displayLinkResponse, { authorization: `Bearer ${instructorToken}` });
}

export function listScenarios(): Promise<ScenarioSummary[]> {
  return call('/api/scenarios', {}, scenariosResponse);
}

const groupsPath = (classroomId: string): string => `/api/classrooms/${encodeURIComponent(classroomId)}/groups`;
const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

/** Splits the class into groups, each playing `scenario` on its own cluster. */
export function splitGroups(classroomId: string, instructorToken: string, request: SplitGroupsRequest): Promise<{ groups: SplitGroup[] }> {
  return post(groupsPath(classroomId), request, splitResponse, bearer(instructorToken));
}

/** The same round request (start, pause, resume, restart) to every group; answers the groups as they are now. */
export function groupsRound(classroomId: string, instructorToken: string, action: GroupsRoundRequest['action']): Promise<{ groups: GroupView[] }> {
  return post(`${groupsPath(classroomId)}/round`, { action }, groupsResponse, bearer(instructorToken));
}

/** Brings the class back together; answers how many groups were closed. */
export function dissolveGroups(classroomId: string, instructorToken: string): Promise<{ dissolved: number }> {
  return call(groupsPath(classroomId), { method: 'DELETE', headers: bearer(instructorToken) }, dissolveResponse);
}

export function listGroups(classroomId: string, token: string): Promise<{ groups: GroupView[] }> {
  return call(groupsPath(classroomId), { headers: bearer(token) }, groupsResponse);
}
