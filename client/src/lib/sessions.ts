import { z } from 'zod';

/**
 * The tokens this browser holds, per classroom, in localStorage: a reload, a new tab or a server
 * restart keeps the identity (the server keeps only a hash of the token).
 */
const sessionSchema = z.object({
  classroomId: z.string().min(1),
  kind: z.enum(['instructor', 'student']),
  token: z.string().min(1),
  code: z.string().optional(),
  name: z.string().optional(),
});
export type StoredSession = z.infer<typeof sessionSchema>;

const KEY = 'clusterplay.sessions';
const storeSchema = z.record(z.string(), sessionSchema);

function readAll(): Record<string, StoredSession> {
  try {
    const parsed = storeSchema.safeParse(JSON.parse(localStorage.getItem(KEY) ?? '{}'));
    return parsed.success ? parsed.data : {};
  } catch {
    return {};
  }
}

const keyOf = (kind: StoredSession['kind'], classroomId: string) => `${kind}:${classroomId}`;

export function saveSession(session: StoredSession): void {
  localStorage.setItem(KEY, JSON.stringify({ ...readAll(), [keyOf(session.kind, session.classroomId)]: session }));
}

export function findSession(kind: StoredSession['kind'], classroomId: string): StoredSession | undefined {
  return readAll()[keyOf(kind, classroomId)];
}

export function forgetSession(kind: StoredSession['kind'], classroomId: string): void {
  const all = readAll();
  delete all[keyOf(kind, classroomId)];
  localStorage.setItem(KEY, JSON.stringify(all));
}

/** A student session this browser already holds for a join code: rejoining resumes it instead of adding a new student. */
export function findStudentSessionByCode(code: string): StoredSession | undefined {
  return Object.values(readAll()).find((s) => s.kind === 'student' && s.code === code);
}
