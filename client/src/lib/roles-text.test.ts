import { describe, expect, it } from 'vitest';
import { idleProxiesText } from './roles-text';

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
