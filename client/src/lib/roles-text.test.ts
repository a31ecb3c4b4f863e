import { describe, expect, it } from 'vitest';
import { makeContainerRuntime } from '@shared/model';
import { idleProxiesText, noCriCallText } from './roles-text';
import { runtimeView } from './selectors/node-local';

describe('idleProxiesText', () => {
  const students = [
    { name: 'Pia', role: 'kube-proxy:node-1' as const },
    { name: 'Sam', role: 'scheduler' as const },
    { name: 'Ann', role: null },
  ];

  it('names the kube-proxy players of a cluster with no Service, for the instructor', () => {
    expect(idleProxiesText(students, 0)).toBe('No Service in this cluster: Pia (kube-proxy of node-1) has nothing to do, as kube-proxy programs rules only for Services. Give them another role, or apply a Service.');
    expect(idleProxiesText([...students, { name: 'Lu', role: 'kube-proxy:node-2' }], 0)).toBe(
      'No Service in this cluster: Pia (kube-proxy of node-1) and Lu (kube-proxy of node-2) have nothing to do, as kube-proxy programs rules only for Services. Give them other roles, or apply a Service.',
    );
  });

  it('says nothing where a Service is to be routed, or nobody plays kube-proxy', () => {
    expect(idleProxiesText(students, 1)).toBeNull();
    expect(idleProxiesText(students.slice(1), 0)).toBeNull();
  });
});

describe("the container runtime's empty CRI call table", () => {
  const emptied = (sent: number) => {
    const runtime = makeContainerRuntime('node-1');
    // The kubelet has read every answer: it removed the calls, the count of those it sent stays.
    runtime.status = { ...runtime.status, calls: [], callSeq: sent };
    return noCriCallText(runtimeView([runtime], 'node-1').sent);
  };

  it('says no call came yet only before the kubelet sent one', () => {
    expect(emptied(0)).toBe('No CRI call yet: they arrive when the kubelet asks for something.');
  });

  it('says the kubelet read the answers once it has (it said "No CRI call yet" after seven calls)', () => {
    expect(emptied(7)).toBe('No CRI call open: the kubelet has read the answers to all 7 calls it sent. The next arrives when it asks for something.');
    expect(emptied(1)).toBe('No CRI call open: the kubelet has read the answer to the one call it sent. The next arrives when it asks for something.');
  });
});
