import { z } from 'zod';
import { createReplayResponse, type CreateReplayResponse, type LogEntry, type ReplayEntries, type ReplayMoment, type ReplaySummary } from '@shared/protocol';

/** The replay REST calls; the server's refusal message becomes the error's. */
export class ReplayApiError extends Error {}

const errorBody = z.object({ code: z.string(), message: z.string() });

async function call(path: string, token: string, init: RequestInit = {}): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(path, { ...init, headers: { ...init.headers, authorization: `Bearer ${token}` } });
  } catch {
    throw new ReplayApiError('The server cannot be reached. Check your network and try again.');
  }
  const json: unknown = await response.json().catch(() => null);
  if (!response.ok) {
    const error = errorBody.safeParse(json);
    throw new ReplayApiError(error.success ? error.data.message : `The server answered ${response.status}.`);
  }
  return json;
}

// The replay's entries and moments were checked when the log was imported: read as sent.
export const replayApi = {
  summary: (id: string, token: string) => call(`/api/replays/${encodeURIComponent(id)}`, token) as Promise<ReplaySummary>,
  moment: (id: string, token: string, point: { index: number } | { at: number }) =>
    call(`/api/replays/${encodeURIComponent(id)}/state?${'index' in point ? `index=${point.index}` : `at=${Math.floor(point.at)}`}`, token) as Promise<ReplayMoment>,
  entries: async (id: string, token: string, from: number, limit: number): Promise<LogEntry[]> =>
    ((await call(`/api/replays/${encodeURIComponent(id)}/entries?from=${from}&limit=${limit}`, token)) as ReplayEntries).entries,
  /** The instructor's "Open replay": the classroom's log as it is now, imported on the server. */
  async fromClassroom(classroomId: string, instructorToken: string): Promise<CreateReplayResponse> {
    return createReplayResponse.parse(await call(`/api/classrooms/${encodeURIComponent(classroomId)}/replays`, instructorToken, { method: 'POST' }));
  },
};
