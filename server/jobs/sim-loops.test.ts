import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import type { SimClock } from '@shared/protocol';
import { createLogger } from '../logger';
import { SimLoops } from './sim-loops';

// Fake timers: the loop's arithmetic (simulated period -> wall delay) is what is checked, not the machine's speed.
beforeEach(() => void vi.useFakeTimers({ now: 1_000_000 }));
afterEach(() => void vi.useRealTimers());

const running = (timeScale: number, simAtWall = 0): SimClock => ({ simAtWall, wall: Date.now(), timeScale, paused: false });
const logger = createLogger('silent', false);

describe('SimLoops', () => {
  test('a loop passes once per simulated period: every 100 wall ms for a 1 s period at time scale 10', async () => {
    const loops = new SimLoops(logger);
    const passes: number[] = [];
    loops.start('c1', 'tick', { clock: running(10), periodMs: 1000 }, async (now) => { passes.push(now); return true; });
    await vi.advanceTimersByTimeAsync(99);
    expect(passes).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    await vi.advanceTimersByTimeAsync(200);
    expect(passes).toEqual([1000, 2000, 3000]);
    await loops.close();
  });

  test('a paused clock stops the passes; the resumed clock starts them again, a period on at most', async () => {
    const loops = new SimLoops(logger);
    const passes: number[] = [];
    loops.start('c1', 'tick', { clock: running(1), periodMs: 1000 }, async (now) => { passes.push(now); return true; });
    await vi.advanceTimersByTimeAsync(1000);
    expect(passes).toEqual([1000]);
    const paused: SimClock = { simAtWall: 1500, wall: Date.now() + 500, timeScale: 1, paused: true };
    await vi.advanceTimersByTimeAsync(500);
    loops.follow('c1', { clock: paused, periodMs: 1000 });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(passes).toEqual([1000]);
    loops.follow('c1', { clock: { ...paused, wall: Date.now(), paused: false }, periodMs: 1000 });
    await vi.advanceTimersByTimeAsync(500);
    expect(passes).toEqual([1000, 2000]);
    await loops.close();
  });

  test('a shorter period (a faster bot pace) brings the next pass forward', async () => {
    const loops = new SimLoops(logger);
    const passes: number[] = [];
    const clock = running(1);
    loops.start('c1', 'tick', { clock, periodMs: 10_000 }, async (now) => { passes.push(now); return true; });
    await vi.advanceTimersByTimeAsync(1000);
    loops.follow('c1', { clock, periodMs: 500 });
    await vi.advanceTimersByTimeAsync(500);
    expect(passes).toEqual([1500]);
    await loops.close();
  });

  test('a pass that outlasts its period makes the next passes pass on, and false ends the loop', async () => {
    const loops = new SimLoops(logger);
    let finish: (more: boolean) => void = () => {};
    let passes = 0;
    loops.start('c1', 'tick', { clock: running(1), periodMs: 100 }, () => {
      passes++;
      return new Promise<boolean>((resolve) => (finish = resolve));
    });
    await vi.advanceTimersByTimeAsync(1000);
    expect(passes).toBe(1);
    finish(true);
    await vi.advanceTimersByTimeAsync(100);
    expect(passes).toBe(2);
    finish(false);
    await vi.advanceTimersByTimeAsync(1000);
    expect(passes).toBe(2);
    expect(loops.has('c1', 'tick')).toBe(false);
    await loops.close();
  });

  test('a failing pass is logged and the loop goes on; stopAll ends the classroom\'s loops and no other', async () => {
    const loops = new SimLoops(logger);
    const passes: string[] = [];
    loops.start('c1', 'a', { clock: running(1), periodMs: 100 }, async () => {
      passes.push('c1/a');
      throw new Error('Redis went away');
    });
    loops.start('c1', 'b', { clock: running(1), periodMs: 100 }, async () => { passes.push('c1/b'); return true; });
    loops.start('c2', 'a', { clock: running(1), periodMs: 100 }, async () => { passes.push('c2/a'); return true; });
    await vi.advanceTimersByTimeAsync(200);
    expect(passes.filter((p) => p === 'c1/a')).toHaveLength(2);
    loops.stopAll('c1');
    expect(loops.names('c1')).toEqual([]);
    passes.length = 0;
    await vi.advanceTimersByTimeAsync(200);
    expect(passes).toEqual(['c2/a', 'c2/a']);
    await loops.close();
    expect(loops.size).toBe(0);
  });

  test('a pass may name its next one sooner than a period on (a heartbeat\'s next node); firstAt sets the first', async () => {
    const loops = new SimLoops(logger);
    const passes: number[] = [];
    // Passes at 0 (firstAt), then at the time each pass names: 3000, 4500, then a period (10 s) on.
    const next = [3000, 4500];
    loops.start('c1', 'beat', { clock: running(1), periodMs: 10_000 }, async (now) => {
      passes.push(now);
      const at = next.shift();
      return at === undefined ? true : { nextAt: at };
    }, 0);
    await vi.advanceTimersByTimeAsync(2999);
    expect(passes).toEqual([0]);
    await vi.advanceTimersByTimeAsync(1);
    expect(passes).toEqual([0, 3000]);
    await vi.advanceTimersByTimeAsync(1500);
    expect(passes).toEqual([0, 3000, 4500]);
    await vi.advanceTimersByTimeAsync(9999);
    expect(passes).toEqual([0, 3000, 4500]);
    await vi.advanceTimersByTimeAsync(1);
    expect(passes).toEqual([0, 3000, 4500, 14_500]);
    await loops.close();
  });

  test('bringForward moves the next pass sooner, also while a pass is under way', async () => {
    const loops = new SimLoops(logger);
    const passes: number[] = [];
    let finish: () => void = () => {};
    loops.start('c1', 'beat', { clock: running(1), periodMs: 10_000 }, (now) => {
      passes.push(now);
      return new Promise<boolean>((resolve) => (finish = () => resolve(true)));
    });
    loops.bringForward('c1', 'beat', 2000);
    await vi.advanceTimersByTimeAsync(2000);
    expect(passes).toEqual([2000]);
    // Under way: the node added now is due at 2500; the pass ends at 3000 and the next comes at once.
    loops.bringForward('c1', 'beat', 2500);
    await vi.advanceTimersByTimeAsync(1000);
    finish();
    await vi.advanceTimersByTimeAsync(0);
    expect(passes).toEqual([2000, 3000]);
    // A later time than the next pass changes nothing.
    finish();
    loops.bringForward('c1', 'beat', 50_000);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(passes).toEqual([2000, 3000, 13_000]);
    finish();
    await loops.close();
  });
});
