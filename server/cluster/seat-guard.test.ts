import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import type { ClusterAction } from '@shared/protocol';
import { allObjects } from '@shared/protocol/watch-reducer';
import { ClusterState, legalMoves, sameMove } from '@shared/sim';
import { createClassroomRepository, type ClassroomRepository } from '../classroom/repository';
import { connectRedis, type RedisClient } from '../redis/connect';
import { waitFor } from '../testing/wait';
import { assignRoles, classroomWith } from './testing/cluster-client';
import { suiteServer, WIDE_SOCKET_BUDGET } from './testing/suite-server';

/**
 * A bot's seat is checked on the room the API server read last, and its write commits only while
 * the seat version is the one that room was read at. Here the seats change in another process (a
 * repository of its own on the same Redis), which this server hears nothing of: only the version
 * tells it. Were a writer not to bump it, the bot would write for a seat a student holds.
 */
const suite = suiteServer('seat-guard', WIDE_SOCKET_BUDGET);
let redis: RedisClient;
let elsewhere: ClassroomRepository;
beforeAll(async () => {
  redis = await connectRedis(inject('redisUrl'));
  elsewhere = createClassroomRepository({ redis, prefix: `${inject('redisKeyPrefix')}-seat-guard`, maxStudents: 30, seatGraceMs: 60_000, serverId: 'elsewhere' });
});
afterAll(() => redis?.close());

const ROLE = 'kube-proxy:node-1';
const move: ClusterAction = { kind: 'syncProxyRules', node: 'node-1', service: 'web' };

describe('[seats] a bot acts only for a seat it holds when its write commits', () => {
  test('a student taking the seat in another process between the bot\'s seat check and its write: the write is refused as a stale seat is, nothing written; the seat handed back there: the bot writes', { timeout: 60_000 }, async () => {
    const classroom = await classroomWith(suite.server.url, ['kim'], { nodes: 2 });
    const kim = classroom.students.get('kim')?.studentId ?? '';
    const instructor = await suite.connect(classroom.instructorToken);
    // Bots far apart: between this test's own moves nobody else acts.
    for (const action of [{ kind: 'setBotPace', secondsPerAction: 120 }, { kind: 'start' }] as const) expect(await instructor.instructor(action)).toMatchObject({ ok: true });
    await assignRoles(instructor, classroom, { kim: ROLE });
    await waitFor(() => legalMoves(ROLE, ClusterState.from(allObjects(instructor.state)), instructor.simNow()).some((m) => sameMove(m.action, move)), { what: 'the sync to be a legal move' });
    const { api, store, classrooms } = { api: suite.server.cluster.api, store: suite.server.cluster.store, classrooms: suite.server.classrooms };
    const bot = { kind: 'bot', classroomId: classroom.id, role: ROLE } as const;
    const table = async () => (await store.get(classroom.id, { kind: 'ProxyTable', name: 'node-1' })).metadata.resourceVersion;

    // This process read the room with kim assigned and away: the bot plays.
    const kept = await classrooms.room(classroom.id);
    expect(kept?.record.roles.get(kim)).toBe(ROLE);
    const before = await table();
    await elsewhere.markConnected(classroom.id, kim, 'socket-elsewhere');
    expect(classrooms.keptRoom(classroom.id)).toBe(kept);
    const { reply } = await api.act(bot, move);
    expect(reply).toEqual({ ok: false, code: 'Forbidden', message: `a student plays ${ROLE} now: its bot stands down` });
    expect(await table()).toBe(before);

    // Now the kept room says kim holds the seat; elsewhere the instructor takes kim off the role.
    expect(classrooms.keptRoom(classroom.id)?.record.presence.get(kim)?.state).toBe('connected');
    await elsewhere.assignRole(classroom.id, kim, null);
    const accepted = await api.act(bot, move);
    expect(accepted.reply).toMatchObject({ ok: true, message: 'program default/web -> [] on node-1' });
    expect(await table()).not.toBe(before);
  });
});
