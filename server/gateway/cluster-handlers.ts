/**
 * A socket's cluster requests, adapted to the API server: `action` (a student's move) and the
 * instructor's cluster requests answer with what the API server decided (an accepted move after
 * the change it made reached the sender); `resync` and the first
 * snapshot come from the watch feeds. Every request gets exactly one answer.
 */
import { refuse } from '@shared/protocol';
import type { ActionReply } from '../cluster/api-server';
import { readOnlyDisplay } from './request-guard';
import type { ClusterPlaySocket, GatewayDeps } from './types';

export function registerClusterHandlers(socket: ClusterPlaySocket, { cluster, feeds, work, logger, metrics }: GatewayDeps): void {
  const classroomId = socket.data.identity.classroomId;
  socket.on('action', (payload: unknown, ack: unknown) => {
    const acked = metrics?.actionStarted();
    const answer = (reply: ActionReply): void => {
      if (typeof ack === 'function') ack(reply);
      acked?.();
    };
    work.run('a cluster action', async () => {
      const caller = socket.data.identity;
      // The request guard refuses it first; this keeps the host screen out of the API server's callers.
      if (caller.kind === 'display') return answer(readOnlyDisplay('action'));
      try {
        const { reply } = await cluster.api.act(caller, payload);
        // An accepted move is acked right after the watch message carrying its change, which the
        // commit's reply queued for the feed's next flush: the sender's screen holds the change when
        // it learns the move was accepted, and the ack's write is out of the way of every client's update.
        if (reply.ok) await feeds.afterFlush(classroomId);
        answer(reply);
      } catch (error) {
        logger.error({ err: error }, 'cluster action failed');
        answer(refuse('InternalError', 'the server failed to handle this request'));
      }
    });
  });
  socket.on('resync', (payload: unknown, ack: unknown) => {
    work.run('a resync', async () => {
      const reply = await feeds.resync(classroomId, payload);
      if (typeof ack === 'function') ack(reply);
    });
  });
  work.run('sending the snapshot', async () => {
    await cluster.ensureCluster(classroomId);
    await feeds.attach(socket);
  });
}
