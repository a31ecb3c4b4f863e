import { describe, expect, it } from 'vitest';
import { assignRolesBalanced, rolePriority } from './assign-roles';
import { rolesForNodes, type Role } from './roles';

const roles = rolesForNodes(['node-1', 'node-2']);
const students = (n: number) => Array.from({ length: n }, (_, i) => `s${i + 1}`);

function teamSizes(assignment: Map<string, Role>): number[] {
  return roles.map((role) => [...assignment.values()].filter((r) => r === role).length);
}

describe('balanced automatic role assignment', () => {
  it("fills the control plane, then kubelets, then each node's kube-proxy, then container runtimes", () => {
    expect(rolePriority(roles)).toEqual([
      'scheduler',
      'controller-manager',
      'kubelet:node-1',
      'kubelet:node-2',
      'kube-proxy:node-1',
      'kube-proxy:node-2',
      'container-runtime:node-1',
      'container-runtime:node-2',
    ]);
  });

  it('with fewer students than roles, each student gets a distinct role, most important first', () => {
    const assignment = assignRolesBalanced(students(3), roles);
    expect([...assignment.entries()]).toEqual([
      ['s1', 'scheduler'],
      ['s2', 'controller-manager'],
      ['s3', 'kubelet:node-1'],
    ]);
  });

  it('every student gets a role and team sizes differ by at most one, for any class size', () => {
    for (let n = 0; n <= 40; n++) {
      const assignment = assignRolesBalanced(students(n), roles);
      expect(assignment.size).toBe(n);
      const sizes = teamSizes(assignment);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    }
  });

  it('a second student on a role goes to the scheduler team first (a standby for leader election)', () => {
    const assignment = assignRolesBalanced(students(roles.length + 1), roles);
    expect(assignment.get(`s${roles.length + 1}`)).toBe('scheduler');
  });

  it('assigns nothing when the cluster has no roles', () => {
    expect(assignRolesBalanced(students(2), []).size).toBe(0);
  });
});
