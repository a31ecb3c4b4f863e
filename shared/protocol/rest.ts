import { z } from 'zod';
import { displayNameKey, normalizeDisplayName } from './display-names';

/** Join codes avoid look-alike characters (no 0/O, 1/I/L) so they can be read off a projector. */
export const JOIN_CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
export const JOIN_CODE_LENGTH = 6;
export const joinCodeSchema = z
  .string()
  .trim()
  .toUpperCase()
  .refine((c) => c.length === JOIN_CODE_LENGTH && [...c].every((ch) => JOIN_CODE_ALPHABET.includes(ch)), {
    message: `a join code is ${JOIN_CODE_LENGTH} characters from ${JOIN_CODE_ALPHABET}`,
  });

export const displayNameSchema = z
  .string()
  .trim()
  .min(1, 'enter a name')
  .refine((s) => !/[\p{Cc}<>]/u.test(s), 'a name cannot contain control characters or < >')
  // Kept as the roster shows it, so names that look alike compare alike (display-names.ts).
  .transform(normalizeDisplayName)
  // Measured as kept (NFC can lengthen a name), and not made of invisible characters alone.
  .pipe(z.string().max(40, 'a name has at most 40 characters').refine((s) => displayNameKey(s).length > 0, 'enter a name'));

/** The most worker nodes any server lets a classroom have (MAX_NODES is set up to this). */
export const NODE_COUNT_LIMIT = 1000;

/** POST /api/classrooms */
export const createClassroomRequest = z
  .object({
    title: z.string().trim().min(1).max(80).optional(),
    /** Worker nodes of the simulated cluster (at most the server's MAX_NODES, 12 unless set). */
    nodes: z.number().int().min(1).max(NODE_COUNT_LIMIT).optional(),
    scenario: z.string().max(64).optional(),
  })
  .strict();
export type CreateClassroomRequest = z.infer<typeof createClassroomRequest>;
export interface CreateClassroomResponse {
  id: string;
  code: string;
  instructorToken: string;
}

/** POST /api/classrooms/join */
export const joinClassroomRequest = z
  .object({
    code: joinCodeSchema,
    name: displayNameSchema,
    /**
     * A random secret the join page makes once and sends with every try: a try whose answer was
     * lost (a timeout, a dropped connection) may have joined, and its retry is then answered as that
     * join, with a new token, not refused as a namesake; under a corrected name it renames the member
     * that join made, which the student never saw (409 Conflict once that member has connected).
     */
    attempt: z.string().regex(/^[A-Za-z0-9_-]{16,64}$/, 'an attempt is 16 to 64 characters from A-Z a-z 0-9 _ -').optional(),
    /**
     * Which try of the attempt this is (1, 2, …): tries can arrive out of order (one whose connection
     * dropped may still be on its way when the next is sent), and an older one than the newest the
     * server has seen changes nothing (409 Conflict), so the name of the last try sent is the one kept.
     */
    try: z.number().int().min(1).max(1_000_000).optional(),
  })
  .strict();
export type JoinClassroomRequest = z.infer<typeof joinClassroomRequest>;
export interface JoinClassroomResponse {
  classroomId: string;
  studentId: string;
  token: string;
}

/** GET /api/config: what the client needs to know about this server. */
export interface ServerConfigResponse {
  /** Where students open the join link (`<joinBaseUrl>/join/<code>`): PUBLIC_URL, else this machine's LAN address. */
  joinBaseUrl: string;
}

/** POST /api/classrooms/:id/display (instructor bearer): the host screen's link, with its own read-only token. */
export interface DisplayLinkResponse {
  /** `<joinBaseUrl>/display/<id>#token=<token>`: the token in the fragment, so no server or proxy logs it. */
  url: string;
  token: string;
}
