/**
 * Scripted students for the round tests: each looks at its own folded view (what its browser would
 * show) and sends the requests its role may send now; the server's rules refuse what is not due
 * yet (`Invalid: nothing to start…`), as they would a hesitant student.
 */
import { isPodReady, type Pod } from '@shared/model';
import { nodeOfRole, type ClusterAction, type Role } from '@shared/protocol';
import { allObjects, listObjects, type ClusterState as ClientState } from '@shared/protocol/watch-reducer';
import { ClusterState, reconcileScheduler, routeRequest, seededRng } from '@shared/sim';
import { DEMO_APP, DEMO_REPLICAS } from '../bootstrap';
import type { ClusterClient } from './cluster-client';

const rv = (o: { metadata: { resourceVersion?: string | undefined } }): string => o.metadata.resourceVersion ?? '0';

function movesOf(role: Role, state: ClientState): ClusterAction[] {
  const pods = listObjects(state, 'Pod');
  const node = nodeOfRole(role);
  if (role === 'controller-manager') {
    return [
      ...listObjects(state, 'Deployment').map((d): ClusterAction => ({ kind: 'syncDeployment', deployment: d.metadata.name })),
      ...listObjects(state, 'ReplicaSet').map((r): ClusterAction => ({ kind: 'createPod', replicaSet: r.metadata.name })),
      ...listObjects(state, 'Service').map((s): ClusterAction => ({ kind: 'updateEndpoints', service: s.metadata.name })),
    ];
  }
  if (role === 'scheduler') {
    // The student follows the scheduler's own choice, computed on what their screen shows.
    const sim = ClusterState.from(allObjects(state));
    return reconcileScheduler(sim, 0, seededRng(1)).flatMap((step): ClusterAction[] => {
      if (step.verb !== 'bind') return [];
      const pod = pods.find((p) => p.metadata.name === step.name);
      return pod ? [{ kind: 'bind', pod: step.name, node: step.node, resourceVersion: rv(pod) }] : [];
    });
  }
  if (node !== null && role.startsWith('kubelet:')) {
    const mine = pods.filter((p) => p.spec.nodeName === node);
    return [
      { kind: 'renewLease', node },
      ...mine.flatMap((p): ClusterAction[] => {
        const pod = p.metadata.name;
        const container = p.spec.containers[0]?.name ?? 'app';
        return [
          { kind: 'pullImage', node, pod, container },
          { kind: 'startContainer', node, pod, container },
          { kind: 'syncPodStatus', node, pod, resourceVersion: rv(p) },
          { kind: 'reportReady', node, pod, resourceVersion: rv(p) },
        ];
      }),
    ];
  }
  if (node !== null && role.startsWith('container-runtime:')) {
    const runtime = listObjects(state, 'ContainerRuntime').find((r) => r.metadata.name === node);
    return (runtime?.status.calls ?? []).filter((c) => c.status === 'pending').map((c): ClusterAction => ({ kind: 'answerCri', node, callId: c.id }));
  }
  return [];
}

/** Resolves at the client's next watch message, or after `ms` (time passing brings timers). */
function nextChange(client: ClusterClient, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      client.socket.off('watch', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    client.socket.on('watch', done);
  });
}

export interface Player {
  /** Requests the server accepted, by kind. */
  accepted: Map<string, number>;
  /** Refusals other than "not due yet" (Invalid) and lost races (Conflict, NotFound). */
  unexpected: string[];
  stop(): Promise<void>;
}

/** Sends the role's moves in order until the server accepts one that passes `wanted`; resolves to its kind and the version it wrote. */
export async function moveOnce(client: ClusterClient, role: Role, wanted: (a: ClusterAction) => boolean = () => true): Promise<{ kind: string; resourceVersion: string }> {
  for (;;) {
    for (const action of movesOf(role, client.state).filter(wanted)) {
      const reply = await client.act(action);
      if (reply.ok) return { kind: action.kind, resourceVersion: reply.resourceVersion ?? '0' };
    }
    await nextChange(client, 100);
  }
}

/** Plays the role from this client until stopped; the scheduler binds each pod to the first node that takes it. */
export function play(client: ClusterClient, role: Role): Player {
  let stopped = false;
  const player: Player = { accepted: new Map(), unexpected: [], stop: async () => void (stopped = true, await loop) };
  const loop = (async () => {
    while (!stopped) {
      if (!client.socket.connected) {
        // Reconnecting (server restart): socket.io-client comes back by itself with the same token.
        await new Promise<void>((resolve) => setTimeout(resolve, 100));
        continue;
      }
      const bound = new Set<string>();
      for (const action of movesOf(role, client.state)) {
        if (stopped) break;
        if (action.kind === 'bind' && bound.has(action.pod)) continue;
        const reply = await client.act(action).catch(() => null);
        if (!reply) continue;
        if (reply.ok) {
          player.accepted.set(action.kind, (player.accepted.get(action.kind) ?? 0) + 1);
          if (action.kind === 'bind') bound.add(action.pod);
        } else if (!['Invalid', 'Conflict', 'NotFound', 'Unschedulable'].includes(reply.code)) player.unexpected.push(`${action.kind}: ${reply.code} ${reply.message}`);
      }
      await nextChange(client, 100);
    }
  })();
  return player;
}

/** The first round's goal: the demo Deployment's pods all Ready and routed to from every node. */
export function roundDone(state: ClientState): boolean {
  const pods = listObjects(state, 'Pod').filter((p: Pod) => p.metadata.labels?.['app'] === DEMO_APP && p.metadata.deletionTimestamp === undefined);
  if (pods.length !== DEMO_REPLICAS || !pods.every(isPodReady)) return false;
  const ips = new Set(pods.map((p) => p.status?.podIP));
  const tables = listObjects(state, 'ProxyTable');
  return (
    tables.length > 0 &&
    tables.every((t) => {
      const entry = t.status.services.find((s) => s.service === `default/${DEMO_APP}`);
      return entry?.endpoints.length === DEMO_REPLICAS && entry.endpoints.every((e) => ips.has(e.ip));
    })
  );
}

/** Routes one request to the Service from `node` as kube-proxy would, on the client's view. */
export function routeFrom(state: ClientState, node: string): string {
  const sim = ClusterState.from(allObjects(state));
  return routeRequest(sim, node, `default/${DEMO_APP}`).outcome.outcome;
}
