import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../app';
import { clockChanged, seatsChanged, type ClassroomChange } from '../classroom/changes';
import { startTestServer } from '../testing/test-server';
import { waitFor } from '../testing/wait';
import { connectMember, createClassroom, joinClassroom, type TestClient } from './test-clients';

let a: RunningServer;
let b: RunningServer;
const clients: TestClient[] = [];
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
});
