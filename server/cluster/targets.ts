/** What the request log shows as an action's target, in kubectl's `resource/name` form. */
import { RESOURCE } from '@shared/model';
import type { ClusterAction } from '@shared/protocol';

export function targetOf(action: ClusterAction): string {
  switch (action.kind) {
    case 'renewLease':
      return `leases/${action.node}`;
    case 'answerCri':
      return `containerruntimes/${action.node}`;
    case 'createPod':
    case 'updateReplicaSetStatus':
      return `replicasets/${action.replicaSet}`;
    case 'syncDeployment':
      return `deployments/${action.deployment}`;
    case 'setNodeCondition':
    case 'taintNode':
    case 'untaintNode':
      return `nodes/${action.node}`;
    case 'updateEndpoints':
      return `endpoints/${action.service}`;
    case 'collectGarbage':
      return `${RESOURCE[action.objectKind]}/${action.name}`;
    case 'syncProxyRules':
    case 'routeRequest':
      return `services/${action.service}`;
    default:
      return `pods/${action.pod}`;
  }
}
