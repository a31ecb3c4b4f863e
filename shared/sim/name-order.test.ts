import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { byteOrder, makePod, type Pod } from '@shared/model';
import { podsToDelete } from './controllers/replicaset';
import { oldestFirst, queueOrder } from './state';

/**
 * Kubernetes orders names as Go compares strings, byte by byte; the simulation runs on the server and
 * in browsers, whose locales differ, so it must never order by locale.
 */
describe('[order] names in byte order, as Go compares strings', () => {
  test('capitals before lower case, "-" before digits before letters, a prefix first', () => {
    const names = ['web-a', 'web1', 'web', 'web-B', 'Web-z', 'web-1', 'web.a'];
    expect([...names].sort(byteOrder)).toEqual(['Web-z', 'web', 'web-1', 'web-B', 'web-a', 'web.a', 'web1']);
    expect(byteOrder('web-a', 'web-a')).toBe(0);
  });

  describe('on a machine whose locale is Danish ("aa" is the letter å, after z)', () => {
    const localeCompare = String.prototype.localeCompare;
    beforeAll(() => {
      vi.spyOn(String.prototype, 'localeCompare').mockImplementation(function (this: string, that: string, locales?: Intl.LocalesArgument, options?: Intl.CollatorOptions) {
        return localeCompare.call(this, that, locales ?? 'da', options);
      });
    });
    afterAll(() => {
      vi.restoreAllMocks();
    });

    const created = '2026-12-02T04:00:00Z';
    const pod = (name: string): Pod => ({ ...makePod(name, { nodeName: 'node-1' }), metadata: { name, namespace: 'default', creationTimestamp: created } });
    const names = (pods: readonly Pod[]): string[] => pods.map((p) => p.metadata.name);
    const pods = [pod('zz-web'), pod('aa-web'), pod('ab-web')];

    test('the scheduling queue and the kubelet take pods of one age by name: aa-web first', () => {
      expect('aa'.localeCompare('zz')).toBeGreaterThan(0);
      expect(names([...pods].sort(queueOrder))).toEqual(['aa-web', 'ab-web', 'zz-web']);
      expect(names([...pods].sort(oldestFirst))).toEqual(['aa-web', 'ab-web', 'zz-web']);
    });

    test('a ReplicaSet scaled down by one deletes, of pods alike, the first by name: aa-web', () => {
      expect(names(podsToDelete(pods, pods, 1, 0))).toEqual(['aa-web']);
    });
  });
});
