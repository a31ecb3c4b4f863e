/** The API server's write rules, shared by the deterministic harness and the Redis store. */
export { admit, type Admission, type AdmissionRequest } from './admit';
export { STATUS_RULE, hasStatusSubresource, type StatusRule } from './kinds';
export { assignClusterIP, clusterIPErrors, dryRunClusterIP, updateClusterIP, type ClusterIPDecision } from './cluster-ip';
export { namespaceLifecycle } from './namespace-lifecycle';
export { admitPodPriority, admitPriorityClass, defaultPriorityClass, type PriorityAdmission } from './priority';
