import { z } from 'zod';
import { ErrorCode, type CreateClassroomRequest, type CreateClassroomResponse, type JoinClassroomRequest, type JoinClassroomResponse } from '@shared/protocol';

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

async function post<T>(path: string, body: unknown, schema: z.ZodType<T>): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
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
