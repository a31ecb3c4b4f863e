import { describe, expect, it } from 'vitest';
import type { MemberView, Role, RoleSeatView, RoundScore } from '@shared/protocol';
import { botsText, leaderboardOf } from './leaderboard';

const score = (memberId: string, name: string, role: Role, points: number, refusals = 0): RoundScore => ({ memberId, name, role, score: points, refusals, accepted: 0 });
const seat = (role: Role, bot: RoleSeatView['bot']): RoleSeatView => ({ role, studentIds: [], leaderId: null, bot, botHelp: bot !== 'off' });

// The trial's round: four nodes (14 seats), four students, only four of the ten bots scored.
const NODES = ['node-1', 'node-2', 'node-3', 'node-4'];
const STUDENT_ROLES: Role[] = ['scheduler', 'kubelet:node-1', 'container-runtime:node-1', 'kube-proxy:node-1'];
const SEATS: RoleSeatView[] = (['scheduler', 'controller-manager', ...NODES.flatMap((n) => [`kubelet:${n}`, `container-runtime:${n}`, `kube-proxy:${n}`])] as Role[]).map((r) =>
  seat(r, STUDENT_ROLES.includes(r) ? 'standby' : 'playing'),
);
const SCORES: RoundScore[] = [
  score('bot:controller-manager', 'bot', 'controller-manager', 220),
  score('m-sam', 'Sam', 'kubelet:node-1', 133),
  score('bot:kubelet:node-2', 'bot', 'kubelet:node-2', 121),
  score('m-kim', 'Kim', 'scheduler', 77),
  score('bot:container-runtime:node-2', 'bot', 'container-runtime:node-2', 77),
  score('m-cleo', 'Cleo', 'container-runtime:node-1', 73),
  score('bot:kube-proxy:node-2', 'bot', 'kube-proxy:node-2', 40),
  score('m-rui', 'Rui', 'kube-proxy:node-1', 40),
];

describe('leaderboardOf', () => {
  it('ranks the students among students, the same list on every screen, with the bots apart', () => {
    const board = leaderboardOf(SCORES, SEATS);
    expect(board.students.map(({ rank, score: s }) => `${rank} ${s.name} ${s.score}`)).toEqual(['1 Sam 133', '2 Kim 77', '3 Cleo 73', '4 Rui 40']);
    expect(botsText(board)).toBe('Bots played the other 10 seats (458 points, not ranked).');
  });

  it('lists a seated student who made no request with 0 (a kube-proxy in a round with no Service), last; not a student without a seat', () => {
    const seats = SEATS.map((s) => (s.role === 'kube-proxy:node-1' ? { ...s, studentIds: ['m-rui'] } : s));
    const members: MemberView[] = [
      { id: 'm-rui', name: 'Rui', kind: 'student', connected: true, role: 'kube-proxy:node-1' },
      { id: 'm-ada', name: 'Ada', kind: 'student', connected: true, role: null },
      { id: 'm-teacher', name: 'Instructor', kind: 'instructor', connected: true, role: null },
    ];
    const board = leaderboardOf(
      SCORES.filter((s) => s.memberId !== 'm-rui'),
      seats,
      members,
    );
    expect(board.students.map(({ rank, score: s }) => `${rank} ${s.name} ${s.score} ${s.role ?? '-'}`)).toEqual([
      '1 Sam 133 kubelet:node-1',
      '2 Kim 77 scheduler',
      '3 Cleo 73 container-runtime:node-1',
      '4 Rui 0 kube-proxy:node-1',
    ]);
  });

  it('counts a seat a bot played early in the round and a student holds now', () => {
    const seats = SEATS.map((s) => (s.role === 'kubelet:node-2' ? seat(s.role, 'standby') : s));
    expect(leaderboardOf(SCORES, seats).bots.seats).toBe(10);
  });

  it('does not count a seat nobody played (bot help off, no student)', () => {
    const seats = SEATS.map((s) => (s.role === 'kube-proxy:node-4' ? seat(s.role, 'off') : s));
    expect(leaderboardOf(SCORES, seats).bots.seats).toBe(9);
  });

  it('breaks a tie by fewer refusals, then by name', () => {
    const board = leaderboardOf([score('b', 'Bo', 'scheduler', 50), score('a', 'Al', 'scheduler', 50), score('c', 'Cy', 'scheduler', 50, 1)], []);
    expect(board.students.map((r) => `${r.rank} ${r.score.name}`)).toEqual(['1 Al', '2 Bo', '3 Cy']);
    expect(botsText(board)).toBeNull();
  });

  it('says so when no student played', () => {
    expect(botsText(leaderboardOf([score('bot:scheduler', 'bot', 'scheduler', 1)], [seat('scheduler', 'playing')]))).toBe('No student played this round: the bots played its 1 seat (1 point).');
  });
});
