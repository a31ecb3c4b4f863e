import { memberRoom, roomsOf } from './rooms';
import type { ClusterPlaySocket, GatewayDeps } from './types';

/** How long to wait for the other server processes when asking whether a member is still connected. */
const CLUSTER_QUERY_TIMEOUT_MS = 2000;

/**
 * Who the socket is and where it stands: its rooms, `session`, presence (and so its seat), and
 * the grace period when it goes away.
 */
export function registerSessionHandlers(socket: ClusterPlaySocket, { io, classrooms, broadcaster, work }: GatewayDeps): void {
  const { classroomId, memberId } = socket.data.identity;
  void socket.join(roomsOf(socket.data.identity));
  socket.emit('session', socket.data.identity);
  // The announcement also brings this socket its first `classroom` view.
  work.run('marking a member connected', async () => {
    await classrooms.markConnected(classroomId, memberId, socket.id);
    await broadcaster.announce(classroomId, ['presence'], [memberId]);
  });

  socket.on('disconnect', () => {
    work.run('marking a member disconnected', async () => {
      // Another tab, possibly on another server process, keeps the member connected.
      const stillConnected = async () => (await io.in(memberRoom(classroomId, memberId)).timeout(CLUSTER_QUERY_TIMEOUT_MS).fetchSockets()).length > 0;
      const presence = await classrooms.markDisconnected(classroomId, memberId, stillConnected);
      if (presence?.state !== 'disconnected') return;
      await broadcaster.announce(classroomId, ['presence'], [memberId]);
      // A few ms late rather than early: a timer may fire a hair before its time.
      work.after(presence.graceUntil - Date.now() + 5, 'handing a seat back to its bot', () => broadcaster.announce(classroomId, ['presence'], [memberId]));
    });
  });
}
