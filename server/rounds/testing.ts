/** Test helpers: an instructor socket that keeps the last `round` view it was sent. */
import type { RoundView } from '@shared/protocol';
import { connectCluster, type ClusterClient } from '../cluster/testing/cluster-client';
import { createClassroom } from '../gateway/test-clients';
import { waitFor } from '../testing/wait';

export interface RoundClient extends ClusterClient {
  readonly round: RoundView | null;
  rounds: RoundView[];
  /** Every `round` event's phase (or null), in order. */
  events: string[];
}

export async function roundClient(url: string, token: string): Promise<RoundClient> {
  const rounds: RoundView[] = [];
  const events: string[] = [];
  let round: RoundView | null = null;
  const client = await connectCluster(url, token);
  client.socket.on('round', (view) => {
    round = view;
    events.push(view === null ? 'null' : view.phase);
    if (view) rounds.push(view);
  });
  // A getter, not a copy: Object.assign would freeze the first value.
  Object.defineProperty(client, 'round', { get: () => round });
  return Object.assign(client, { rounds, events }) as RoundClient;
}

/** A classroom played by bots only, its instructor connected. */
export async function botClassroom(url: string): Promise<{ id: string; instructorToken: string; instructor: RoundClient }> {
  const created = await createClassroom(url, {});
  const instructor = await roundClient(url, created.instructorToken);
  return { id: created.id, instructorToken: created.instructorToken, instructor };
}

export function roundIs(client: RoundClient, phases: RoundView['phase'][], what: string, timeoutMs = 60_000): Promise<RoundView> {
  return waitFor(() => (client.round && phases.includes(client.round.phase) ? client.round : undefined), { what, timeoutMs, intervalMs: 100 });
}
