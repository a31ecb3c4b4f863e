import { describe, expect, test } from 'vitest';
import { DEFAULT_TOLERATIONS, tolerates, untoleratedTaint, withDefaultTolerations } from './taints';
import { makePod } from './factories';
import type { Taint } from './node';
import type { Toleration } from './pod';

const gpu: Taint = { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' };
const unreachable: Taint = { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' };

describe('tolerates (Toleration.ToleratesTaint)', () => {
  test.each<[string, Toleration, Taint, boolean]>([
    ['empty key with Exists tolerates every taint', { operator: 'Exists' }, gpu, true],
    ['empty key with Exists tolerates NoExecute too', { operator: 'Exists' }, unreachable, true],
    ['Equal with the same key, value and effect', { key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }, gpu, true],
    ['operator defaults to Equal', { key: 'dedicated', value: 'gpu' }, gpu, true],
    ['Equal with another value', { key: 'dedicated', operator: 'Equal', value: 'cpu' }, gpu, false],
    ['Exists with the same key ignores the value', { key: 'dedicated', operator: 'Exists' }, gpu, true],
    ['an empty effect matches all effects', { key: 'dedicated', operator: 'Exists' }, { ...gpu, effect: 'NoExecute' }, true],
    ['another effect does not match', { key: 'dedicated', operator: 'Exists', effect: 'NoExecute' }, gpu, false],
    ['another key does not match', { key: 'team', operator: 'Exists' }, gpu, false],
    ['Equal with no value matches a taint without value', { key: 'node.kubernetes.io/unreachable', operator: 'Equal' }, unreachable, true],
  ])('[TaintToleration] %s', (_name, toleration, taint, expected) => {
    expect(tolerates(toleration, taint)).toBe(expected);
  });
});

describe('untoleratedTaint (FindMatchingUntoleratedTaint)', () => {
  const prefer: Taint = { key: 'spot', effect: 'PreferNoSchedule' };
  test('[TaintToleration] returns the first untolerated NoSchedule/NoExecute taint', () => {
    expect(untoleratedTaint(undefined, [prefer, gpu, unreachable])).toEqual(gpu);
    expect(untoleratedTaint([{ key: 'dedicated', operator: 'Exists' }], [prefer, gpu, unreachable])).toEqual(unreachable);
    expect(untoleratedTaint([...DEFAULT_TOLERATIONS, { key: 'dedicated', operator: 'Exists' }], [gpu, unreachable])).toBeUndefined();
  });

  test('[TaintToleration] PreferNoSchedule does not filter unless asked', () => {
    expect(untoleratedTaint([], [prefer])).toBeUndefined();
    expect(untoleratedTaint([], [prefer], ['PreferNoSchedule'])).toEqual(prefer);
    expect(untoleratedTaint([], undefined)).toBeUndefined();
  });
});

describe('default tolerations (DefaultTolerationSeconds)', () => {
  test('[DefaultTolerationSeconds] not-ready and unreachable, Exists, NoExecute, 300 s', () => {
    expect(DEFAULT_TOLERATIONS).toEqual([
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    ]);
  });

  test('[DefaultTolerationSeconds] added to a pod without them, not mutating it', () => {
    const pod = makePod('p');
    const withDefaults = withDefaultTolerations(pod);
    expect(withDefaults.spec.tolerations).toEqual(DEFAULT_TOLERATIONS);
    expect(pod.spec.tolerations).toBeUndefined();
    expect(withDefaultTolerations(withDefaults)).toBe(withDefaults);
  });

  test('[DefaultTolerationSeconds] a pod that already tolerates unreachable keeps its own', () => {
    const own: Toleration = { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 6000 };
    const pod = withDefaultTolerations(makePod('p', { tolerations: [own] }));
    expect(pod.spec.tolerations).toEqual([own, DEFAULT_TOLERATIONS[0]]);
  });

  test('[DefaultTolerationSeconds] a toleration of everything covers both', () => {
    const pod = makePod('p', { tolerations: [{ operator: 'Exists' }] });
    expect(withDefaultTolerations(pod)).toBe(pod);
  });
});
