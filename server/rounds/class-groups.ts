/**
 * Groups: the instructor splits the class, and each group plays its own cluster in the same
 * scenario. A group *is* a classroom of its own (cluster, clock, timers, round, request log), so
 * nothing one group does can reach another's state; the class keeps the list of its groups and
 * where each student plays, and a student's token (issued by the class) authenticates into their
 * group (see `authenticate`). The class itself stays paused while it is split.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { isNodeReady } from '@shared/model';
import { type GroupView, type GroupsRoundRequest, type Identity, type SplitGroupsRequest } from '@shared/protocol';
import type { ClassroomChangeReason } from '../classroom/changes';
import { classroomKeys } from '../classroom/keys';
import { RefusalError } from '../classroom/refusal-error';
import type { ClassroomRepository } from '../classroom/repository';
import { newClassroomId } from '../classroom/secrets';
import type { MemberRecord } from '../classroom/view';
import type { ApiServer } from '../cluster/api-server';
import type { ClusterRuntime } from '../cluster/cluster-runtime';
import type { RedisClient } from '../redis/connect';
import { isRedisUnavailable } from '../redis/unavailable';
import { COMMIT_SPLIT_SCRIPT, HOLD_LOCK_SCRIPT, RELEASE_LOCK_SCRIPT } from './group-scripts';
import type { RoundService } from './round-service';

type Instructor = Extract<Identity, { kind: 'instructor' }>;

const groupRef = z.object({ id: z.string(), name: z.string(), instructorId: z.string() });
type GroupRef = z.infer<typeof groupRef>;

/** What the instructor gets back: each group, its members, and its instructor token (to drive it alone, e.g. with kubectl). */
export interface SplitGroup {
  id: string;
  name: string;
  instructorToken: string;
  members: { id: string; name: string }[];
}

/** Students who moved out of `classroomId` (into a group, or back to their class): their sockets reconnect where they now play. */
export type RegroupListener = (classroomId: string, studentIds: string[]) => void;

export interface ClassGroupsOptions {
  redis: RedisClient;
  keyPrefix: string;
  classrooms: ClassroomRepository;
  api: ApiServer;
  rounds: RoundService;
  runtime: ClusterRuntime;
  announce(classroomId: string, reasons: ClassroomChangeReason[]): Promise<void>;
}

const groupName = (index: number): string => `Group ${String.fromCharCode(65 + index)}`;

/** How long a split or dissolve holds the class's lock without a sign of life (each group made extends it). */
const LOCK_MS = 10_000;

export class ClassGroups {
  private readonly listeners = new Set<RegroupListener>();

  constructor(private readonly options: ClassGroupsOptions) {}

  onRegroup(listener: RegroupListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The class's groups in order (none when it is not split). */
  async list(classroomId: string): Promise<GroupRef[]> {
    const raw = await this.options.redis.hGetAll(classroomKeys(this.options.keyPrefix, classroomId).groups);
    return Object.entries(raw)
      .sort(([a], [b]) => Number(a) - Number(b))
      .map(([, value]) => groupRef.parse(JSON.parse(value)));
  }

  /**
   * Splits the class: a classroom per group with the class's time scale and bot pace, the students
   * dealt round-robin in join order, the scenario picked in every group (same seed), roles
   * assigned within each group. All or nothing: the groups are made first, each recorded as
   * pending before it exists, and the class is split in one step at the end (COMMIT_SPLIT_SCRIPT);
   * a failure on the way closes what was made (or, with Redis out of reach, the next split or
   * dissolve does), so no student is ever moved into half a split.
   */
  async split(instructor: Instructor, request: SplitGroupsRequest): Promise<SplitGroup[]> {
    const { classrooms, rounds, api, redis } = this.options;
    const classroomId = instructor.classroomId;
    const keys = classroomKeys(this.options.keyPrefix, classroomId);
    const attempt = await this.lock(classroomId);
    let paused = false;
    const split: SplitGroup[] = [];
    const students: MemberRecord[] = [];
    try {
      await this.sweep(classroomId);
      const record = await classrooms.read(classroomId);
      if (!record) throw new RefusalError('NotFound', `classroom "${classroomId}" not found`);
      if (record.run.phase === 'closed') throw new RefusalError('Forbidden', 'this classroom is closed');
      // One level only: a group is a whole classroom and could be split, but its students, host
      // screen and class console would then lose track of where anyone plays.
      if (record.classId !== undefined) {
        throw new RefusalError('Conflict', `"${record.title}" is a group of a class split into groups, and a group cannot be split again: split the class from its own console (POST /api/classrooms/${record.classId}/groups)`);
      }
      const existing = await this.list(classroomId);
      if (existing.length) throw new RefusalError('Conflict', `the class is already split into ${existing.length} groups: DELETE /api/classrooms/${classroomId}/groups first`);
      if (!(await rounds.catalogue.find(classroomId, request.scenario))) throw new RefusalError('NotFound', `scenario "${request.scenario}" not found: GET /api/scenarios lists the built-in ones`);

      if (record.run.phase === 'running') {
        await classrooms.runCommand(classroomId, { kind: 'pause' });
        paused = true;
        await this.options.announce(classroomId, ['clock']);
      }
      students.push(...record.members.filter((m) => m.kind === 'student'));
      for (let index = 0; index < request.groups; index++) {
        await this.hold(classroomId, attempt);
        const id = newClassroomId();
        await redis.hSet(keys.groupsPending, id, '1');
        const created = await classrooms.create({ title: `${record.title} · ${groupName(index)}` }, id, classroomId);
        const members = students.filter((_, i) => i % request.groups === index);
        await classrooms.addMembers(id, members);
        await rounds.catalogue.copy(classroomId, id, request.scenario);
        await classrooms.setBotPace(id, record.botPace);
        await classrooms.runCommand(id, { kind: 'setTimeScale', timeScale: request.timeScale ?? record.run.clock.timeScale });
        split.push({ id, name: groupName(index), instructorToken: created.instructorToken, members: members.map((m) => ({ id: m.id, name: m.name })) });
      }
      for (const group of split) {
        await this.hold(classroomId, attempt);
        const leader = await this.instructorOf(group.id);
        await this.options.announce(group.id, ['members', 'clock', 'botPace']);
        const picked = await api.instruct(leader, { kind: 'runScenario', scenario: request.scenario, ...(request.seed === undefined ? {} : { seed: request.seed }) });
        if (!picked.reply.ok) throw new RefusalError(picked.reply.code, picked.reply.message);
        if (group.members.length) {
          await classrooms.autoAssignRoles(group.id);
          await this.options.announce(group.id, ['roles']);
        }
      }
      await this.commit(classroomId, attempt, split);
    } catch (error) {
      // Nothing of this attempt may stay. With Redis out of reach the undo would only wait for its
      // own timeout: it runs on after the answer, and the next split or dissolve sweeps what it could not.
      const undo = this.undo(classroomId, attempt, paused).catch(() => undefined);
      if (!isRedisUnavailable(error)) await undo;
      throw error;
    }
    await this.unlock(classroomId, attempt).catch(() => undefined);
    await this.options.announce(classroomId, ['members']);
    const moved = students.map((m) => m.id);
    if (moved.length) for (const listener of this.listeners) listener(classroomId, moved);
    if (request.start) await this.round(instructor, { action: 'start' });
    return split;
  }

  /** The same round request to every group, in order; the first refusal stops it. */
  async round(instructor: Instructor, { action }: GroupsRoundRequest): Promise<void> {
    const groups = await this.list(instructor.classroomId);
    if (!groups.length) throw new RefusalError('BadRequest', 'the class is not split into groups: POST /api/classrooms/:id/groups first');
    for (const group of groups) {
      const leader = await this.instructorOf(group.id);
      if (action === 'pause' || action === 'resume') {
        const run = await this.options.classrooms.read(group.id);
        if (run?.run.phase !== (action === 'pause' ? 'running' : 'paused')) continue;
        await this.options.classrooms.runCommand(group.id, { kind: action });
        await this.options.announce(group.id, ['clock']);
        continue;
      }
      const { reply } = await this.options.api.instruct(leader, { kind: action === 'start' ? 'startRound' : 'restartRound' });
      if (!reply.ok) throw new RefusalError(reply.code, `${group.name}: ${reply.message}`);
    }
  }

  /**
   * The class plays as one again: the students come back at once (one step), then the groups'
   * classrooms close (their logs stay for replay). A group not closed because Redis failed on the
   * way stays pending, and the next split or dissolve closes it.
   */
  async dissolve(instructor: Instructor): Promise<number> {
    const classroomId = instructor.classroomId;
    const attempt = await this.lock(classroomId);
    try {
      await this.sweep(classroomId);
      const groups = await this.list(classroomId);
      if (!groups.length) throw new RefusalError('NotFound', 'the class is not split into groups');
      const keys = classroomKeys(this.options.keyPrefix, classroomId);
      const placed = await this.options.redis.hGetAll(keys.groupOf);
      await this.options.redis
        .multi()
        .del(keys.groups)
        .del(keys.groupOf)
        .hSet(keys.groupsPending, Object.fromEntries(groups.map((g) => [g.id, '1'])))
        .exec();
      await this.options.announce(classroomId, ['members']);
      for (const group of groups) {
        const moved = Object.keys(placed).filter((id) => placed[id] === group.id);
        if (moved.length) for (const listener of this.listeners) listener(group.id, moved);
      }
      await this.sweep(classroomId);
      return groups.length;
    } finally {
      await this.unlock(classroomId, attempt).catch(() => undefined);
    }
  }

  /** Every group as the host screen compares it: members, nodes, and the round with its goals and clock. */
  async compare(classroomId: string): Promise<GroupView[]> {
    const groups = await this.list(classroomId);
    return Promise.all(
      groups.map(async (group): Promise<GroupView> => {
        const [view, state, round] = await Promise.all([this.options.classrooms.view(group.id), this.options.runtime.state(group.id), this.options.rounds.view(group.id)]);
        const nodes = [...state.list('Node')].map((n) => ({ name: n.metadata.name, ready: isNodeReady(n) })).sort((a, b) => a.name.localeCompare(b.name));
        const members = (view?.members ?? []).filter((m) => m.kind === 'student').map(({ id, name, role, connected }) => ({ id, name, role, connected }));
        return { id: group.id, name: group.name, members, nodes, round };
      }),
    );
  }

  /** One split or dissolve of a class at a time; a second is refused while the first runs. */
  private async lock(classroomId: string): Promise<string> {
    const attempt = randomUUID();
    const taken = await this.options.redis.set(classroomKeys(this.options.keyPrefix, classroomId).groupsLock, attempt, { NX: true, PX: LOCK_MS });
    if (taken !== 'OK') throw new RefusalError('Conflict', 'the class is being split into groups or brought back together right now: try again in a few seconds');
    return attempt;
  }

  /** Keeps the lock for another LOCK_MS while a long split goes on. */
  private async hold(classroomId: string, attempt: string): Promise<void> {
    await this.options.redis.eval(HOLD_LOCK_SCRIPT, { keys: [classroomKeys(this.options.keyPrefix, classroomId).groupsLock], arguments: [attempt, String(LOCK_MS)] });
  }

  private async unlock(classroomId: string, attempt: string): Promise<void> {
    await this.options.redis.eval(RELEASE_LOCK_SCRIPT, { keys: [classroomKeys(this.options.keyPrefix, classroomId).groupsLock], arguments: [attempt] });
  }

  private async commit(classroomId: string, attempt: string, split: readonly SplitGroup[]): Promise<void> {
    const keys = classroomKeys(this.options.keyPrefix, classroomId);
    const refs = Object.fromEntries(
      await Promise.all(split.map(async (g, index) => [String(index), JSON.stringify({ id: g.id, name: g.name, instructorId: (await this.instructorOf(g.id)).memberId } satisfies GroupRef)])),
    );
    const placed = Object.fromEntries(split.flatMap((g) => g.members.map((m) => [m.id, g.id])));
    const outcome = await this.options.redis.eval(COMMIT_SPLIT_SCRIPT, { keys: [keys.groupsLock, keys.groups, keys.groupOf, keys.groupsPending], arguments: [attempt, JSON.stringify(refs), JSON.stringify(placed)] });
    if (outcome === 'Split') throw new RefusalError('Conflict', 'the class was split meanwhile: DELETE its groups first');
    if (outcome !== 'OK') throw new RefusalError('Conflict', 'the split took too long and was given up: try again');
  }

  /** Closes the groups a failed split made or an unfinished dissolve left, each leaving the pending list once closed. */
  private async sweep(classroomId: string): Promise<void> {
    const keys = classroomKeys(this.options.keyPrefix, classroomId);
    for (const id of await this.options.redis.hKeys(keys.groupsPending)) {
      await this.options.classrooms.runCommand(id, { kind: 'close' }).then(
        () => this.options.announce(id, ['clock']),
        (error: unknown) => {
          // Already closed, or never made (its creation failed): nothing to close.
          if (!(error instanceof RefusalError) || isRedisUnavailable(error)) throw error;
        },
      );
      await this.options.redis.hDel(keys.groupsPending, id);
    }
  }

  /** A failed split taken back: its groups closed, the class as it was, the lock free. */
  private async undo(classroomId: string, attempt: string, paused: boolean): Promise<void> {
    await this.sweep(classroomId);
    if (paused) {
      await this.options.classrooms.runCommand(classroomId, { kind: 'resume' });
      await this.options.announce(classroomId, ['clock']);
    }
    await this.unlock(classroomId, attempt);
  }

  private async instructorOf(groupId: string): Promise<Instructor> {
    const ref = (await this.options.classrooms.read(groupId))?.members.find((m) => m.kind === 'instructor');
    if (!ref) throw new RefusalError('NotFound', `group classroom "${groupId}" not found`);
    return { kind: 'instructor', classroomId: groupId, memberId: ref.id, name: ref.name };
  }
}
