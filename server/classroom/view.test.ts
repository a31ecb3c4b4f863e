import { describe, expect, it } from 'vitest';
import type { Role } from '@shared/protocol';
import { connected, disconnected, type Presence } from './presence';
import { lobbyRunState } from './run-state';
import { seatViews, type ClassroomRecord, type MemberRecord } from './view';

const student = (id: string, joinedAt: number): MemberRecord => ({ id, name: id, kind: 'student', joinedAt, tokenHash: 'h' });

function record(roles: Record<string, Role>, presence: Record<string, Presence>, botHelpOff: Role[] = []): ClassroomRecord {
  return {
    id: 'c',
    code: 'ABCDEF',
    title: 't',
    nodes: ['node-1'],
    createdAt: 0,
    run: lobbyRunState(0),
    locked: false,
    botPace: { secondsPerAction: 5 },
    members: [student('ann', 1), student('bob', 2)],
    roles: new Map(Object.entries(roles)),
    presence: new Map(Object.entries(presence)),
    botHelpOff: new Set(botHelpOff),
  };
}

const seat = (r: ClassroomRecord, role: Role, now: number) => seatViews(r, now).find((s) => s.role === role);

describe('role seats: a role without a connected student is played by its bot', () => {
  it('a connected student takes the role from the bot at once', () => {
    const r = record({ ann: 'scheduler' }, { ann: connected(100, 's1') });
    expect(seat(r, 'scheduler', 100)).toEqual({ role: 'scheduler', studentIds: ['ann'], leaderId: 'ann', bot: 'standby', botHelp: true });
    expect(seat(r, 'kube-proxy:node-1', 100)).toMatchObject({ studentIds: [], leaderId: null, bot: 'playing' });
  });

  it('a student who drops out keeps the role through the grace period, then the bot plays it again', () => {
    const r = record({ ann: 'scheduler' }, { ann: disconnected(1_000, 20_000) });
    expect(seat(r, 'scheduler', 20_999)).toMatchObject({ leaderId: 'ann', bot: 'standby' });
    expect(seat(r, 'scheduler', 21_000)).toMatchObject({ studentIds: ['ann'], leaderId: null, bot: 'playing' });
  });

  it('an assigned student who never connected leaves the role to the bot', () => {
    expect(seat(record({ ann: 'kubelet:node-1' }, {}), 'kubelet:node-1', 5)).toMatchObject({ leaderId: null, bot: 'playing' });
  });

  it('a team leads with its earliest-joined student still holding the seat', () => {
    const r = record({ ann: 'scheduler', bob: 'scheduler' }, { ann: disconnected(0, 10), bob: connected(0, 's2') });
    expect(seat(r, 'scheduler', 50)).toMatchObject({ studentIds: ['ann', 'bob'], leaderId: 'bob' });
  });

  it('with bot help off, nobody plays an empty role', () => {
    const r = record({}, {}, ['kube-proxy:node-1']);
    expect(seat(r, 'kube-proxy:node-1', 0)).toMatchObject({ bot: 'off', botHelp: false });
  });
});
