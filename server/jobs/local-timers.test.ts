import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import type { SimClock } from '@shared/protocol';
import { makeTimer, type Timer } from '@shared/sim';
import { createLogger } from '../logger';
import { RedisUnavailableError } from '../redis/unavailable';
import { LocalTimers } from './local-timers';

// Fake timers: what is checked is the arithmetic of simulated due times against the wall clock.
beforeEach(() => void vi.useFakeTimers({ now: 1_000_000 }));
afterEach(() => void vi.useRealTimers());

const logger = createLogger('silent', false);
const running = (timeScale: number, simAtWall = 0): SimClock => ({ simAtWall, wall: Date.now(), timeScale, paused: false });
const callDue = (dueAt: number, callId = 'c1'): Timer => makeTimer('criCallDue', dueAt, { node: 'node-1', callId });

/** Timers that fired, as `<classroom> <id> @<firedAt>`. */
function recording(): { fired: string[]; timers: LocalTimers } {
  const fired: string[] = [];
  const timers = new LocalTimers(async (classroomId, timer, firedAt) => void fired.push(`${classroomId} ${timer.id} @${firedAt}`), logger);
  return { fired, timers };
}

describe('LocalTimers', () => {
  test('a timer fires when the classroom clock reaches its due time: 3 simulated s at time scale 10 is 300 wall ms', async () => {
    const { fired, timers } = recording();
    timers.follow('c1', running(10));
    expect(timers.schedule('c1', [callDue(3000)])).toBe(true);
    await vi.advanceTimersByTimeAsync(299);
    expect(fired).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(fired).toEqual(['c1 criCallDue:node-1/c1:3000 @3000']);
    expect(timers.has('c1', 'criCallDue:node-1/c1:3000')).toBe(false);
    await timers.close();
  });

  test('timers fire in due order, the same id booked twice fires once, and an earlier timer booked later moves the wake-up forward', async () => {
    const { fired, timers } = recording();
    timers.follow('c1', running(1));
    timers.schedule('c1', [callDue(5000, 'late'), callDue(5000, 'late')]);
    timers.schedule('c1', [callDue(2000, 'early')]);
    expect(timers.size).toBe(2);
    await vi.advanceTimersByTimeAsync(2000);
    expect(fired).toEqual(['c1 criCallDue:node-1/early:2000 @2000']);
    await vi.advanceTimersByTimeAsync(3000);
    expect(fired).toEqual(['c1 criCallDue:node-1/early:2000 @2000', 'c1 criCallDue:node-1/late:5000 @5000']);
    await timers.close();
  });

  test('a classroom not followed here keeps nothing: its timers run on its owner', async () => {
    const { fired, timers } = recording();
    expect(timers.schedule('elsewhere', [callDue(10)])).toBe(false);
    expect(timers.size).toBe(0);
    await vi.advanceTimersByTimeAsync(1000);
    expect(fired).toEqual([]);
    await timers.close();
  });

  test('a paused clock holds the timers; the resumed clock fires them at their simulated due time', async () => {
    const { fired, timers } = recording();
    timers.follow('c1', running(1));
    timers.schedule('c1', [callDue(1000)]);
    await vi.advanceTimersByTimeAsync(500);
    timers.follow('c1', { simAtWall: 500, wall: Date.now(), timeScale: 1, paused: true });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(fired).toEqual([]);
    timers.follow('c1', running(1, 500));
    await vi.advanceTimersByTimeAsync(499);
    expect(fired).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(fired).toEqual(['c1 criCallDue:node-1/c1:1000 @1000']);
    await timers.close();
  });

  test('an overdue timer (a classroom taken over late) fires at once, at the simulated now', async () => {
    const { fired, timers } = recording();
    timers.follow('c1', running(1, 9000));
    timers.schedule('c1', [callDue(4000)]);
    await vi.advanceTimersByTimeAsync(0);
    expect(fired).toEqual(['c1 criCallDue:node-1/c1:4000 @9000']);
    await timers.close();
  });

  test('stop drops the classroom\'s timers and no other\'s; cancel drops the timers it picks and keeps following', async () => {
    const { fired, timers } = recording();
    timers.follow('c1', running(1));
    timers.follow('c2', running(1));
    timers.schedule('c1', [callDue(1000)]);
    timers.schedule('c2', [callDue(1000), makeTimer('leaseRenew', 1000, { node: 'node-1' })]);
    timers.stop('c1');
    timers.cancel('c2', (timer) => timer.kind !== 'leaseRenew');
    expect(timers.follows('c1')).toBe(false);
    expect(timers.schedule('c1', [callDue(1000, 'again')])).toBe(false);
    await vi.advanceTimersByTimeAsync(1000);
    expect(fired).toEqual(['c2 leaseRenew:node-1:1000 @1000']);
    await timers.close();
  });

  test('a failing handler (Redis gone) does not stop the others; due timers run at most 32 at once', async () => {
    let active = 0;
    let most = 0;
    const ran: string[] = [];
    const timers = new LocalTimers(async (_classroomId, timer) => {
      active++;
      most = Math.max(most, active);
      await new Promise((resolve) => setTimeout(resolve, 10));
      active--;
      if (timer.callId === 'c0') throw new RedisUnavailableError();
      ran.push(timer.callId ?? '');
    }, logger);
    timers.follow('c1', running(1));
    timers.schedule('c1', Array.from({ length: 100 }, (_, i) => callDue(100, `c${i}`)));
    await vi.advanceTimersByTimeAsync(100);
    await vi.advanceTimersByTimeAsync(100);
    expect(most).toBe(32);
    expect(ran).toHaveLength(99);
    expect(ran).not.toContain('c0');
    await timers.close();
  });

  test('a faster time scale brings the wake-up forward; a clock older than the one followed (a stale view) is ignored', async () => {
    const { fired, timers } = recording();
    timers.follow('c1', running(1));
    timers.schedule('c1', [callDue(10_000)]);
    await vi.advanceTimersByTimeAsync(1000);
    const faster = running(10, 1000);
    timers.follow('c1', faster);
    timers.follow('c1', { ...running(1, 0), wall: faster.wall - 1 });
    await vi.advanceTimersByTimeAsync(899);
    expect(fired).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(fired).toEqual(['c1 criCallDue:node-1/c1:10000 @10000']);
    await timers.close();
  });

  test('a timer fallen due counts as held until its handler ends; stopped while it waits for a slot, it does not run', async () => {
    const ran: string[] = [];
    const release: (() => void)[] = [];
    const timers = new LocalTimers(async (classroomId, timer) => {
      ran.push(`${classroomId} ${timer.callId ?? ''}`);
      await new Promise<void>((resolve) => release.push(resolve));
    }, logger);
    timers.follow('busy', running(1));
    timers.follow('c1', running(1));
    timers.schedule('busy', Array.from({ length: 32 }, (_, i) => callDue(100, `b${i}`)));
    timers.schedule('c1', [callDue(200, 'waiting')]);
    await vi.advanceTimersByTimeAsync(200);
    expect(ran).toHaveLength(32);
    expect(timers.has('busy', 'criCallDue:node-1/b0:100')).toBe(true);
    expect(timers.has('c1', 'criCallDue:node-1/waiting:200')).toBe(true);
    timers.stop('c1');
    for (const done of release.splice(0)) done();
    await vi.advanceTimersByTimeAsync(0);
    expect(ran.filter((r) => r.startsWith('c1'))).toEqual([]);
    expect(timers.has('busy', 'criCallDue:node-1/b0:100')).toBe(false);
    await timers.close();
  });
});
