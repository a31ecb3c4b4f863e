import { expect, test } from 'vitest';
import { RecentMap } from './recent-map';

test('an entry is trusted for its time to live, then gone; stale entries are dropped as new ones come, so the map holds the recent classrooms only', () => {
  let now = 0;
  const rooms = new RecentMap<string>(30_000, () => now);
  rooms.set('a', 'room a');
  now = 29_999;
  expect(rooms.get('a')).toBe('room a');
  now = 30_000;
  expect(rooms.get('a')).toBeUndefined();
  // A deployment's classrooms come and go: 1,000 heard once each, a second apart.
  for (let i = 0; i < 1000; i++) {
    now += 1000;
    rooms.set(`c${i}`, `room ${i}`);
  }
  expect(rooms.size).toBeLessThanOrEqual(61);
  expect(rooms.get('c999')).toBe('room 999');
  expect(rooms.get('a')).toBeUndefined();
  // Set again, an entry is fresh again.
  rooms.set('c0', 'room 0 again');
  expect(rooms.get('c0')).toBe('room 0 again');
});
