/**
 * Scripted students for the round tests: each looks at its own folded view (what its browser would
 * show), asks the rulebook for its role's next move there, as the highlighted button shows it, and
 * sends it. After an accepted move it waits until its view holds what the move wrote, as the
 * screen's buttons do, so it never decides twice on the same picture.
 */
import { isPodReady, type Pod } from '@shared/model';
import type { ClusterAction, Role } from '@shared/protocol';
import { allObjects, listObjects, type ClusterState as ClientState } from '@shared/protocol/watch-reducer';
import { ClusterState, legalMoves, nextMove, routeRequest } from '@shared/sim';
import { DEMO_APP, DEMO_REPLICAS } from '../bootstrap';
import type { ClusterClient } from './cluster-client';

const simState = (client: ClusterClient): ClusterState => ClusterState.from(allObjects(client.state));

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
  /** Every refusal, `kind: code message`: following the rulebook, there should be none. */
  refused: string[];
  stop(): Promise<void>;
}

/** Sends the first legal move passing `wanted` (waiting until there is one); resolves to its kind and the version it wrote. */
export async function moveOnce(client: ClusterClient, role: Role, wanted: (a: ClusterAction) => boolean = () => true): Promise<{ kind: string; resourceVersion: string }> {
  for (;;) {
    const move = legalMoves(role, simState(client), client.simNow()).find((m) => wanted(m.action));
    if (move) {
      const reply = await client.act(move.action);
      if (reply.ok) return { kind: move.action.kind, resourceVersion: reply.resourceVersion ?? '0' };
    }
    await nextChange(client, 100);
  }
}

/** Plays the role from this client until stopped, always the highlighted (next) move. */
export function play(client: ClusterClient, role: Role): Player {
  let stopped = false;
  const player: Player = { accepted: new Map(), refused: [], stop: async () => void ((stopped = true), await loop) };
  const loop = (async () => {
    while (!stopped) {
      if (!client.socket.connected) {
        // Reconnecting (server restart): socket.io-client comes back by itself with the same token.
        await new Promise<void>((resolve) => setTimeout(resolve, 100));
        continue;
      }
      const move = nextMove(role, simState(client), client.simNow());
      if (!move) {
        await nextChange(client, 100);
        continue;
      }
      const reply = await client.act(move.action).catch(() => null);
      if (!reply) continue;
      if (reply.ok) {
        player.accepted.set(move.action.kind, (player.accepted.get(move.action.kind) ?? 0) + 1);
        await client.reached(reply.resourceVersion ?? '0').catch(() => undefined);
      } else {
        player.refused.push(`${move.action.kind}: ${reply.code} ${reply.message}`);
        await nextChange(client, 100);
      }
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
