import { describe, expect, it } from 'vitest';
import { makeNode, makePod, type Node, type Pod } from '../model';
import { ClusterMoments, type ClusterChange } from './cluster-moments';

/** The moments a class sees on a round's timeline and a replay's, change by change. */
describe('ClusterMoments', () => {
  const unknown = (node: Node): Node => ({ ...node, status: { ...node.status, conditions: (node.status?.conditions ?? []).map((c) => (c.type === 'Ready' ? { ...c, status: 'Unknown' as const, reason: 'NodeStatusUnknown' } : c)) } });
  const crashLooping = (pod: Pod, restarts: number): Pod => ({
    ...pod,
    status: {
      phase: 'Running',
      containerStatuses: [
        {
          name: 'shop',
          image: 'shop:1.0-crashloop',
          imageID: '',
          ready: false,
          restartCount: restarts,
          state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 10s restarting failed container=shop pod=shop-1_default(u1)' } },
          lastState: { terminated: { exitCode: 1, reason: 'Error' } },
        },
      ],
    },
  });
  const running = (pod: Pod, restarts: number): Pod => ({
    ...pod,
    status: { phase: 'Running', containerStatuses: [{ name: 'shop', image: 'shop:1.0-crashloop', imageID: '', ready: true, restartCount: restarts, state: { running: {} } }] },
  });
  const see = (moments: ClusterMoments, changes: ClusterChange[]): string[] => changes.flatMap((c) => moments.see(c));

  it('a node going Unknown is a moment, even when the round first sees it then; one registering is not', () => {
    const node2 = makeNode('node-2');
    expect(see(new ClusterMoments(), [{ type: 'MODIFIED', object: unknown(node2), actor: 'bot:controller-manager' }])).toEqual(['node-2 Ready: Unknown']);
    expect(see(new ClusterMoments(), [{ type: 'ADDED', object: makeNode('node-4', { ready: false }), actor: 'system:node:node-4' }])).toEqual([]);
    expect(see(new ClusterMoments(), [{ type: 'MODIFIED', object: node2, actor: 'system:node:node-2' }])).toEqual([]);
  });

  it('a container in CrashLoopBackOff is told once per pod, not at every restart', () => {
    const moments = new ClusterMoments();
    const pod = makePod('shop-1', { nodeName: 'node-1' });
    const told = see(moments, [
      { type: 'MODIFIED', object: running(pod, 0), actor: 'bot:kubelet:node-1' },
      { type: 'MODIFIED', object: crashLooping(pod, 1), actor: 'bot:kubelet:node-1' },
      { type: 'MODIFIED', object: running(pod, 1), actor: 'bot:kubelet:node-1' },
      { type: 'MODIFIED', object: crashLooping(pod, 2), actor: 'bot:kubelet:node-1' },
      { type: 'MODIFIED', object: crashLooping({ ...pod, metadata: { ...pod.metadata, name: 'shop-2' } }, 1), actor: 'bot:kubelet:node-1' },
    ]);
    expect(told).toEqual([
      'shop-1: CrashLoopBackOff (back-off restarting failed container shop, it exited with code 1)',
      'shop-2: CrashLoopBackOff (back-off restarting failed container shop, it exited with code 1)',
    ]);
  });

  it('only an eviction is a pod evicted: the taint manager\'s (DisruptionTarget DeletionByTaintManager), not a ReplicaSet scaling down (SuccessfulDelete)', () => {
    const moments = new ClusterMoments();
    const deleting = (pod: Pod): Pod => ({ ...pod, metadata: { ...pod.metadata, deletionTimestamp: '2026-01-01T00:01:00Z', deletionGracePeriodSeconds: 30 } });
    const old = makePod('shop-6656bbf667-txf2m', { nodeName: 'node-1' });
    const tainted = makePod('web-87d7d46b7-vx2db', { nodeName: 'node-2' });
    const disrupted: Pod = {
      ...tainted,
      status: { phase: 'Running', conditions: [{ type: 'DisruptionTarget', status: 'True', reason: 'DeletionByTaintManager', message: 'Taint manager: deleting due to NoExecute taint' }] },
    };
    const told = see(moments, [
      // The rolling update's old ReplicaSet scaled down: the same controller manager, no DisruptionTarget.
      { type: 'MODIFIED', object: deleting(old), actor: 'bot:controller-manager' },
      { type: 'MODIFIED', object: disrupted, actor: 'bot:controller-manager' },
      { type: 'MODIFIED', object: deleting(disrupted), actor: 'bot:controller-manager' },
    ]);
    expect(told).toEqual(['web-87d7d46b7-vx2db evicted from node-2: Terminating']);
  });
});
