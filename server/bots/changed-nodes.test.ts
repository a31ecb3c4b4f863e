/**
 * Which per-node bots a component's tick plays: after a first full pass, only the nodes a change
 * concerned (and those that left work for later), and every RESYNC_TICKS-th tick all of them.
 */
import { describe, expect, test } from 'vitest';
import { makeLease, makeNode, makePod, makeService, type KubeObject } from '@shared/model';
import type { WatchEvent } from '@shared/protocol';
import { ChangedNodes, RESYNC_TICKS } from './changed-nodes';

const event = (object: KubeObject): WatchEvent => ({ type: 'MODIFIED', object, resourceVersion: '7', actor: 'bot:scheduler', simTime: 0, wallTime: 0 });
const podOn = (node: string): KubeObject => {
  const pod = makePod('web-1');
  return { ...pod, spec: { ...pod.spec, nodeName: node } };
};
const sorted = (nodes: ReadonlySet<string> | null): string[] | null => (nodes ? [...nodes].sort() : null);

describe('the nodes whose bots look at a tick', () => {
  test('all at the first tick; then those a change concerned, per component; all again at the resync', () => {
    const changed = new ChangedNodes();
    changed.note('c1', [event(podOn('node-3'))]);
    expect(changed.take('c1', 'kubelet')).toBeNull();
    expect(changed.take('c1', 'kube-proxy')).toBeNull();
    expect(sorted(changed.take('c1', 'kubelet'))).toEqual([]);

    changed.note('c1', [event(podOn('node-2')), event(podOn('node-5'))]);
    changed.note('c2', [event(podOn('node-1'))]);
    expect(sorted(changed.take('c1', 'kubelet'))).toEqual(['node-2', 'node-5']);
    // A pod concerns its node's kubelet and runtime, not its kube-proxy.
    expect(sorted(changed.take('c1', 'kube-proxy'))).toEqual([]);
    // Taken: the next tick sees only what changed since.
    expect(sorted(changed.take('c1', 'kubelet'))).toEqual([]);

    // A bot that stopped at its move cap looks again; a Service concerns every kube-proxy.
    changed.again('c1', 'kubelet', 'node-4');
    changed.note('c1', [event(makeService('web', { app: 'web' }, 80))]);
    expect(sorted(changed.take('c1', 'kubelet'))).toEqual(['node-4']);
    expect(changed.take('c1', 'kube-proxy')).toBeNull();

    // A node's heartbeat (its Lease renewed) wakes none of its bots; its Node changing wakes all three.
    changed.note('c1', [event(makeLease('node-6', 'kube-node-lease', 'node-6', 40, 0))]);
    expect(sorted(changed.take('c1', 'kubelet'))).toEqual([]);
    changed.note('c1', [event(makeNode('node-6'))]);
    expect(sorted(changed.take('c1', 'kubelet'))).toEqual(['node-6']);

    for (let tick = 7; tick < RESYNC_TICKS; tick++) expect(changed.take('c1', 'kubelet')).not.toBeNull();
    expect(changed.take('c1', 'kubelet')).toBeNull();
  });
});
