import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makePod } from '@shared/model';
import { getObject } from '@shared/protocol/watch-reducer';
import type { RunningServer } from '../app';
import { assignRoles, classroomWith, connectCluster } from '../cluster/testing/cluster-client';
import { clockChanged, seatsChanged, type ClassroomChange } from '../classroom/changes';
import { startTestServer } from '../testing/test-server';
import { waitFor } from '../testing/wait';
import type { ErrorBody, JoinClassroomResponse } from '@shared/protocol';
import { connectMember, createClassroom, joinClassroom, post } from './test-clients';

let a: RunningServer;
let b: RunningServer;
const clients: Array<{ close(): void }> = [];
beforeAll(async () => {
  a = await startTestServer({ JOIN_RATE_LIMIT: '100000' });
  b = await startTestServer({ JOIN_RATE_LIMIT: '100000' });
});
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});
afterAll(async () => {
  await a.close();
  await b.close();
});

describe('two server processes serving one classroom', () => {
  it('a student on server A sees the classroom change the instructor made on server B, and gets their new role', async () => {
    const { code, instructorToken } = await createClassroom(b.url);
    const { studentId, token } = await joinClassroom(a.url, code, 'Ada');
    const student = await connectMember(a.url, token);
    const instructor = await connectMember(b.url, instructorToken);
    clients.push(student, instructor);

    expect(await instructor.instructor({ kind: 'lockRoom', locked: true })).toEqual({ ok: true });
    await student.view((v) => v.locked, 'the lock to reach server A');

    await instructor.instructor({ kind: 'assignRole', studentId, role: 'kube-proxy:node-1' });
    await student.session((s) => s.kind === 'student' && s.role === 'kube-proxy:node-1', 'the new role on server A');

    // The instructor on B sees the student on A as connected.
    const view = await instructor.view((v) => v.members.some((m) => m.id === studentId && m.connected && m.role === 'kube-proxy:node-1'));
    expect(view.seats.find((s) => s.role === 'kube-proxy:node-1')).toMatchObject({ leaderId: studentId, bot: 'standby' });
  });

  it('removing a student from server B disconnects them on server A', async () => {
    const { code, instructorToken } = await createClassroom(b.url);
    const { studentId, token } = await joinClassroom(a.url, code, 'Ada');
    const student = await connectMember(a.url, token);
    const instructor = await connectMember(b.url, instructorToken);
    clients.push(student, instructor);
    await instructor.instructor({ kind: 'removeStudent', studentId });
    await waitFor(() => !student.socket.connected, { what: 'the student on A to be disconnected' });
    expect(student.removed).toEqual(['The instructor removed you from this classroom.']);
  });

  it('two students joining as "Kim" at once, one on server A and one on B: one gets in, the other is told the name is taken; removed, the name is free again', async () => {
    const { code, instructorToken } = await createClassroom(b.url);
    const join = (url: string, name: string) => post<JoinClassroomResponse & ErrorBody>(url, '/api/classrooms/join', { code, name });
    const answers = await Promise.all([join(a.url, 'Kim'), join(b.url, 'kim ')]);
    expect(answers.map((r) => r.status).sort()).toEqual([201, 409]);
    expect(answers.find((r) => r.status === 409)?.body).toEqual({ code: 'AlreadyExists', message: expect.stringMatching(/^the name "(Kim|kim)" is already taken in this classroom: choose another$/) });
    const instructor = await connectMember(a.url, instructorToken);
    clients.push(instructor);
    const students = (instructor.views.at(-1)?.members ?? []).filter((m) => m.kind === 'student');
    expect(students).toHaveLength(1);

    expect(await instructor.instructor({ kind: 'removeStudent', studentId: students[0]?.id ?? '' })).toEqual({ ok: true });
    expect((await join(b.url, 'KIM')).status).toBe(201);
  });

  it('"seat changed" and "clock changed" reach listeners (bots, timers) on every process', async () => {
    const { id, code, instructorToken } = await createClassroom(b.url);
    const { studentId } = await joinClassroom(b.url, code, 'Ada');
    const heard: ClassroomChange[] = [];
    const unsubscribe = a.gateway.deps.changes.subscribe((change) => {
      if (change.classroomId === id) heard.push(change);
    });
    try {
      const instructor = await connectMember(b.url, instructorToken);
      clients.push(instructor);
      await instructor.instructor({ kind: 'assignRole', studentId, role: 'scheduler' });
      await instructor.instructor({ kind: 'start' });
      const seat = await waitFor(() => heard.find((c) => seatsChanged(c) && c.reasons.includes('roles')), { what: 'a seat change on A' });
      expect(seat.memberIds).toEqual([studentId]);
      expect(seat.view.seats.find((s) => s.role === 'scheduler')?.studentIds).toEqual([studentId]);
      const clock = await waitFor(() => heard.find(clockChanged), { what: 'a clock change on A' });
      expect(clock.view.phase).toBe('running');
    } finally {
      unsubscribe();
    }
  });

  it('a request decided on server A reaches the classroom on server B: an accepted one everyone, a refusal only its sender and the instructor', async () => {
    const classroom = await classroomWith(b.url, ['ada', 'bob']);
    const instructor = await connectCluster(b.url, classroom.instructorToken);
    clients.push(instructor);
    await assignRoles(instructor, classroom, { ada: 'scheduler' });
    const ada = await connectCluster(a.url, classroom.students.get('ada')?.token ?? '');
    const bob = await connectCluster(b.url, classroom.students.get('bob')?.token ?? '');
    clients.push(ada, bob);
    const adaId = classroom.students.get('ada')?.studentId;
    await waitFor(() => getObject(ada.state, 'Lease', 'kube-scheduler', 'kube-system')?.spec.holderIdentity === adaId, { what: 'the scheduler Lease for ada' });
    const pod = await a.cluster.runtime.store.create(classroom.id, makePod('tiny'), { actor: 'instructor', simTime: 0 });
    await ada.reached(pod.metadata.resourceVersion);

    expect(await ada.act({ kind: 'bind', pod: 'tiny', node: 'node-1', resourceVersion: pod.metadata.resourceVersion })).toMatchObject({ ok: true });
    for (const member of [instructor, bob, ada]) {
      await waitFor(() => member.requests.some((r) => r.verb === 'bind' && r.target === 'pods/tiny' && r.outcome === 'accepted'), { what: 'the accepted bind on both servers' });
    }
    expect(await ada.act({ kind: 'renewLease', node: 'node-1' })).toMatchObject({ ok: false, code: 'Forbidden' });
    const refused = (member: typeof ada) => member.requests.some((r) => r.verb === 'renewLease' && r.outcome === 'refused');
    await waitFor(() => refused(instructor) && refused(ada), { what: 'the refusal at its sender (A) and the instructor (B)' });
    // bob is on the instructor's process, which has sent what it had: not the refusal.
    expect(refused(bob)).toBe(false);
    expect(instructor.requests.filter((r) => r.target === 'pods/tiny')).toHaveLength(1);
  });
});
