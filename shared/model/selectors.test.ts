import { describe, expect, test } from 'vitest';
import { matchesLabels, matchesNodeAffinity, matchesNodeSelectorTerm, matchesNodeSelectorTerms, matchesSelector } from './selectors';
import { makeNode, makePod } from './factories';
import type { LabelSelector } from './schemas-common';
import type { NodeSelectorTerm } from './pod';

const labels = { app: 'web', tier: 'frontend' };

describe('matchesSelector (metav1.LabelSelector)', () => {
  test.each<[string, LabelSelector | undefined, boolean]>([
    ['an absent selector matches nothing', undefined, false],
    ['an empty selector matches everything', {}, true],
    ['matchLabels all equal', { matchLabels: { app: 'web' } }, true],
    ['matchLabels with a different value', { matchLabels: { app: 'api' } }, false],
    ['matchLabels with a missing key', { matchLabels: { env: 'prod' } }, false],
    ['In with the value listed', { matchExpressions: [{ key: 'tier', operator: 'In', values: ['frontend', 'backend'] }] }, true],
    ['In with the key absent', { matchExpressions: [{ key: 'env', operator: 'In', values: ['prod'] }] }, false],
    ['NotIn with another value', { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['backend'] }] }, true],
    ['NotIn with the key absent', { matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['prod'] }] }, true],
    ['NotIn with the value listed', { matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['web'] }] }, false],
    ['Exists with the key present', { matchExpressions: [{ key: 'app', operator: 'Exists' }] }, true],
    ['DoesNotExist with the key present', { matchExpressions: [{ key: 'app', operator: 'DoesNotExist' }] }, false],
    ['DoesNotExist with the key absent', { matchExpressions: [{ key: 'env', operator: 'DoesNotExist' }] }, true],
    [
      'matchLabels AND matchExpressions',
      { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['backend'] }] },
      false,
    ],
  ])('[LabelSelector] %s', (_name, selector, expected) => {
    expect(matchesSelector(selector, labels)).toBe(expected);
  });

  test('[LabelSelector] an object without labels only matches selectors that need none', () => {
    expect(matchesSelector({}, undefined)).toBe(true);
    expect(matchesSelector({ matchExpressions: [{ key: 'app', operator: 'DoesNotExist' }] }, undefined)).toBe(true);
    expect(matchesSelector({ matchLabels: { app: 'web' } }, undefined)).toBe(false);
  });
});

describe('matchesLabels (Service selector, nodeSelector)', () => {
  test.each([
    [{ app: 'web' }, true],
    [{ app: 'web', tier: 'frontend' }, true],
    [{ app: 'web', tier: 'backend' }, false],
    [{}, true],
  ])('[Service.spec.selector] %j on app=web,tier=frontend is %s', (selector, expected) => {
    expect(matchesLabels(selector, labels)).toBe(expected);
  });
});

describe('node selector terms (NodeAffinity)', () => {
  const node = makeNode('node-1', { labels: { zone: 'a', gpus: '4', disk: 'ssd' } });
  test.each<[string, NodeSelectorTerm, boolean]>([
    ['In', { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a', 'b'] }] }, true],
    ['NotIn', { matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['a'] }] }, false],
    ['Exists', { matchExpressions: [{ key: 'disk', operator: 'Exists' }] }, true],
    ['DoesNotExist', { matchExpressions: [{ key: 'disk', operator: 'DoesNotExist' }] }, false],
    ['Gt compares integers', { matchExpressions: [{ key: 'gpus', operator: 'Gt', values: ['3'] }] }, true],
    ['Gt is strict', { matchExpressions: [{ key: 'gpus', operator: 'Gt', values: ['4'] }] }, false],
    ['Lt compares integers, not strings', { matchExpressions: [{ key: 'gpus', operator: 'Lt', values: ['10'] }] }, true],
    ['Gt on a non-integer label fails', { matchExpressions: [{ key: 'zone', operator: 'Gt', values: ['1'] }] }, false],
    ['Gt on an absent label fails', { matchExpressions: [{ key: 'cores', operator: 'Gt', values: ['1'] }] }, false],
    ['Gt needs exactly one value', { matchExpressions: [{ key: 'gpus', operator: 'Gt', values: ['1', '2'] }] }, false],
    ['an empty term matches no node', {}, false],
    ['matchFields on metadata.name', { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node-1'] }] }, true],
    ['matchFields on another field never matches', { matchFields: [{ key: 'spec.podCIDR', operator: 'Exists' }] }, false],
    [
      'requirements in a term are ANDed',
      { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }, { key: 'disk', operator: 'In', values: ['hdd'] }] },
      false,
    ],
  ])('[NodeAffinity] %s', (_name, term, expected) => {
    expect(matchesNodeSelectorTerm(term, node)).toBe(expected);
  });

  test('[NodeAffinity] terms are ORed', () => {
    const terms: NodeSelectorTerm[] = [
      { matchExpressions: [{ key: 'zone', operator: 'In', values: ['b'] }] },
      { matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] },
    ];
    expect(matchesNodeSelectorTerms(terms, node)).toBe(true);
    expect(matchesNodeSelectorTerms([], node)).toBe(false);
  });

  test('[NodeAffinity] nodeSelector and required affinity must both match', () => {
    expect(matchesNodeAffinity(makePod('p'), node)).toBe(true);
    expect(matchesNodeAffinity(makePod('p', { nodeSelector: { 'kubernetes.io/hostname': 'node-1' } }), node)).toBe(true);
    expect(matchesNodeAffinity(makePod('p', { nodeSelector: { zone: 'b' } }), node)).toBe(false);
    const affinity = {
      nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In' as const, values: ['b'] }] }] } },
    };
    expect(matchesNodeAffinity(makePod('p', { affinity }), node)).toBe(false);
    expect(matchesNodeAffinity(makePod('p', { affinity }), makeNode('node-2', { labels: { zone: 'b' } }))).toBe(true);
  });
});
