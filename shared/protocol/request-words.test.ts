import { describe, expect, it } from 'vitest';
import { requestLabel } from './request-words';

describe('requestLabel: a request of the log named as its button names the move', () => {
  it('every move kind, from its log entry (verb, kubectl target, role), in its button\'s words as far as the entry tells', () => {
    const rows: [verb: string, target: string, role: string, label: string][] = [
      ['bind', 'pods/web-1', 'scheduler', 'Bind web-1'],
      ['markUnschedulable', 'pods/big', 'scheduler', 'Mark big Unschedulable'],
      ['preempt', 'pods/vip', 'scheduler', 'Preempt for vip'],
      ['pullImage', 'pods/web-1', 'kubelet:node-1', 'Pull the image of web-1'],
      ['createContainer', 'pods/web-1', 'kubelet:node-1', 'Create a container of web-1'],
      ['startContainer', 'pods/web-1', 'kubelet:node-1', 'Start a container of web-1'],
      ['restartContainer', 'pods/web-1', 'kubelet:node-1', 'Restart a container of web-1'],
      ['syncPodStatus', 'pods/web-1', 'kubelet:node-1', 'Report web-1 status'],
      ['killPod', 'pods/web-1', 'kubelet:node-1', 'Stop web-1'],
      ['renewLease', 'leases/node-1', 'kubelet:node-1', 'Renew lease'],
      ['answerCri', 'containerruntimes/node-1', 'container-runtime:node-1', 'Run a CRI call'],
      ['syncDeployment', 'deployments/web', 'controller-manager', 'Sync deployment web'],
      ['createPod', 'replicasets/web-7c6d9f5b8d', 'controller-manager', 'Create a pod for web-7c6d9f5b8d'],
      ['deletePod', 'pods/web-1', 'controller-manager', 'Delete web-1'],
      ['updateReplicaSetStatus', 'replicasets/web-7c6d9f5b8d', 'controller-manager', 'Update status of web-7c6d9f5b8d'],
      ['setNodeCondition', 'nodes/node-2', 'controller-manager', 'Mark node-2 Ready=Unknown'],
      ['taintNode', 'nodes/node-2', 'controller-manager', 'Taint node-2'],
      ['untaintNode', 'nodes/node-2', 'controller-manager', 'Untaint node-2'],
      ['evictPod', 'pods/web-1', 'controller-manager', 'Evict web-1'],
      ['updateEndpoints', 'endpoints/web', 'controller-manager', 'Update endpoints of web'],
      ['collectGarbage', 'replicasets.apps/web-7c6d9f5b8d', 'controller-manager', 'Collect garbage: replicaset/web-7c6d9f5b8d'],
      ['collectGarbage', 'pods/web-1', 'controller-manager', 'Collect garbage: pod/web-1'],
      ['syncProxyRules', 'services/web', 'kube-proxy:node-3', 'Sync web on node-3'],
      ['routeRequest', 'services/web', 'kube-proxy:node-3', 'Send a request to web from node-3'],
    ];
    expect(rows.map(([verb, target, role]) => requestLabel({ verb, target, role }))).toEqual(rows.map((r) => r[3]));
  });

  it('a kube-proxy request without a role to tell its node (a refusal toasted before the role is known) leaves the node out', () => {
    expect(requestLabel({ verb: 'routeRequest', target: 'services/web' })).toBe('Send a request to web');
    expect(requestLabel({ verb: 'syncProxyRules', target: 'services/web', role: null })).toBe('Sync web');
  });

  it('what is no move keeps the log\'s words: an instructor\'s request, a kubectl verb, a kind the server did not know', () => {
    expect(requestLabel({ verb: 'fault', target: 'nodes/node-2', role: null })).toBe('fault nodes/node-2');
    expect(requestLabel({ verb: 'create', target: 'deployments/web' })).toBe('create deployments/web');
    expect(requestLabel({ verb: 'start', target: '' })).toBe('start');
    // Not a move although it is an Object.prototype key.
    expect(requestLabel({ verb: 'toString', target: '' })).toBe('toString');
  });
});
