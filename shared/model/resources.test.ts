import { describe, expect, test } from 'vitest';
import { nodeAllocatable, podRequests } from './resources';
import { resolveFenceposts, scaledValueFromIntOrPercent } from './intorstr';
import { makeContainer, makeNode, makePod } from './factories';

describe('podRequests / nodeAllocatable', () => {
  test('[NodeResourcesFit] a pod requests the sum of its containers', () => {
    const pod = makePod('p', { requests: { cpu: '250m', memory: '128Mi' } });
    pod.spec.containers.push(makeContainer('sidecar', 'envoy:1.31', { requests: { cpu: '0.1', memory: '64Mi' } }));
    expect(podRequests(pod)).toEqual({ cpuMillis: 350, memoryBytes: 192 * 1024 * 1024 });
  });

  test('[NodeResourcesFit] no requests is zero; a limit without a request counts as the request', () => {
    expect(podRequests(makePod('p'))).toEqual({ cpuMillis: 0, memoryBytes: 0 });
    expect(podRequests(makePod('p', { limits: { cpu: 1, memory: '1Gi' }, requests: { cpu: '500m' } }))).toEqual({
      cpuMillis: 500,
      memoryBytes: 1024 ** 3,
    });
  });

  test('[NodeResourcesFit] allocatable cpu, memory and pods', () => {
    expect(nodeAllocatable(makeNode('n', { cpu: 4, memory: '8Gi', pods: 10 }))).toEqual({ cpuMillis: 4000, memoryBytes: 8 * 1024 ** 3, pods: 10 });
  });
});

describe('intstr', () => {
  test.each([
    ['25%', 10, true, 3],
    ['25%', 10, false, 2],
    ['25%', 4, true, 1],
    ['0%', 7, true, 0],
    [2, 10, true, 2],
  ] as const)('[intstr] %j of %i (roundUp %s) is %i', (value, total, roundUp, expected) => {
    expect(scaledValueFromIntOrPercent(value, total, roundUp)).toBe(expected);
  });

  test('[RollingUpdate] maxSurge 25% rounds up, maxUnavailable 25% rounds down; both 0 means maxUnavailable 1', () => {
    expect(resolveFenceposts(undefined, undefined, 3)).toEqual({ maxSurge: 1, maxUnavailable: 0 });
    expect(resolveFenceposts('25%', '25%', 1)).toEqual({ maxSurge: 1, maxUnavailable: 0 });
    expect(resolveFenceposts(0, 0, 3)).toEqual({ maxSurge: 0, maxUnavailable: 1 });
    expect(resolveFenceposts('0%', '0%', 10)).toEqual({ maxSurge: 0, maxUnavailable: 1 });
  });
});
