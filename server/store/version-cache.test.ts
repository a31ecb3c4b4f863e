/** The store's cache of the last stored version of each object: what it keeps, and that it lets go. */
import { expect, test } from 'vitest';
import { makePod, type KubeObject, type Persisted } from '@shared/model';
import { VersionCache } from './version-cache';

const at = (v: number): Persisted<KubeObject> => {
  const pod = makePod(`v${v}`);
  return { ...pod, metadata: { ...pod.metadata, uid: `uid-${v}`, resourceVersion: String(v), creationTimestamp: '2026-11-25T10:00:00Z', generation: 1 } };
};

test('keeps the newest version of each object, and forgets an object deleted after it and a whole classroom', () => {
  const cache = new VersionCache();
  cache.remember('a', 'Lease', 'kube-node-lease/node-1', 5, at(5));
  cache.remember('a', 'Lease', 'kube-node-lease/node-1', 4, at(4)); // older: kept out
  cache.remember('a', 'Pod', 'default/web', 6, at(6));
  cache.remember('b', 'Pod', 'default/web', 7, at(7));
  expect(cache.get('a', 'Lease', 'kube-node-lease/node-1')).toEqual({ rv: 5, object: at(5) });
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
  for (let i = 0; i < 3; i++) cache.remember('a', 'Pod', `default/p${i}`, i + 1, at(i + 1));
  expect(cache.objects).toBe(3);
  cache.remember('a', 'Pod', 'default/p3', 4, at(4));
  expect(cache.objects).toBe(1);
  expect(cache.get('a', 'Pod', 'default/p0')).toBeUndefined();
  expect(cache.get('a', 'Pod', 'default/p3')?.rv).toBe(4);
});
