import { z } from 'zod';

/**
 * The components a student (or a bot) can play. The API server and etcd are not roles: they are
 * the ClusterPlay server and Redis.
 */
export type ControlPlaneRole = 'scheduler' | 'controller-manager';
export type Role = ControlPlaneRole | `kubelet:${string}` | `container-runtime:${string}` | `kube-proxy:${string}`;

const nodeName = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export const roleSchema = z.string().refine((s): s is Role => parseRole(s) !== null, {
  message: 'must be scheduler, controller-manager, kubelet:<node>, container-runtime:<node> or kube-proxy:<node>',
}) as unknown as z.ZodType<Role>;

export type ParsedRole =
  | { component: 'scheduler' | 'controller-manager' }
  | { component: 'kubelet' | 'container-runtime' | 'kube-proxy'; node: string };

export function parseRole(role: string): ParsedRole | null {
  if (role === 'scheduler' || role === 'controller-manager') return { component: role };
  const [component, node, ...rest] = role.split(':');
  if (rest.length || !node || node.length > 63 || !nodeName.test(node)) return null;
  if (component === 'kubelet' || component === 'container-runtime' || component === 'kube-proxy') return { component, node };
  return null;
}

/** The node a per-node role acts for, or null for cluster-wide roles. */
export function nodeOfRole(role: Role): string | null {
  const parsed = parseRole(role);
  return parsed && 'node' in parsed ? parsed.node : null;
}

export const kubeletRole = (node: string): Role => `kubelet:${node}`;
export const runtimeRole = (node: string): Role => `container-runtime:${node}`;
/** kube-proxy runs on every worker node (a DaemonSet in a real cluster) and programs only that node's rules. */
export const proxyRole = (node: string): Role => `kube-proxy:${node}`;

/** Roles whose team elects one leader through a Lease, as an HA control plane does. */
export function isLeaderElected(role: Role): role is ControlPlaneRole {
  return role === 'scheduler' || role === 'controller-manager';
}

/** The Lease in kube-system a leader-elected team's leader holds (kube-scheduler's and kube-controller-manager's names). */
export const leaseNameOf = (role: ControlPlaneRole): string => (role === 'scheduler' ? 'kube-scheduler' : 'kube-controller-manager');

/** Every role of a cluster with these worker nodes. */
export function rolesForNodes(nodes: readonly string[]): Role[] {
  return [
    'scheduler',
    'controller-manager',
    ...nodes.flatMap((n): Role[] => [kubeletRole(n), runtimeRole(n), proxyRole(n)]),
  ];
}
