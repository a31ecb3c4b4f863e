/**
 * The owner leases under a slow takeover: taking a classroom over (listing its cache, repairing its
 * timers) can take longer than a lease lives, many in a row longer still. The leases already held
 * must be renewed meanwhile, or they lapse and the classrooms go round from owner to owner (a bench
 * of 100 classrooms on two loaded processes ended with 35 of them owned by nobody).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createClassroomRepository, type ClassroomRepository } from '../classroom/repository';
import { connectRedis, type RedisClient } from '../redis/connect';
import { silentLogger } from '../testing/test-server';
import { waitFor } from '../testing/wait';
import { ClassroomLeases, classroomOwnerKey } from './classroom-leases';

const prefix = `${inject('redisKeyPrefix')}-leases`;
let redis: RedisClient;
let classrooms: ClassroomRepository;

beforeAll(async () => {
  redis = await connectRedis(inject('redisUrl'));
  classrooms = createClassroomRepository({ redis, prefix, maxStudents: 30, seatGraceMs: 1000, serverId: 'test' });
});
afterAll(async () => {
  await redis.close();
});

it('keeps every lease it holds while it takes over classroom after classroom, each slower than a lease lives', async () => {
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) {
    const { id } = await classrooms.create({ title: `Room ${i}` });
    await classrooms.runCommand(id, { kind: 'start' });
    ids.push(id);
  }
  const lapsed: string[] = [];
  const acquired: string[] = [];
  const leases = new ClassroomLeases({
    redis,
    keyPrefix: prefix,
    serverId: 'process-a',
    classrooms,
    logger: silentLogger,
    ttlMs: 1000,
    passMs: 200,
    // A takeover that outlasts the lease: 5 in a row take 4 s, four times the TTL.
    acquired: async (view) => {
      await new Promise((resolve) => setTimeout(resolve, 800));
      acquired.push(view.id);
    },
    released: (id) => lapsed.push(id),
  });
  leases.start();
  try {
    await waitFor(async () => acquired.length === ids.length, { what: 'every classroom taken over', timeoutMs: 20_000 });
    // Two lease lifetimes more: still held, each taken over once, none let go.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(lapsed).toEqual([]);
    expect(acquired.sort()).toEqual([...ids].sort());
    expect(leases.ownedCount).toBe(ids.length);
    for (const id of ids) expect(await redis.get(classroomOwnerKey(prefix, id))).toBe('process-a');
  } finally {
    await leases.close();
  }
  // Closing gives every lease back.
  for (const id of ids) expect(await redis.get(classroomOwnerKey(prefix, id))).toBeNull();
});
