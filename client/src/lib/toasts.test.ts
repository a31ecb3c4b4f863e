import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LIFETIME_MS, MAX_TOASTS, ToastStack } from './toasts.svelte';

/** What the strip shows, one line per toast: "tone title: message ×count". */
function shown(stack: ToastStack): string[] {
  return stack.items.map((t) => `${t.tone} ${t.title}: ${t.message}${t.count > 1 ? ` ×${t.count}` : ''}`);
}

describe('toasts: refusals teach without burying the screen', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('shows at most two toasts; a third distinct one pushes out the oldest', () => {
    const stack = new ToastStack();
    expect(MAX_TOASTS).toBe(2);
    stack.show('error', 'bind refused: Conflict', 'one');
    stack.show('error', 'bind refused: Conflict', 'two');
    stack.show('info', 'Applied', 'three');
    expect(shown(stack)).toEqual(['error bind refused: Conflict: two', 'info Applied: three']);
    stack.show('error', 'pull refused: Invalid', 'four');
    expect(shown(stack)).toEqual(['info Applied: three', 'error pull refused: Invalid: four']);
  });

  it('folds the same toast into the one on screen with a repeat count, in place', () => {
    const stack = new ToastStack();
    stack.show('error', 'bind refused: Forbidden', 'not your turn');
    stack.show('error', 'pull refused: Conflict', 'already pulled');
    for (let i = 0; i < 11; i++) stack.show('error', 'bind refused: Forbidden', 'not your turn');
    expect(shown(stack)).toEqual(['error bind refused: Forbidden: not your turn ×12', 'error pull refused: Conflict: already pulled']);
    expect(stack.items.map((t) => t.id)).toEqual([1, 2]);
  });

  it('folds only an identical toast: another tone, title or message is a toast of its own', () => {
    const stack = new ToastStack(10);
    stack.show('error', 'A', 'm');
    stack.show('info', 'A', 'm');
    stack.show('error', 'B', 'm');
    stack.show('error', 'A', 'm2');
    stack.show('error', 'A', 'm');
    expect(stack.items.map((t) => t.count)).toEqual([2, 1, 1, 1]);
  });

  it('a repeated toast counts as new: the one neither shown nor repeated lately drops off', () => {
    const stack = new ToastStack();
    stack.show('error', 'A', 'first');
    stack.show('error', 'B', 'second');
    stack.show('error', 'A', 'first'); // A is now the freshest, though it came first
    stack.show('error', 'C', 'third');
    expect(shown(stack)).toEqual(['error A: first ×2', 'error C: third']);
  });

  it('expires each toast after its lifetime, and a repeat restarts the timer', () => {
    const stack = new ToastStack();
    stack.show('error', 'A', 'refused');
    stack.show('info', 'B', 'done');
    vi.advanceTimersByTime(LIFETIME_MS.info - 1);
    expect(stack.items).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(shown(stack)).toEqual(['error A: refused']);

    vi.advanceTimersByTime(LIFETIME_MS.error - LIFETIME_MS.info - 1000);
    stack.show('error', 'A', 'refused'); // 1 s before it would have gone: a fresh 10 s
    vi.advanceTimersByTime(LIFETIME_MS.error - 1);
    expect(shown(stack)).toEqual(['error A: refused ×2']);
    vi.advanceTimersByTime(1);
    expect(stack.items).toEqual([]);
  });

  it('a toast pushed out or dismissed leaves no timer behind to remove a later one', () => {
    const stack = new ToastStack();
    stack.show('error', 'A', 'a');
    stack.show('error', 'B', 'b');
    stack.show('error', 'C', 'c'); // A drops off
    stack.dismiss(2);
    expect(shown(stack)).toEqual(['error C: c']);
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(LIFETIME_MS.error);
    expect(stack.items).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('once gone, the same message is a new toast again (count 1)', () => {
    const stack = new ToastStack();
    stack.show('error', 'A', 'a');
    stack.show('error', 'A', 'a');
    stack.dismiss(stack.items[0]!.id);
    stack.show('error', 'A', 'a');
    expect(stack.items.map((t) => t.count)).toEqual([1]);
  });

  it('stops the clocks while paused and gives every toast its full lifetime on resume', () => {
    const stack = new ToastStack();
    stack.show('error', 'A', 'a');
    vi.advanceTimersByTime(9_000);
    stack.setPaused(true);
    stack.show('info', 'B', 'b'); // arrives while the reader holds the strip
    vi.advanceTimersByTime(60_000);
    expect(stack.items).toHaveLength(2);
    stack.setPaused(false);
    vi.advanceTimersByTime(LIFETIME_MS.info);
    expect(shown(stack)).toEqual(['error A: a']);
    vi.advanceTimersByTime(LIFETIME_MS.error - LIFETIME_MS.info);
    expect(stack.items).toEqual([]);
  });
});
