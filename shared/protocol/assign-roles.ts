import type { Role } from './roles';

/**
 * The order in which an automatic assignment fills roles: the control plane first (one scheduler
 * and one controller manager make a cluster that schedules and heals), then each node's kubelet,
 * then each node's kube-proxy, then the container runtimes, which are the simplest to leave to bots.
 */
export function rolePriority(roles: readonly Role[]): Role[] {
  const rank = (role: Role): number => {
    if (role === 'scheduler') return 0;
    if (role === 'controller-manager') return 1;
    if (role.startsWith('kubelet:')) return 2;
    if (role.startsWith('kube-proxy:')) return 3;
    return 4;
  };
  // Array.prototype.sort is stable, so nodes keep their order within a rank.
  return [...roles].sort((a, b) => rank(a) - rank(b));
}

/**
 * A balanced assignment: student i (in the order given, e.g. join order) takes the i-th role by
 * priority, wrapping around, so team sizes differ by at most one and the important roles are the
 * first to get a student (and, with more students than roles, the first to get a second one).
 */
export function assignRolesBalanced(studentIds: readonly string[], roles: readonly Role[]): Map<string, Role> {
  const ordered = rolePriority(roles);
  const assignment = new Map<string, Role>();
  if (ordered.length === 0) return assignment;
  studentIds.forEach((id, i) => assignment.set(id, ordered[i % ordered.length] as Role));
  return assignment;
}
