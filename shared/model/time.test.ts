import { describe, expect, test } from 'vitest';
import { fromRFC3339, isRFC3339, toMicroTime, toRFC3339 } from './time';

const T0 = Date.UTC(2026, 10, 25, 10, 0, 0); // 2026-11-25T10:00:00Z

describe('time', () => {
  test('[metav1.Time] serialises with whole seconds, truncating', () => {
    expect(toRFC3339(T0)).toBe('2026-11-25T10:00:00Z');
    expect(toRFC3339(T0 + 999)).toBe('2026-11-25T10:00:00Z');
  });

  test('[metav1.MicroTime] serialises with six fraction digits', () => {
    expect(toMicroTime(T0 + 250)).toBe('2026-11-25T10:00:00.250000Z');
  });

  test.each([
    ['2026-11-25T10:00:00Z', T0],
    ['2026-11-25T10:00:00.250000Z', T0 + 250],
    ['2026-11-25T11:00:00+01:00', T0],
    ['2026-11-25T10:00:00.123456789Z', T0 + 123],
  ])('[RFC 3339] %s parses to simulated ms', (text, ms) => {
    expect(fromRFC3339(text)).toBe(ms);
  });

  test.each(['2026-11-25', '2026-11-25 10:00:00Z', 'yesterday', '2026-13-45T10:00:00Z'])('[RFC 3339] %j is rejected', (text) => {
    expect(isRFC3339(text)).toBe(false);
    expect(() => fromRFC3339(text)).toThrow(RangeError);
  });

  test('[time] round trip at second precision', () => {
    expect(fromRFC3339(toRFC3339(T0 + 5000))).toBe(T0 + 5000);
    expect(fromRFC3339(toMicroTime(T0 + 5123))).toBe(T0 + 5123);
  });
});
