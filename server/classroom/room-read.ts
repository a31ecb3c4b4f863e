/**
 * The room as one read: the five hashes of a classroom (meta, members, roles, presence, botHelp)
 * and the seat version every writer of them bumps in the same step (keys.ts). A process keeps the
 * last room it read of each classroom; the next read is one script that answers with the version
 * alone while it has not moved, so a read is as fresh as ever at a GET's cost. A bot's write uses
 * the kept room without any read: its commit script checks the version (see api-server.ts).
 */
import { z } from 'zod';
import type { Role } from '@shared/protocol';
import type { RedisClient } from '../redis/connect';
import { LuaScript } from '../redis/lua-script';
import { classroomKeys } from './keys';
import { presenceSchema } from './presence';
import { READ_ROOM_SCRIPT } from './scripts';
import type { ClassroomRecord } from './view';

/** A classroom's record as of a seat version. */
export interface Room {
  record: ClassroomRecord;
  version: string;
}

// What Redis holds is parsed like any other input: a bad value fails loudly here, not deep in a view.
const json = <T extends z.ZodType>(schema: T) => z.string().transform((s): unknown => JSON.parse(s)).pipe(schema);
export const runStateSchema = z.object({
  phase: z.enum(['lobby', 'running', 'paused', 'closed']),
  clock: z.object({ simAtWall: z.number(), wall: z.number(), timeScale: z.number(), paused: z.boolean() }),
});
const metaSchema = z.object({
  code: z.string(),
  title: z.string(),
  nodes: json(z.array(z.string())),
  run: json(runStateSchema),
  locked: z.enum(['0', '1']).transform((v) => v === '1'),
  botPace: json(z.object({ secondsPerAction: z.number() })),
  instructorId: z.string(),
  classId: z.string().optional(),
  createdAt: z.string().regex(/^\d+$/).transform(Number),
});
const memberSchema = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.enum(['instructor', 'student']),
  joinedAt: z.number(),
  tokenHash: z.string(),
});
const flatHash = z.array(z.string());
const replySchema = z.union([z.tuple([z.string()]), z.tuple([z.string(), flatHash, flatHash, flatHash, flatHash, flatHash])]);

/** Rooms kept per process: every classroom this process serves, with room to spare; the oldest read goes first. */
const KEPT_ROOMS = 2000;

const readRoom = new LuaScript(READ_ROOM_SCRIPT);

function hashOf(flat: readonly string[]): Record<string, string> {
  const hash: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) hash[flat[i] as string] = flat[i + 1] as string;
  return hash;
}

function recordOf(classroomId: string, [meta, members, roles, presence, botHelp]: Record<string, string>[]): ClassroomRecord | null {
  if (!meta || Object.keys(meta).length === 0) return null;
  const m = metaSchema.parse(meta);
  return {
    id: classroomId,
    code: m.code,
    title: m.title,
    nodes: m.nodes,
    createdAt: m.createdAt,
    run: m.run,
    locked: m.locked,
    botPace: m.botPace,
    ...(m.classId === undefined ? {} : { classId: m.classId }),
    members: Object.values(members ?? {})
      .map((s) => memberSchema.parse(JSON.parse(s)))
      .sort((a, b) => a.joinedAt - b.joinedAt || a.id.localeCompare(b.id)),
    roles: new Map(Object.entries(roles ?? {}) as [string, Role][]),
    presence: new Map(Object.entries(presence ?? {}).map(([id, s]) => [id, presenceSchema.parse(JSON.parse(s))])),
    botHelpOff: new Set(Object.entries(botHelp ?? {}).flatMap(([role, on]) => (on === '0' ? [role as Role] : []))),
  };
}

export type RoomReader = ReturnType<typeof createRoomReader>;

export function createRoomReader(redis: RedisClient, prefix: string) {
  const kept = new Map<string, Room>();

  /** The room as of now: the kept one when the version has not moved since, else read whole. Callers must not change it. */
  async function read(classroomId: string): Promise<Room | null> {
    const keys = classroomKeys(prefix, classroomId);
    const known = kept.get(classroomId);
    const reply = replySchema.parse(
      await readRoom.call(redis, [keys.seatVersion, keys.meta, keys.members, keys.roles, keys.presence, keys.botHelp], [known?.version ?? '']),
    );
    if (reply.length === 1) {
      if (known && known.version === reply[0]) return known;
      throw new Error(`the room read answered version ${reply[0]} alone for a version it was not given`);
    }
    const [version, ...hashes] = reply;
    const record = recordOf(classroomId, hashes.map(hashOf));
    kept.delete(classroomId);
    if (!record) return null;
    const room = { record, version };
    kept.set(classroomId, room);
    if (kept.size > KEPT_ROOMS) kept.delete(kept.keys().next().value as string);
    return room;
  }

  return {
    read,
    /** The room this process read last, without a round trip; it may be behind (check its version). */
    kept: (classroomId: string): Room | undefined => kept.get(classroomId),
  };
}
