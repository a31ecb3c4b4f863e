/** The store's cache of the last stored JSON of each object: what it keeps, and that it lets go. */
import { expect, test } from 'vitest';
import { VersionCache } from './version-cache';

test('keeps the newest version of each object, and forgets an object deleted after it and a whole classroom', () => {
  const cache = new VersionCache();
  cache.remember('a', 'Lease', 'kube-node-lease/node-1', 5, '{"v":5}');
  cache.remember('a', 'Lease', 'kube-node-lease/node-1', 4, '{"v":4}'); // older: kept out
  cache.remember('a', 'Pod', 'default/web', 6, '{"v":6}');
  cache.remember('b', 'Pod', 'default/web', 7, '{"v":7}');
  expect(cache.get('a', 'Lease', 'kube-node-lease/node-1')).toEqual({ rv: 5, json: '{"v":5}' });
  expect(cache.objects).toBe(3);

  // A delete older than the version known is of an earlier object of that name.
  cache.forget('a', 'Pod', 'default/web', 6);
  expect(cache.get('a', 'Pod', 'default/web')?.rv).toBe(6);
  cache.forget('a', 'Pod', 'default/web', 8);
  expect(cache.get('a', 'Pod', 'default/web')).toBeUndefined();
  expect(cache.objects).toBe(2);

  // The owner process hands the classroom on: nothing of it stays, the other classroom's objects do.
  cache.forgetClassroom('a');
  expect(cache.get('a', 'Lease', 'kube-node-lease/node-1')).toBeUndefined();
  expect(cache.objects).toBe(1);
  expect(cache.get('b', 'Pod', 'default/web')?.rv).toBe(7);
});

test('at its cap it starts again empty rather than grow', () => {
  const cache = new VersionCache(3);
  for (let i = 0; i < 3; i++) cache.remember('a', 'Pod', `default/p${i}`, i + 1, '{}');
  expect(cache.objects).toBe(3);
  cache.remember('a', 'Pod', 'default/p3', 4, '{}');
  expect(cache.objects).toBe(1);
  expect(cache.get('a', 'Pod', 'default/p0')).toBeUndefined();
  expect(cache.get('a', 'Pod', 'default/p3')?.rv).toBe(4);
});
