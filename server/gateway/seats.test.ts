import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ClassroomView } from '@shared/protocol';
import type { RunningServer } from '../app';
import { startTestServer } from '../testing/test-server';
import { connectMember, createClassroom, joinClassroom, type TestClient } from './test-clients';

const GRACE_SECONDS = 0.4;
let server: RunningServer;
const clients: TestClient[] = [];
beforeAll(async () => {
  server = await startTestServer({ JOIN_RATE_LIMIT: '100000', SEAT_GRACE_SECONDS: String(GRACE_SECONDS) });
});
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});
afterAll(() => server.close());

const schedulerSeat = (v: ClassroomView) => v.seats.find((s) => s.role === 'scheduler');

describe('role seats: connected -> disconnected within grace -> handed back to the bot', () => {
  it('a student who leaves keeps the role for the grace period, then the bot plays it; coming back takes it again at once', async () => {
    const { code, instructorToken } = await createClassroom(server.url);
    const { studentId, token } = await joinClassroom(server.url, code, 'Ada');
    const instructor = await connectMember(server.url, instructorToken);
    clients.push(instructor);
    await instructor.instructor({ kind: 'assignRole', studentId, role: 'scheduler' });
    // Assigned but not connected: the bot plays.
    await instructor.view((v) => schedulerSeat(v)?.studentIds[0] === studentId && schedulerSeat(v)?.bot === 'playing');

    const ada = await connectMember(server.url, token);
    await instructor.view((v) => schedulerSeat(v)?.bot === 'standby', 'the bot to stand by once Ada connects');

    instructor.views.length = 0; // from here on, only views sent after Ada left
    ada.close();
    const left = Date.now();
    const away = await instructor.view((v) => v.members.some((m) => m.id === studentId && !m.connected), 'Ada shown disconnected');
    expect(schedulerSeat(away)).toMatchObject({ leaderId: studentId, bot: 'standby' });

    const handedBack = await instructor.view((v) => schedulerSeat(v)?.bot === 'playing', 'the seat handed back to the bot');
    expect(Date.now() - left).toBeGreaterThanOrEqual(GRACE_SECONDS * 1000 - 50);
    expect(schedulerSeat(handedBack)).toEqual({ role: 'scheduler', studentIds: [studentId], leaderId: null, bot: 'playing', botHelp: true });

    instructor.views.length = 0;
    const back = await connectMember(server.url, token);
    clients.push(back);
    await instructor.view((v) => schedulerSeat(v)?.bot === 'standby' && schedulerSeat(v)?.leaderId === studentId, 'Ada taking the seat back');
  });

  it('a second tab of the same student closing does not start the grace period', async () => {
    const { code, instructorToken } = await createClassroom(server.url);
    const { studentId, token } = await joinClassroom(server.url, code, 'Ada');
    const instructor = await connectMember(server.url, instructorToken);
    const tab1 = await connectMember(server.url, token);
    const tab2 = await connectMember(server.url, token);
    clients.push(instructor, tab1);
    tab2.close();
    // The next change anyone makes brings a fresh view; Ada must still be connected in it.
    await instructor.instructor({ kind: 'setBotPace', secondsPerAction: 7 });
    const view = await instructor.view((v) => v.botPace.secondsPerAction === 7);
    expect(view.members.find((m) => m.id === studentId)?.connected).toBe(true);
  });
});
