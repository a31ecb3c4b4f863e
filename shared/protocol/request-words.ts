import { RESOURCE, type Kind } from '../model';
import { actionComponent, type ClusterActionKind } from './actions';
import { parseRole } from './roles';

/**
 * A move's request named as its button names it (shared/sim's moves: "Bind web-1 to node-2"), from
 * what the request log keeps of it: the action's kind, its target in kubectl's `resource/name` form
 * and the sender's role. The log, a replay's markers and a refusal toast showed the kind itself
 * ("syncDeployment deployments/web"), a word no student saw on a button. Where the button says more
 * than the log keeps (the node a pod is bound to, the image pulled) the words stop at what is known.
 */
const MOVE_WORDS: { readonly [K in ClusterActionKind]: (name: string, node: string | undefined) => string } = {
  bind: (name) => `Bind ${name}`,
  markUnschedulable: (name) => `Mark ${name} Unschedulable`,
  preempt: (name) => `Preempt for ${name}`,
  pullImage: (name) => `Pull the image of ${name}`,
  createContainer: (name) => `Create a container of ${name}`,
  startContainer: (name) => `Start a container of ${name}`,
  restartContainer: (name) => `Restart a container of ${name}`,
  syncPodStatus: (name) => `Report ${name} status`,
  killPod: (name) => `Stop ${name}`,
  renewLease: () => 'Renew lease',
  answerCri: () => 'Run a CRI call',
  syncDeployment: (name) => `Sync deployment ${name}`,
  createPod: (name) => `Create a pod for ${name}`,
  deletePod: (name) => `Delete ${name}`,
  updateReplicaSetStatus: (name) => `Update status of ${name}`,
  setNodeCondition: (name) => `Mark ${name} Ready=Unknown`,
  taintNode: (name) => `Taint ${name}`,
  untaintNode: (name) => `Untaint ${name}`,
  evictPod: (name) => `Evict ${name}`,
  updateEndpoints: (name) => `Update endpoints of ${name}`,
  // Named by the resource and name its target is, as the button names the object ("pod/web-1").
  collectGarbage: (name) => `Collect garbage: ${name}`,
  syncProxyRules: (name, node) => `Sync ${name}${node ? ` on ${node}` : ''}`,
  routeRequest: (name, node) => `Send a request to ${name}${node ? ` from ${node}` : ''}`,
};

const KIND_OF_RESOURCE: ReadonlyMap<string, Kind> = new Map(Object.entries(RESOURCE).map(([kind, resource]) => [resource, kind as Kind]));

/** A request of the log that is a move (a component's action), not an instructor's request nor a kubectl verb. */
export const isMoveVerb = (verb: string): verb is ClusterActionKind => Object.hasOwn(actionComponent, verb);

/**
 * A request of the log in words: a move as its button names it, anything else (an instructor's
 * request, a kubectl verb, a kind no move has) as the log wrote it, verb and target.
 */
export function requestLabel(entry: { verb: string; target: string; role?: string | null | undefined }): string {
  if (!isMoveVerb(entry.verb)) return `${entry.verb} ${entry.target}`.trim();
  const slash = entry.target.lastIndexOf('/');
  const name = entry.target.slice(slash + 1);
  const role = entry.role ? parseRole(entry.role) : null;
  const node = role && 'node' in role ? role.node : undefined;
  if (entry.verb === 'collectGarbage') {
    const kind = KIND_OF_RESOURCE.get(entry.target.slice(0, Math.max(slash, 0)));
    return MOVE_WORDS.collectGarbage(kind ? `${kind.toLowerCase()}/${name}` : entry.target, node);
  }
  return MOVE_WORDS[entry.verb](name, node);
}
