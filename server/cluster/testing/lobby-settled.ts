/**
 * A lobby's cluster is written once: the first connection bootstraps it, then leader election gives
 * each control-plane team's Lease to its bot (nobody else holds the seats). Nothing writes after
 * that until the class starts: a test that asserts "nothing was written" starts from here.
 */
import { LEADER_ELECTION_NAMESPACE } from '@shared/model';
import { leaseNameOf } from '@shared/protocol';
import type { ObjectStore } from '../../store';
import { waitFor } from '../../testing/wait';

const CONTROL_PLANE_LEASES = (['scheduler', 'controller-manager'] as const).map(leaseNameOf);

export async function lobbySettled(store: ObjectStore, classroomId: string): Promise<void> {
  await waitFor(
    async () => {
      const leases = (await store.list(classroomId, 'Lease')).items.filter((l) => l.metadata.namespace === LEADER_ELECTION_NAMESPACE);
      return CONTROL_PLANE_LEASES.every((name) => leases.some((l) => l.metadata.name === name && l.spec.holderIdentity?.startsWith('bot:')));
    },
    { what: 'both control-plane Leases held by their bots' },
  );
}
