/**
 * Retention: a classroom closed longer than its retention is written to a gzip NDJSON file, the
 * same lines as its export (so it imports like one), and then removed from Redis: every key under
 * its hash tag, its join code, its hand-backs and process entries, and its compacted segments.
 * Each step can run again: a sweep after a crash finishes what the last one began.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { closedClassroomsKey, codesKey, processClassroomsKey, processesKey, seatHandbacksKey } from '../classroom/keys';
import { classroomKeys } from '../classroom/keys';
import { isCluster } from '../redis/connect';
import { segmentDir, type ReplayFiles } from './compaction';
import { exportLines } from './export-log';
import { writeGzipLines } from './gzip-lines';

export function archiveFile(dataDir: string, keyPrefix: string, classroomId: string): string {
  return path.join(dataDir, 'archives', keyPrefix, `${classroomId}.ndjson.gz`);
}

/** Closed classrooms whose retention is over at `now`, oldest first, at most `count`. */
export async function dueForArchive({ redis, keyPrefix }: ReplayFiles, retentionMs: number, now: number, count: number): Promise<string[]> {
  return redis.zRangeByScore(closedClassroomsKey(keyPrefix), '-inf', now - retentionMs, { LIMIT: { offset: 0, count } });
}

export interface Archived {
  classroomId: string;
  /** null when Redis held nothing of it any more (an earlier sweep archived it). */
  file: string | null;
  lines: number;
  bytes: number;
  keysRemoved: number;
}

export async function archiveClassroom(files: ReplayFiles, classroomId: string): Promise<Archived> {
  const { redis, keyPrefix, dataDir } = files;
  const meta = classroomKeys(keyPrefix, classroomId).meta;
  const [title, code] = z.tuple([z.string().nullable(), z.string().nullable()]).parse(await redis.hmGet(meta, ['title', 'code']));
  let written: { file: string; lines: number; bytes: number } | null = null;
  if (title !== null) {
    const file = archiveFile(dataDir, keyPrefix, classroomId);
    const { lines, bytes } = await writeGzipLines(file, await exportLines({ ...files, classroom: { id: classroomId, title } }));
    written = { file, lines, bytes };
  }
  if (code !== null && (await redis.hGet(codesKey(keyPrefix), code)) === classroomId) await redis.hDel(codesKey(keyPrefix), code);
  let keysRemoved = 0;
  // On a Redis Cluster the hash tag keeps them on one master; each master is asked (the others hold none).
  const nodes = isCluster(redis) ? await Promise.all(redis.masters.map((master) => redis.nodeClient(master))) : [redis];
  for (const node of nodes) {
    for await (const keys of node.scanIterator({ MATCH: `${keyPrefix}:{${classroomId}}:*`, COUNT: 500 })) {
      if (keys.length) keysRemoved += await redis.unlink(keys);
    }
  }
  const handBacks = (await redis.zRange(seatHandbacksKey(keyPrefix), 0, -1)).filter((m) => m.startsWith(`${classroomId}:`));
  if (handBacks.length) await redis.zRem(seatHandbacksKey(keyPrefix), handBacks);
  for (const serverId of await redis.zRange(processesKey(keyPrefix), 0, -1)) await redis.sRem(processClassroomsKey(keyPrefix, serverId), classroomId);
  await rm(segmentDir(dataDir, keyPrefix, classroomId), { recursive: true, force: true });
  await redis.zRem(closedClassroomsKey(keyPrefix), classroomId);
  return { classroomId, file: written?.file ?? null, lines: written?.lines ?? 0, bytes: written?.bytes ?? 0, keysRemoved };
}
