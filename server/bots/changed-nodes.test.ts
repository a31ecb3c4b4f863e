/**
 * Which per-node bots a component's tick plays: after a first full pass, only the nodes a change
 * concerned (and those that left work for later), and every RESYNC_TICKS-th tick all of them.
 */
import { describe, expect, test } from 'vitest';
import { makeContainerRuntime, makeLease, makeNode, makePod, makeService, type CriCall, type KubeObject } from '@shared/model';
import type { WatchEvent } from '@shared/protocol';
import { ChangedNodes, RESYNC_TICKS } from './changed-nodes';

const event = (object: KubeObject, type: WatchEvent['type'] = 'MODIFIED'): WatchEvent => ({ type, object, resourceVersion: '7', actor: 'bot:scheduler', simTime: 0, wallTime: 0 });
const podOn = (node: string): KubeObject => {
  const pod = makePod('web-1');
  return { ...pod, spec: { ...pod.spec, nodeName: node } };
};
/** The node's runtime object with one CRI call in `status`. */
const runtimeWith = (node: string, status: CriCall['status']): KubeObject => {
  const rt = makeContainerRuntime(node);
  const call: CriCall = { id: `${node}-1`, call: 'CreateContainer', status, pod: 'web-1', container: 'web', sentAt: '2026-01-01T00:00:00.000000Z' };
  return { ...rt, status: { ...rt.status, calls: [call] } };
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
    // A pod concerns its node's kubelet, not its kube-proxy.
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

describe('a bot that found nothing to do', () => {
  test('is not looked at again for the changes its cache held when it looked, only for later ones', () => {
    const changed = new ChangedNodes();
    expect(changed.take('c1', 'kubelet')).toBeNull();
    // The bot's own write marks its node; it looks again after it, on a cache holding that write, and finds nothing.
    changed.note('c1', [event(podOn('node-1'))]);
    changed.looked('c1', 'kubelet', 'node-1', changed.stamp());
    expect(sorted(changed.take('c1', 'kubelet'))).toEqual([]);

    // A change noted after the look (the runtime answered meanwhile) is still to be seen.
    const stamp = changed.stamp();
    changed.note('c1', [event(podOn('node-1')), event(podOn('node-2'))]);
    changed.looked('c1', 'kubelet', 'node-1', stamp);
    expect(sorted(changed.take('c1', 'kubelet'))).toEqual(['node-1', 'node-2']);

    // Only that node's bot, and only that component: its container runtime still looks.
    expect(changed.take('c1', 'container-runtime')).toBeNull();
    changed.note('c1', [event(runtimeWith('node-3', 'pending'))]);
    changed.looked('c1', 'kubelet', 'node-3', changed.stamp());
    expect(sorted(changed.take('c1', 'kubelet'))).toEqual([]);
    expect(sorted(changed.take('c1', 'container-runtime'))).toEqual(['node-3']);

    // A bot that left work for later looks again, whatever it saw before.
    const before = changed.stamp();
    changed.again('c1', 'kubelet', 'node-4');
    changed.looked('c1', 'kubelet', 'node-4', before);
    expect(sorted(changed.take('c1', 'kubelet'))).toEqual(['node-4']);
  });
});

describe('the container runtime, whose only moves answer the calls the kubelet sent', () => {
  test('looks at its node when a call is pending there, not for a pod or a call already taken', () => {
    const changed = new ChangedNodes();
    expect(changed.take('c1', 'container-runtime')).toBeNull();
    expect(changed.take('c1', 'kubelet')).toBeNull();
    changed.note('c1', [event(podOn('node-1')), event(runtimeWith('node-2', 'running')), event(runtimeWith('node-3', 'done')), event(runtimeWith('node-4', 'pending'))]);
    expect(sorted(changed.take('c1', 'container-runtime'))).toEqual(['node-4']);
    // The kubelet reads its pods and the answers: a call taken (running) or still pending leaves it nothing to do.
    expect(sorted(changed.take('c1', 'kubelet'))).toEqual(['node-1', 'node-3']);
  });

  test("a node's runtime written after its kubelet looked (a node added while pods were bound to it) makes the kubelet look again", () => {
    const changed = new ChangedNodes();
    expect(changed.take('c1', 'kubelet')).toBeNull();
    expect(changed.take('c1', 'container-runtime')).toBeNull();
    // A node is added one object at a time; a pod is bound to it before its runtime exists, and
    // the kubelet, with no runtime to call, finds nothing to do.
    changed.note('c1', [event(makeNode('node-9'), 'ADDED'), event(podOn('node-9'))]);
    changed.looked('c1', 'kubelet', 'node-9', changed.stamp());
    expect(sorted(changed.take('c1', 'kubelet'))).toEqual([]);
    changed.note('c1', [event(makeContainerRuntime('node-9'), 'ADDED')]);
    expect(sorted(changed.take('c1', 'kubelet'))).toEqual(['node-9']);
    expect(sorted(changed.take('c1', 'container-runtime'))).toEqual(['node-9']);
  });

  test('the kubelet looks at its node when a container there exited, whatever its calls', () => {
    const changed = new ChangedNodes();
    expect(changed.take('c1', 'kubelet')).toBeNull();
    const rt = runtimeWith('node-1', 'running');
    if (rt.kind !== 'ContainerRuntime') throw new Error('not a runtime');
    const exited = { id: 'c-1', namespace: 'default', pod: 'web-1', podUid: 'u-1', name: 'web', image: 'nginx:1.27', state: 'exited' as const, attempt: 0, exitCode: 137, createdAt: '2026-01-01T00:00:00.000000Z' };
    changed.note('c1', [event({ ...rt, status: { ...rt.status, containers: [exited] } })]);
    expect(sorted(changed.take('c1', 'kubelet'))).toEqual(['node-1']);
  });
});
