import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { connectRedis, type RedisClient } from '../redis/connect';
import { classroomKeys } from './keys';
import { createClassroomRepository, type ClassroomRepository } from './repository';

/**
 * The seat version (keys.ts): a process keeps the room it read and reads it again only when the
 * version moved, so every writer of the five hashes must bump it. Each writer runs in "another
 * process" (its own repository) after this one kept the room: this one's next read must equal a
 * read with nothing kept. A writer that forgot the bump leaves the kept room behind and fails here.
 */
const prefix = `${inject('redisKeyPrefix')}-seat-version`;
let redis: RedisClient;
let now = 1_000_000;
const repository = (serverId: string): ClassroomRepository =>
  createClassroomRepository({ redis, prefix, maxStudents: 30, seatGraceMs: 1000, serverId, now: () => now });
let writer: ClassroomRepository;
let keeper: ClassroomRepository;

beforeAll(async () => {
  redis = await connectRedis(inject('redisUrl'));
  writer = repository('writer');
  keeper = repository('keeper');
});
afterAll(() => redis?.close());

/** The count of changes the version carries (`<n>.<s>.<us>`). */
const changes = (version: string | null | undefined): number => Number((version ?? '0').split('.')[0]);
const version = async (id: string): Promise<number> => changes(await redis.get(classroomKeys(prefix, id).seatVersion));

describe('the seat version: every change of the room moves it, so a kept room is never read stale', () => {
  test('each writer of meta, members, roles, presence or bot help bumps it in the same step', async () => {
    const { id, code } = await writer.create({ nodes: 1 });
    const { studentId: ann } = await writer.join({ code, name: 'Ann' });
    const { studentId: bob } = await writer.join({ code, name: 'Bob' });
    const { id: group } = await writer.create({});
    const writers: [string, () => Promise<unknown>][] = [
      ['join', () => writer.join({ code, name: 'Cy' })],
      ['assignRole', () => writer.assignRole(id, ann, 'scheduler')],
      ['autoAssignRoles', () => writer.autoAssignRoles(id)],
      ['addNode', () => writer.addNode(id)],
      ['setNodes', () => writer.setNodes(id, ['node-1'])],
      ['setLocked', () => writer.setLocked(id, true)],
      ['setBotHelp', () => writer.setBotHelp(id, 'scheduler', false)],
      ['setBotPace', () => writer.setBotPace(id, { secondsPerAction: 9 })],
      ['runCommand', () => writer.runCommand(id, { kind: 'start' })],
      ['markConnected', () => writer.markConnected(id, ann, 'socket-1')],
      ['markDisconnected', () => writer.markDisconnected(id, ann)],
      ['takeDueHandBacks', () => ((now += 5000), writer.takeDueHandBacks())],
      ['markConnected (a process that will die)', () => repository('doomed').markConnected(id, bob, 'socket-2')],
      ['reapProcess', () => writer.reapProcess('doomed', now)],
      ['removeStudent', () => writer.removeStudent(id, bob)],
      ['issueDisplayToken', () => writer.issueDisplayToken(id)],
    ];
    for (const [name, write] of writers) {
      await keeper.read(id);
      const before = await version(id);
      await write();
      expect(await version(id), name).toBeGreaterThan(before);
      const fresh = await repository('fresh').read(id);
      expect(await keeper.read(id), name).toEqual(fresh);
    }
    // A group's members copied in by a split of the class.
    await keeper.read(group);
    const before = await version(group);
    const member = (await writer.read(id))?.members.find((m) => m.id === ann);
    await writer.addMembers(group, member ? [member] : []);
    expect(await version(group)).toBeGreaterThan(before);
    expect((await keeper.read(group))?.members.map((m) => m.name).sort()).toEqual(['Ann', 'Instructor']);
  });

  test('a change lost with a failed-over master and the next one made on its replica never show the same version', async () => {
    const { id } = await writer.create({ nodes: 1 });
    const keys = classroomKeys(prefix, id);
    const replica = await redis.get(keys.seatVersion);
    await writer.setLocked(id, true);
    expect((await keeper.read(id))?.locked).toBe(true);
    // The replica that takes over never got the lock: its room and version are those before it.
    await redis.multi().hSet(keys.meta, 'locked', '0').set(keys.seatVersion, replica ?? '0').exec();
    await writer.setBotPace(id, { secondsPerAction: 9 });
    const fresh = await repository('fresh').read(id);
    expect(fresh).toMatchObject({ locked: false, botPace: { secondsPerAction: 9 } });
    expect(await keeper.read(id)).toEqual(fresh);
  });

  test('a read while nothing moved answers from the kept room, with one GET in a script', async () => {
    const { id, code } = await writer.create({ nodes: 1 });
    await writer.join({ code, name: 'Ann' });
    const first = await keeper.room(id);
    expect(await keeper.room(id)).toBe(first);
    expect(keeper.keptRoom(id)).toBe(first);
    await writer.setLocked(id, true);
    const second = await keeper.room(id);
    expect(second).not.toBe(first);
    expect(second?.record.locked).toBe(true);
    expect(changes(second?.version)).toBeGreaterThan(changes(first?.version));
  });
});
