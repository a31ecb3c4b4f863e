/**
 * Groups: the instructor splits the class, and each group plays its own cluster in the same
 * scenario. A group *is* a classroom of its own (cluster, clock, timers, round, request log), so
 * nothing one group does can reach another's state; the class keeps the list of its groups and
 * where each student plays, and a student's token (issued by the class) authenticates into their
 * group (see `authenticate`). The class itself stays paused while it is split.
 */
import { z } from 'zod';
import { isNodeReady } from '@shared/model';
import { type GroupView, type GroupsRoundRequest, type Identity, type SplitGroupsRequest } from '@shared/protocol';
import type { ClassroomChangeReason } from '../classroom/changes';
import { classroomKeys } from '../classroom/keys';
import { RefusalError } from '../classroom/refusal-error';
import type { ClassroomRepository } from '../classroom/repository';
import type { ApiServer } from '../cluster/api-server';
import type { ClusterRuntime } from '../cluster/cluster-runtime';
import type { RedisClient } from '../redis/connect';
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
   * assigned within each group. Everything is checked before anything is created.
   */
  async split(instructor: Instructor, request: SplitGroupsRequest): Promise<SplitGroup[]> {
    const { classrooms, rounds, api } = this.options;
    const classroomId = instructor.classroomId;
    const record = await classrooms.read(classroomId);
    if (!record) throw new RefusalError('NotFound', `classroom "${classroomId}" not found`);
    if (record.run.phase === 'closed') throw new RefusalError('Forbidden', 'this classroom is closed');
    const existing = await this.list(classroomId);
    if (existing.length) throw new RefusalError('Conflict', `the class is already split into ${existing.length} groups: DELETE /api/classrooms/${classroomId}/groups first`);
    if (!(await rounds.catalogue.find(classroomId, request.scenario))) throw new RefusalError('NotFound', `scenario "${request.scenario}" not found: GET /api/scenarios lists the built-in ones`);

    if (record.run.phase === 'running') {
      await classrooms.runCommand(classroomId, { kind: 'pause' });
      await this.options.announce(classroomId, ['clock']);
    }
    const students = record.members.filter((m) => m.kind === 'student');
    const keys = classroomKeys(this.options.keyPrefix, classroomId);
    const split: SplitGroup[] = [];
    for (let index = 0; index < request.groups; index++) {
      const created = await classrooms.create({ title: `${record.title} · ${groupName(index)}` });
      const group = await classrooms.read(created.id);
      const instructorId = group?.members.find((m) => m.kind === 'instructor')?.id;
      if (!instructorId) throw new Error(`group classroom ${created.id} has no instructor`);
      const members = students.filter((_, i) => i % request.groups === index);
      const groupKeys = classroomKeys(this.options.keyPrefix, created.id);
      const write = this.options.redis.multi().hSet(keys.groups, String(index), JSON.stringify({ id: created.id, name: groupName(index), instructorId } satisfies GroupRef));
      for (const m of members) write.hSet(groupKeys.members, m.id, JSON.stringify(m)).hSet(keys.groupOf, m.id, created.id);
      await write.exec();
      await rounds.catalogue.copy(classroomId, created.id, request.scenario);
      await classrooms.setBotPace(created.id, record.botPace);
      await classrooms.runCommand(created.id, { kind: 'setTimeScale', timeScale: request.timeScale ?? record.run.clock.timeScale });
      split.push({ id: created.id, name: groupName(index), instructorToken: created.instructorToken, members: members.map((m) => ({ id: m.id, name: m.name })) });
    }
    for (const group of split) {
      const leader = await this.instructorOf(group.id);
      await this.options.announce(group.id, ['members', 'clock', 'botPace']);
      const picked = await api.instruct(leader, { kind: 'runScenario', scenario: request.scenario, ...(request.seed === undefined ? {} : { seed: request.seed }) });
      if (!picked.reply.ok) throw new RefusalError(picked.reply.code, picked.reply.message);
      if (group.members.length) {
        await classrooms.autoAssignRoles(group.id);
        await this.options.announce(group.id, ['roles']);
      }
    }
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

  /** The class plays as one again: the groups' classrooms close (their logs stay for replay), the students come back. */
  async dissolve(instructor: Instructor): Promise<number> {
    const classroomId = instructor.classroomId;
    const groups = await this.list(classroomId);
    if (!groups.length) throw new RefusalError('NotFound', 'the class is not split into groups');
    const keys = classroomKeys(this.options.keyPrefix, classroomId);
    const placed = await this.options.redis.hGetAll(keys.groupOf);
    await this.options.redis.multi().del(keys.groups).del(keys.groupOf).exec();
    for (const group of groups) {
      await this.options.classrooms.runCommand(group.id, { kind: 'close' }).catch((error: unknown) => {
        if (!(error instanceof RefusalError)) throw error; // already closed
      });
      await this.options.announce(group.id, ['clock']);
    }
    await this.options.announce(classroomId, ['members']);
    for (const group of groups) {
      const moved = Object.keys(placed).filter((id) => placed[id] === group.id);
      if (moved.length) for (const listener of this.listeners) listener(group.id, moved);
    }
    return groups.length;
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

  private async instructorOf(groupId: string): Promise<Instructor> {
    const ref = (await this.options.classrooms.read(groupId))?.members.find((m) => m.kind === 'instructor');
    if (!ref) throw new RefusalError('NotFound', `group classroom "${groupId}" not found`);
    return { kind: 'instructor', classroomId: groupId, memberId: ref.id, name: ref.name };
  }
}
