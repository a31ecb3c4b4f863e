import type { MemberView, RoleSeatView, RoundScore } from '@shared/protocol';
import { isBotScore } from './round-achievers';

export interface LeaderboardRow {
  rank: number;
  score: RoundScore;
}

export interface LeaderboardData {
  /** The students, ranked among themselves: every screen shows the same ranks. */
  students: LeaderboardRow[];
  /** The seats bots played this round and the points they made between them: shown apart, not ranked. */
  bots: { seats: number; score: number };
}

/**
 * The round's leaderboard as every screen shows it (phones, console, host screen). The bots'
 * seats are those a bot scored in this round plus those a bot plays now: a seat whose bot made
 * no request (a kube-proxy with no traffic, an idle node's kubelet) is a seat the bots played too.
 * A student who holds a seat and made no request (a kube-proxy in a round with no Service) has no
 * score of the round's: they are listed with 0, not left off the board their classmates are on.
 */
export function leaderboardOf(scores: readonly RoundScore[], seats: readonly RoleSeatView[], members: readonly MemberView[] = []): LeaderboardData {
  const scored = new Set(scores.map((s) => s.memberId));
  const idle = members
    .filter((m) => m.kind === 'student' && m.role !== null && !scored.has(m.id) && seats.some((seat) => seat.studentIds.includes(m.id)))
    .map((m): RoundScore => ({ memberId: m.id, name: m.name, role: m.role, score: 0, refusals: 0, accepted: 0 }));
  const students = [...scores, ...idle]
    .filter((s) => !isBotScore(s))
    // Ties by name in one fixed locale, then by member: every screen ranks alike, whatever its language ('Åsa' sorts after 'Zoe' in Swedish).
    .sort((a, b) => b.score - a.score || a.refusals - b.refusals || a.name.localeCompare(b.name, 'en') || (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0))
    .map((score, i) => ({ rank: i + 1, score }));
  const botScores = scores.filter(isBotScore);
  const botSeats = new Set([...botScores.map((s) => s.memberId.slice('bot:'.length)), ...seats.filter((s) => s.bot === 'playing').map((s) => s.role)]);
  return { students, bots: { seats: botSeats.size, score: botScores.reduce((sum, s) => sum + s.score, 0) } };
}

/** The line under the students: how many seats the bots played and what they made, apart from the ranking. */
export function botsText({ students, bots }: LeaderboardData): string | null {
  if (bots.seats === 0) return null;
  const seats = `${bots.seats} seat${bots.seats === 1 ? '' : 's'}`;
  const points = `${bots.score} point${bots.score === 1 ? '' : 's'}`;
  return students.length ? `Bots played the other ${seats} (${points}, not ranked).` : `No student played this round: the bots played its ${seats} (${points}).`;
}
