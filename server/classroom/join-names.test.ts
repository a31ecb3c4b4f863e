import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { connectRedis, type RedisClient } from '../redis/connect';
import { classroomKeys, joinAttemptKey } from './keys';
import { RefusalError } from './refusal-error';
import { createClassroomRepository, JOIN_ATTEMPT_TTL_MS, type ClassroomRepository } from './repository';
import { hashToken } from './secrets';

/**
 * A classroom holds each name once (shared/protocol/display-names.ts): the instructor's roster
 * and its "Role of <name>" selects must name one student each. Checked in the join's own Redis
 * step, so joins at once on several processes cannot both take a name.
 */
const prefix = `${inject('redisKeyPrefix')}-join-names`;
const redisClients: RedisClient[] = [];
let redis: RedisClient;
const repository = async (serverId: string): Promise<ClassroomRepository> => {
  // A connection of its own, as another server process has.
  const client = await connectRedis(inject('redisUrl'));
  redisClients.push(client);
  return createClassroomRepository({ redis: client, prefix, maxStudents: 30, seatGraceMs: 1000, serverId });
};
let one: ClassroomRepository;
let two: ClassroomRepository;

beforeAll(async () => {
  redis = await connectRedis(inject('redisUrl'));
  one = await repository('one');
  two = await repository('two');
});
afterAll(async () => {
  for (const client of [redis, ...redisClients]) await client?.close();
});

const TAKEN = (name: string) => new RefusalError('AlreadyExists', `the name "${name}" is already taken in this classroom: choose another`);
const STALE = (n: number) => new RefusalError('Conflict', `try ${n} of this join arrived after a later try, whose answer stands: it changes nothing`);

/** Everything a join writes: a refused one must leave all of it as it was. */
async function written(id: string): Promise<unknown> {
  const keys = classroomKeys(prefix, id);
  return { members: await redis.hGetAll(keys.members), tokens: await redis.hGetAll(keys.tokens), names: await redis.hGetAll(keys.names), seat: await redis.get(keys.seatVersion) };
}

const studentNames = async (repo: ClassroomRepository, id: string): Promise<string[]> =>
  ((await repo.read(id))?.members ?? []).filter((m) => m.kind === 'student').map((m) => m.name);

describe('one name per classroom', () => {
  test('a second "Kim", whatever its case, spacing or composition, is refused with 409 AlreadyExists and writes nothing', async () => {
    const { id, code } = await one.create({ nodes: 1 });
    await one.join({ code, name: 'Kim' });
    await one.join({ code, name: 'Zoë' });
    const before = await written(id);
    for (const [name, shown] of [['Kim', 'Kim'], ['kim', 'kim'], ['  KIM\u00a0', 'KIM'], ['Zoe\u0308', 'Zoë']] as const) {
      await expect(two.join({ code, name }), JSON.stringify(name)).rejects.toEqual(TAKEN(shown));
    }
    expect(await written(id)).toEqual(before);
    expect(await studentNames(two, id)).toEqual(['Kim', 'Zoë']);
    // Another classroom has a "Kim" of its own.
    const other = await two.create({ nodes: 1 });
    await expect(two.join({ code: other.code, name: 'Kim' })).resolves.toMatchObject({ classroomId: other.id });
  });

  test('two processes joining the same name at once: exactly one wins', async () => {
    for (let round = 0; round < 10; round++) {
      const { id, code } = await one.create({ nodes: 1 });
      const results = await Promise.allSettled([one.join({ code, name: 'Kim' }), two.join({ code, name: 'kim' }), one.join({ code, name: 'KIM' }), two.join({ code, name: ' Kim ' })]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'AlreadyExists' });
      expect(await studentNames(one, id)).toHaveLength(1);
      expect(Object.keys(await redis.hGetAll(classroomKeys(prefix, id).tokens))).toHaveLength(2); // the instructor's and the winner's
    }
  });

  test("the student's own token still works after a refused namesake, and a name the instructor removed is free again", async () => {
    const { id, code } = await one.create({ nodes: 1 });
    const kim = await one.join({ code, name: 'Kim' });
    await expect(two.join({ code, name: 'Kim' })).rejects.toEqual(TAKEN('Kim'));
    expect(await two.authenticate(kim.token)).toEqual({ kind: 'student', classroomId: id, memberId: kim.studentId, name: 'Kim', role: null });

    await one.removeStudent(id, kim.studentId);
    const again = await two.join({ code, name: 'kim' });
    expect(await studentNames(one, id)).toEqual(['kim']);
    expect(await one.authenticate(kim.token)).toBeNull();
    expect(await one.authenticate(again.token)).toMatchObject({ memberId: again.studentId, name: 'kim' });
  });

  test('the instructor is a member too: nobody joins as "Instructor"', async () => {
    const { code } = await one.create({ nodes: 1 });
    await expect(one.join({ code, name: 'instructor' })).rejects.toEqual(TAKEN('instructor'));
  });

  test('"Scenario" is a name like any other (a timeline mark says what made it apart from the names it shows): one student joins under it, a second is refused', async () => {
    const { id, code } = await one.create({ nodes: 1 });
    const scenario = await one.join({ code, name: 'Scenario' });
    expect(await one.authenticate(scenario.token)).toMatchObject({ kind: 'student', memberId: scenario.studentId, name: 'Scenario' });
    await expect(two.join({ code, name: 'scenario' })).rejects.toEqual(TAKEN('scenario'));
    expect(await studentNames(one, id)).toEqual(['Scenario']);
  });

  test("a group's members keep their names there: a join by the group's own code cannot take one", async () => {
    const { id, code } = await one.create({ nodes: 1 });
    await one.join({ code, name: 'Kim' });
    const { id: group, code: groupCode } = await one.create({}, undefined, id);
    await one.addMembers(group, ((await one.read(id))?.members ?? []).filter((m) => m.kind === 'student'));
    await expect(two.join({ code: groupCode, name: 'KIM' })).rejects.toEqual(TAKEN('KIM'));
    // The class still knows its Kim, too.
    await expect(two.join({ code, name: 'Kim' })).rejects.toEqual(TAKEN('Kim'));
  });

  test('a classroom made before the name index (an earlier version) gets one from its members at the next join', async () => {
    const { id, code } = await one.create({ nodes: 1 });
    const kim = await one.join({ code, name: 'Kim' });
    await redis.del(classroomKeys(prefix, id).names);
    await expect(two.join({ code, name: 'kim' })).rejects.toEqual(TAKEN('kim'));
    expect(await redis.hGetAll(classroomKeys(prefix, id).names)).toEqual({ instructor: expect.any(String), kim: kim.studentId });
    await expect(two.join({ code, name: 'Rui' })).resolves.toMatchObject({ classroomId: id });
  });
});

describe('a retry of a join whose answer was lost', () => {
  test('same attempt, same name: the member it made, with a new token (the undelivered one revoked); another attempt is a namesake', async () => {
    const { id, code } = await one.create({ nodes: 1 });
    const attempt = 'a'.repeat(32);
    const lost = await one.join({ code, name: 'Grace', attempt });
    const again = await two.join({ code, name: 'Grace', attempt });
    expect(again).toEqual({ classroomId: id, studentId: lost.studentId, token: expect.any(String) });
    expect(again.token).not.toBe(lost.token);
    expect(await two.authenticate(lost.token)).toBeNull();
    expect(await two.authenticate(again.token)).toEqual({ kind: 'student', classroomId: id, memberId: lost.studentId, name: 'Grace', role: null });
    await expect(two.join({ code, name: 'Grace', attempt: 'b'.repeat(32) })).rejects.toEqual(TAKEN('Grace'));
    await expect(two.join({ code, name: 'Grace' })).rejects.toEqual(TAKEN('Grace'));
    expect(await studentNames(one, id)).toEqual(['Grace']);
    expect(Object.keys(await redis.hGetAll(classroomKeys(prefix, id).tokens))).toHaveLength(2);
  });

  test('a retry after the instructor locked the room or removed the student: locked, or a new member', async () => {
    const { id, code } = await one.create({ nodes: 1 });
    const attempt = 'c'.repeat(32);
    const first = await one.join({ code, name: 'Grace', attempt });
    // Locked after the join it retries: it is still that join, answered as before.
    await one.setLocked(id, true);
    await expect(two.join({ code, name: 'Grace', attempt })).resolves.toMatchObject({ studentId: first.studentId });
    await one.setLocked(id, false);
    await one.removeStudent(id, first.studentId);
    const after = await two.join({ code, name: 'Grace', attempt });
    expect(after.studentId).not.toBe(first.studentId);
    expect(await studentNames(one, id)).toEqual(['Grace']);
  });
  test('same attempt, another name (a typo corrected after the answer was lost): the member it made, renamed, with its role and a new token; one roster row, and the old name is free again', async () => {
    const { id, code } = await one.create({ nodes: 1 });
    const attempt = 'd'.repeat(32);
    const lost = await one.join({ code, name: 'Grce', attempt });
    await one.assignRole(id, lost.studentId, 'scheduler');
    // Locked meanwhile: it is still the join it retries.
    await one.setLocked(id, true);
    const again = await two.join({ code, name: 'Grace', attempt });
    expect(again).toEqual({ classroomId: id, studentId: lost.studentId, token: expect.any(String) });
    expect(await studentNames(one, id)).toEqual(['Grace']);
    expect(await two.authenticate(lost.token)).toBeNull();
    expect(await two.authenticate(again.token)).toEqual({ kind: 'student', classroomId: id, memberId: lost.studentId, name: 'Grace', role: 'scheduler' });
    expect(Object.keys(await redis.hGetAll(classroomKeys(prefix, id).tokens))).toHaveLength(2);
    await one.setLocked(id, false);
    await expect(two.join({ code, name: 'grace' })).rejects.toEqual(TAKEN('grace'));
    await expect(two.join({ code, name: 'Grce' })).resolves.toMatchObject({ classroomId: id });
    expect((await studentNames(one, id)).sort()).toEqual(['Grace', 'Grce']);
  });

  test('same attempt, the name corrected only in its case or spacing ("grace" to "Grace"): renamed too; once connected, 409 Conflict and nothing written', async () => {
    const { id, code } = await one.create({ nodes: 1 });
    const attempt = 'h'.repeat(32);
    const lost = await one.join({ code, name: 'grace', attempt });
    const again = await two.join({ code, name: 'Grace', attempt });
    expect(again.studentId).toBe(lost.studentId);
    expect(await studentNames(one, id)).toEqual(['Grace']);
    expect(await two.authenticate(again.token)).toMatchObject({ memberId: lost.studentId, name: 'Grace' });
    // Its answer arrived this time: a later correction would rename a seat the class has seen.
    expect(await one.markConnected(id, again.studentId, 'socket-1')).toBe(true);
    const before = await written(id);
    await expect(two.join({ code, name: 'GRACE', attempt })).rejects.toMatchObject({ code: 'Conflict' });
    expect(await written(id)).toEqual(before);
    expect(await studentNames(one, id)).toEqual(['Grace']);
  });

  test('same attempt, a name another student holds: 409 AlreadyExists and nothing written; the next name renames', async () => {
    const { id, code } = await one.create({ nodes: 1 });
    const attempt = 'e'.repeat(32);
    await one.join({ code, name: 'Kim' });
    const lost = await one.join({ code, name: 'Grce', attempt });
    const before = await written(id);
    await expect(two.join({ code, name: 'kim', attempt })).rejects.toEqual(TAKEN('kim'));
    expect(await written(id)).toEqual(before);
    await expect(two.join({ code, name: 'Grace', attempt })).resolves.toMatchObject({ studentId: lost.studentId });
    expect((await studentNames(one, id)).sort()).toEqual(['Grace', 'Kim']);
  });

  test('same attempt, another name, once the member has connected or plays in a group: 409 Conflict naming the seat, nothing written', async () => {
    const { id, code } = await one.create({ nodes: 1 });
    const attempt = 'f'.repeat(32);
    const first = await one.join({ code, name: 'Grce', attempt });
    // Its answer did arrive: its token opened a socket.
    expect(await one.markConnected(id, first.studentId, 'socket-1')).toBe(true);
    const before = await written(id);
    const used = new RefusalError('Conflict', 'an earlier try of this join made the student "Grce", who has connected or been placed in a group since and cannot be renamed: join as "Grce" to take that seat, or ask the instructor to remove it first');
    await expect(two.join({ code, name: 'Grace', attempt })).rejects.toEqual(used);
    expect(await written(id)).toEqual(before);
    expect(await two.authenticate(first.token)).toMatchObject({ memberId: first.studentId, name: 'Grce' });

    const { id: split, code: splitCode } = await one.create({ nodes: 1 });
    const placed = await one.join({ code: splitCode, name: 'Grce', attempt });
    // What a split of the class writes for each student it places (server/rounds/class-groups.ts).
    await redis.hSet(classroomKeys(prefix, split).groupOf, placed.studentId, 'some-group');
    await expect(two.join({ code: splitCode, name: 'Grace', attempt })).rejects.toEqual(used);
    expect(await studentNames(one, split)).toEqual(['Grce']);
  });

  test('racing: a retry renaming to "Grace" and another student joining as "Grace": exactly one gets the name, and no ghost is left', async () => {
    for (let round = 0; round < 10; round++) {
      const { id, code } = await one.create({ nodes: 1 });
      const attempt = `race${round}`.padEnd(32, 'x');
      await one.join({ code, name: 'Grce', attempt });
      const [retry, other] = await Promise.allSettled([one.join({ code, name: 'Grace', attempt }), two.join({ code, name: 'grace' })]);
      expect([retry?.status, other?.status].filter((s) => s === 'fulfilled')).toHaveLength(1);
      for (const r of [retry, other]) if (r?.status === 'rejected') expect(r.reason).toEqual(TAKEN(r === retry ? 'Grace' : 'grace'));
      expect((await studentNames(one, id)).sort()).toEqual(retry?.status === 'fulfilled' ? ['Grace'] : ['Grce', 'grace']);
      expect(Object.keys(await redis.hGetAll(classroomKeys(prefix, id).tokens))).toHaveLength(3 - (retry?.status === 'fulfilled' ? 1 : 0));
    }
  });

  test('racing: two retries of one join under two names: one member, under the name of the one whose token works', async () => {
    for (let round = 0; round < 10; round++) {
      const { id, code } = await one.create({ nodes: 1 });
      const attempt = `twice${round}`.padEnd(32, 'x');
      const first = await one.join({ code, name: 'Grce', attempt });
      const answers = await Promise.all([one.join({ code, name: 'Grace', attempt }), two.join({ code, name: 'Gracie', attempt })]);
      expect(answers.map((a) => a.studentId)).toEqual([first.studentId, first.studentId]);
      const identities = await Promise.all(answers.map((a) => one.authenticate(a.token)));
      const working = identities.filter((i) => i !== null);
      expect(working).toHaveLength(1);
      expect(await studentNames(one, id)).toEqual([working[0]?.name]);
      expect(working[0]?.name).toBe(identities[0] ? 'Grace' : 'Gracie');
    }
  });

  test("the first try arriving after its corrected retry (its connection dropped, its request still on the way) changes nothing: the retry's name and token stand", async () => {
    const { id, code } = await one.create({ nodes: 1 });
    const attempt = 'g'.repeat(32);
    const retry = await two.join({ code, name: 'Grace', attempt, try: 2 });
    const before = await written(id);
    await expect(one.join({ code, name: 'Grce', attempt, try: 1 })).rejects.toEqual(STALE(1));
    expect(await written(id)).toEqual(before);
    expect(await studentNames(one, id)).toEqual(['Grace']);
    expect(await one.authenticate(retry.token)).toEqual({ kind: 'student', classroomId: id, memberId: retry.studentId, name: 'Grace', role: null });

    // The first try joined and a retry renamed it; the first, delivered once more, does not rename it back.
    const other = await one.create({ nodes: 1 });
    const first = await one.join({ code: other.code, name: 'Grce', attempt, try: 1 });
    const renamed = await two.join({ code: other.code, name: 'Grace', attempt, try: 2 });
    await expect(one.join({ code: other.code, name: 'Grce', attempt, try: 1 })).rejects.toEqual(STALE(1));
    expect(await studentNames(one, other.id)).toEqual(['Grace']);
    expect(await one.authenticate(first.token)).toBeNull();
    expect(await one.authenticate(renamed.token)).toMatchObject({ memberId: first.studentId, name: 'Grace' });
  });

  test('a retry refused (its name taken) and then its first try arriving: no member under the typo the student never saw joined', async () => {
    const { id, code } = await one.create({ nodes: 1 });
    const attempt = 'h'.repeat(32);
    await one.join({ code, name: 'Kim' });
    await expect(two.join({ code, name: 'Kim', attempt, try: 2 })).rejects.toEqual(TAKEN('Kim'));
    const before = await written(id);
    await expect(one.join({ code, name: 'Kym', attempt, try: 1 })).rejects.toEqual(STALE(1));
    expect(await written(id)).toEqual(before);
    await expect(two.join({ code, name: 'Kim B', attempt, try: 3 })).resolves.toMatchObject({ classroomId: id });
    expect((await studentNames(one, id)).sort()).toEqual(['Kim', 'Kim B']);
  });

  test("racing: a first try and its corrected retry, in either order: one member, under the retry's name, the retry's token working", async () => {
    for (let round = 0; round < 10; round++) {
      const { id, code } = await one.create({ nodes: 1 });
      const attempt = `order${round}`.padEnd(32, 'x');
      // Sent in either order, on two processes at once.
      const sendFirst = () => one.join({ code, name: 'Grce', attempt, try: 1 });
      const sendRetry = () => two.join({ code, name: 'Grace', attempt, try: 2 });
      const [first, retry] = round % 2 ? await Promise.allSettled([sendFirst(), sendRetry()]) : (await Promise.allSettled([sendRetry(), sendFirst()])).reverse();
      if (retry?.status !== 'fulfilled') throw new Error(`the retry was refused: ${String(retry?.reason)}`);
      expect(await studentNames(one, id)).toEqual(['Grace']);
      expect(await one.authenticate(retry.value.token)).toEqual({ kind: 'student', classroomId: id, memberId: retry.value.studentId, name: 'Grace', role: null });
      // Answered first, the first try's member is the one the retry renamed; answered after, it changed nothing.
      if (first?.status === 'fulfilled') {
        expect(first.value.studentId).toBe(retry.value.studentId);
        expect(await one.authenticate(first.value.token)).toBeNull();
      } else expect(first?.reason).toEqual(STALE(1));
      expect(Object.keys(await redis.hGetAll(classroomKeys(prefix, id).tokens))).toHaveLength(2);
    }
  });

  test('a join attempt is remembered for an hour after its last try, refused tries included; the classroom keeps nothing per attempt beyond that', async () => {
    const { id, code } = await one.create({ nodes: 1 });
    const attempts = Array.from({ length: 20 }, (_, i) => `bound${i}`.padEnd(32, 'x'));
    for (const [i, attempt] of attempts.entries()) await one.join({ code, name: `Student ${i}`, attempt, try: 1 });
    const record = joinAttemptKey(prefix, id, hashToken(attempts[0] ?? ''));
    const remembered = async () => Number(await redis.pTTL(record));
    expect(await remembered()).toBeGreaterThan(JOIN_ATTEMPT_TTL_MS - 60_000);
    expect(await remembered()).toBeLessThanOrEqual(JOIN_ATTEMPT_TTL_MS);
    // Nearly forgotten, then tried again (refused: the name is another student's): an hour again.
    await redis.pExpire(record, 1000);
    await expect(two.join({ code, name: 'Student 1', attempt: attempts[0], try: 2 })).rejects.toEqual(TAKEN('Student 1'));
    expect(await remembered()).toBeGreaterThan(JOIN_ATTEMPT_TTL_MS - 60_000);
    // Every key of the classroom that lives on without an expiry is one of its fixed few: none grows by attempt.
    const lasting: string[] = [];
    for (const key of await redis.keys(`${prefix}:{${id}}:*`)) if (Number(await redis.pTTL(key)) < 0) lasting.push(key.slice(`${prefix}:{${id}}:`.length));
    expect(lasting.sort()).toEqual(['members', 'meta', 'names', 'seat-version', 'tokens']);
  });
});
