import { describe, expect, test } from 'vitest';
import { getCondition, isNodeReady, isPodActive, isPodAvailable, isPodReady, setCondition } from './conditions';
import { makeNode, makePod } from './factories';
import type { PodCondition } from './pod';

const T0 = Date.UTC(2026, 10, 25, 10, 0, 0);

describe('setCondition', () => {
  const scheduled: PodCondition = { type: 'PodScheduled', status: 'True', lastTransitionTime: '2026-11-25T09:00:00Z' };

  test('[conditions] a new condition is appended with lastTransitionTime = now', () => {
    const next = setCondition([scheduled], { type: 'Ready', status: 'False', reason: 'ContainersNotReady' }, T0);
    expect(next).toEqual([scheduled, { type: 'Ready', status: 'False', reason: 'ContainersNotReady', lastTransitionTime: '2026-11-25T10:00:00Z' }]);
  });

  test('[conditions] lastTransitionTime is kept when the status does not change', () => {
    const next = setCondition([scheduled], { type: 'PodScheduled', status: 'True', reason: 'Again', lastTransitionTime: 'ignored' }, T0);
    expect(next).toEqual([{ type: 'PodScheduled', status: 'True', reason: 'Again', lastTransitionTime: '2026-11-25T09:00:00Z' }]);
  });

  test('[conditions] lastTransitionTime moves when the status changes, in place', () => {
    const ready: PodCondition = { type: 'Ready', status: 'False', lastTransitionTime: '2026-11-25T09:00:00Z' };
    const list = [scheduled, ready];
    const next = setCondition(list, { type: 'Ready', status: 'True' }, T0 + 1500);
    expect(next).toEqual([scheduled, { type: 'Ready', status: 'True', lastTransitionTime: '2026-11-25T10:00:01Z' }]);
    expect(list[1]).toBe(ready); // not mutated
    expect(next).not.toBe(list);
  });

  test('[conditions] getCondition finds by type', () => {
    expect(getCondition([scheduled], 'PodScheduled')).toBe(scheduled);
    expect(getCondition([scheduled], 'Ready')).toBeUndefined();
    expect(getCondition<PodCondition>(undefined, 'Ready')).toBeUndefined();
  });
});

describe('readiness', () => {
  test('[PodReady] a pod is ready when its Ready condition is True', () => {
    const pod = makePod('p');
    expect(isPodReady(pod)).toBe(false);
    pod.status = { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] };
    expect(isPodReady(pod)).toBe(true);
    pod.status.conditions = [{ type: 'Ready', status: 'False' }];
    expect(isPodReady(pod)).toBe(false);
  });

  test('[NodeReady] Ready=Unknown (missed heartbeats) is not ready', () => {
    expect(isNodeReady(makeNode('n', { now: T0 }))).toBe(true);
    expect(isNodeReady(makeNode('n', { ready: false }))).toBe(false);
    const node = makeNode('n');
    node.status = { ...node.status, conditions: [{ type: 'Ready', status: 'Unknown', reason: 'NodeStatusUnknown' }] };
    expect(isNodeReady(node)).toBe(false);
  });

  test('[IsPodActive] terminal or terminating pods are not active', () => {
    const pod = makePod('p');
    expect(isPodActive(pod)).toBe(true);
    expect(isPodActive({ ...pod, status: { phase: 'Failed' } })).toBe(false);
    expect(isPodActive({ ...pod, status: { phase: 'Succeeded' } })).toBe(false);
    expect(isPodActive({ ...pod, metadata: { ...pod.metadata, deletionTimestamp: '2026-11-25T10:00:00Z' } })).toBe(false);
  });

  test('[IsPodAvailable] ready for minReadySeconds', () => {
    const pod = makePod('p');
    pod.status = { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-11-25T10:00:00Z' }] };
    expect(isPodAvailable(pod, 0, T0)).toBe(true);
    expect(isPodAvailable(pod, 10, T0 + 9_999)).toBe(false);
    expect(isPodAvailable(pod, 10, T0 + 10_000)).toBe(true);
    expect(isPodAvailable(makePod('q'), 0, T0)).toBe(false);
  });
});
