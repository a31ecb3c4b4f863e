import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ClassroomView } from '@shared/protocol';
import type { RunningServer } from '../app';
import { startTestServer } from '../testing/test-server';
import { waitFor } from '../testing/wait';
import { connectError, connectMember, createClassroom, joinClassroom, type TestClient } from './test-clients';

let server: RunningServer;
const clients: TestClient[] = [];
beforeAll(async () => {
  server = await startTestServer({ JOIN_RATE_LIMIT: '100000' });
});
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});
afterAll(() => server.close());

/** A classroom with its instructor and `names.length` students, all connected. */
async function classroom(names: string[], nodes = 2) {
  const created = await createClassroom(server.url, { nodes });
  const students = [];
  for (const name of names) {
    const joined = await joinClassroom(server.url, created.code, name);
    const client = await connectMember(server.url, joined.token);
    clients.push(client);
    students.push({ ...joined, client });
  }
  const instructor = await connectMember(server.url, created.instructorToken);
  clients.push(instructor);
  return { ...created, instructor, students };
}

const latest = (client: TestClient): ClassroomView => {
  const view = client.views.at(-1);
  if (!view) throw new Error('no view yet');
  return view;
};
const seat = (view: ClassroomView, role: string) => view.seats.find((s) => s.role === role);

describe('instructor requests', () => {
  it('refuses a student with Forbidden and changes nothing', async () => {
    const { id, students } = await classroom(['Ada']);
    const ada = students[0]!;
    const before = await server.classrooms.view(id);
    expect(await ada.client.instructor({ kind: 'lockRoom', locked: true })).toEqual({
      ok: false,
      code: 'Forbidden',
      message: 'only the instructor of this classroom may send instructor requests',
    });
    expect(await ada.client.instructor({ kind: 'assignRole', studentId: ada.studentId, role: 'scheduler' })).toMatchObject({ code: 'Forbidden' });
    expect(await server.classrooms.view(id)).toEqual(before);
  });

  it('refuses bad payloads with BadRequest naming the problem, and changes nothing', async () => {
    const { id, instructor, students } = await classroom(['Ada']);
    const before = await server.classrooms.view(id);
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ kind: 'lockRoom' }, 'locked'],
      [{ kind: 'setTimeScale', timeScale: 1000 }, 'timeScale'],
      [{ kind: 'launchMissiles' }, 'kind'],
      [{ kind: 'assignRole', studentId: students[0]!.studentId, role: 'etcd' }, 'role "etcd" does not exist in this cluster'],
      [{ kind: 'assignRole', studentId: students[0]!.studentId, role: 'kubelet:node-9' }, 'kubelet:node-9'],
      [{ kind: 'setBotHelp', role: 'etcd', enabled: false }, 'etcd'],
      [{ kind: 'pause' }, 'only a running class can be paused (it is lobby)'],
    ];
    for (const [action, mentions] of cases) {
      const reply = await instructor.instructor(action);
      expect(reply, JSON.stringify(action)).toMatchObject({ ok: false, code: 'BadRequest' });
      expect(reply.ok === false && reply.message).toContain(mentions);
    }
    expect(await instructor.instructor({ kind: 'removeStudent', studentId: 'nobody' })).toEqual({
      ok: false,
      code: 'NotFound',
      message: 'student "nobody" not found in this classroom',
    });
    expect(await server.classrooms.view(id)).toEqual(before);
  });

  it('assignRole: the student gets a new session with the role and the seat leaves the bot at once', async () => {
    const { instructor, students } = await classroom(['Ada']);
    const ada = students[0]!;
    expect(seat(latest(instructor), 'scheduler')).toMatchObject({ studentIds: [], bot: 'playing' });
    expect(await instructor.instructor({ kind: 'assignRole', studentId: ada.studentId, role: 'scheduler' })).toEqual({ ok: true });
    await ada.client.session((s) => s.kind === 'student' && s.role === 'scheduler');
    const view = await ada.client.view((v) => seat(v, 'scheduler')?.bot === 'standby');
    expect(seat(view, 'scheduler')).toEqual({ role: 'scheduler', studentIds: [ada.studentId], leaderId: ada.studentId, bot: 'standby', botHelp: true });
    expect(view.members.find((m) => m.id === ada.studentId)).toMatchObject({ connected: true, role: 'scheduler' });

    await instructor.instructor({ kind: 'assignRole', studentId: ada.studentId, role: null });
    await ada.client.session((s) => s.kind === 'student' && s.role === null);
    await ada.client.view((v) => seat(v, 'scheduler')?.bot === 'playing');
  });

  it('autoAssignRoles: every student gets a role, teams balanced, control plane first', async () => {
    const names = ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J'];
    const { instructor, students } = await classroom(names, 2); // 8 roles (a kubelet, runtime and kube-proxy per node) for 10 students
    expect(await instructor.instructor({ kind: 'autoAssignRoles' })).toEqual({ ok: true, message: 'assigned roles to 10 student(s)' });
    const view = await instructor.view((v) => v.members.filter((m) => m.kind === 'student').every((m) => m.role !== null));
    const sizes = view.seats.map((s) => s.studentIds.length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    expect(seat(view, 'scheduler')?.studentIds).toHaveLength(2);
    expect(seat(view, 'controller-manager')?.studentIds).toHaveLength(2);
    await students[0]!.client.session((s) => s.kind === 'student' && s.role === 'scheduler');
  });

  it('removeStudent: the student gets removed, is disconnected, and the token no longer works', async () => {
    const { instructor, students } = await classroom(['Ada', 'Bob']);
    const [ada] = students;
    expect(await instructor.instructor({ kind: 'removeStudent', studentId: ada!.studentId })).toEqual({ ok: true });
    await waitFor(() => !ada!.client.socket.connected, { what: 'the removed student to be disconnected' });
    expect(ada!.client.removed).toEqual(['The instructor removed you from this classroom.']);
    const view = await instructor.view((v) => !v.members.some((m) => m.id === ada!.studentId));
    expect(view.members.map((m) => m.name)).toEqual(['Instructor', 'Bob']);
    expect((await connectError(server.url, ada!.token)).message).toContain('unknown or revoked token');
  });

  it('setBotHelp and setBotPace reach every member', async () => {
    const { instructor, students } = await classroom(['Ada']);
    expect(await instructor.instructor({ kind: 'setBotHelp', role: 'kube-proxy:node-1', enabled: false })).toEqual({ ok: true });
    expect(await instructor.instructor({ kind: 'setBotPace', secondsPerAction: 12 })).toEqual({ ok: true });
    const view = await students[0]!.client.view((v) => v.botPace.secondsPerAction === 12 && seat(v, 'kube-proxy:node-1')?.botHelp === false);
    expect(seat(view, 'kube-proxy:node-1')).toMatchObject({ bot: 'off', botHelp: false });
  });

  it('start, pause, resume and setTimeScale drive the simulated clock everyone sees', async () => {
    const { instructor, students } = await classroom(['Ada']);
    const ada = students[0]!.client;
    expect(await instructor.instructor({ kind: 'start' })).toEqual({ ok: true });
    await ada.view((v) => v.phase === 'running' && !v.clock.paused);
    expect(await instructor.instructor({ kind: 'start' })).toMatchObject({ ok: false, code: 'BadRequest' });
    expect(await instructor.instructor({ kind: 'setTimeScale', timeScale: 10 })).toEqual({ ok: true });
    await ada.view((v) => v.clock.timeScale === 10);
    expect(await instructor.instructor({ kind: 'pause' })).toEqual({ ok: true });
    const paused = await ada.view((v) => v.phase === 'paused');
    expect(paused.clock).toMatchObject({ paused: true, timeScale: 10 });
    ada.views.length = 0; // from here on, only views sent after the pause
    expect(await instructor.instructor({ kind: 'resume' })).toEqual({ ok: true });
    const resumed = await ada.view((v) => v.phase === 'running');
    // The simulated clock stood still while paused and continues from where it stopped.
    expect(resumed.clock.simAtWall).toBe(paused.clock.simAtWall);
  });

  it('closeClassroom: students are told and disconnected, their tokens refused; further requests are Forbidden', async () => {
    const { instructor, students } = await classroom(['Ada']);
    const ada = students[0]!;
    expect(await instructor.instructor({ kind: 'closeClassroom' })).toEqual({ ok: true });
    await waitFor(() => !ada.client.socket.connected, { what: 'the student to be disconnected' });
    expect(ada.client.removed).toEqual(['The instructor closed this classroom.']);
    expect((await connectError(server.url, ada.token)).message).toBe('Forbidden: this classroom is closed');
    expect(await instructor.instructor({ kind: 'lockRoom', locked: true })).toMatchObject({ ok: false, code: 'Forbidden' });
    expect(await instructor.instructor({ kind: 'start' })).toEqual({ ok: false, code: 'Forbidden', message: 'the classroom is closed' });
  });
});
