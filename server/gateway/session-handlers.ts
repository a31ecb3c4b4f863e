import type { ClassroomRepository } from '../classroom/repository';
import { roomsOf } from './rooms';
import { isAuthenticated, type ClusterPlayServer, type ClusterPlaySocket, type GatewayDeps } from './types';

/** Sockets this process counted in Redis (and uncounts when they close). */
const countedSockets = new WeakSet<ClusterPlaySocket>();

/** Why a member's socket beyond the cap is refused: `connect_error` with `data.code`. */
function tooManySockets(max: number): Error & { data: { code: 'TooManyRequests' } } {
  return Object.assign(new Error(`TooManyRequests: you already have at most ${max} connections open to this classroom; close a tab and try again`), {
    data: { code: 'TooManyRequests' as const },
  });
}

/**
 * Handshake middleware: a member who already holds `maxSocketsPerMember` sockets (on any process)
 * is refused a new one. The count is also checked atomically once connected, for racing tabs.
 */
export function capSocketsPerMember(classrooms: ClassroomRepository) {
  return async (socket: ClusterPlaySocket, next: (error?: Error) => void): Promise<void> => {
    // The host screen holds no seat and is not counted among the members' sockets.
    if (!isAuthenticated(socket) || socket.data.identity.kind === 'display') return next();
    const { classroomId, memberId } = socket.data.identity;
    try {
      if ((await classrooms.openSockets(classroomId, memberId)) >= classrooms.maxSocketsPerMember) return next(tooManySockets(classrooms.maxSocketsPerMember));
    } catch {
      // Redis is away: the connection handler's own count decides, or the outage is reported there.
    }
    next();
  };
}

/**
 * Who the socket is and where it stands: its rooms, `session`, presence (and so its seat), and
 * the grace period when it goes away. The grace period's end is a shared timer in Redis (see
 * process-heartbeat.ts), so the seat goes back to the bot even if this process dies first.
 */
export function registerSessionHandlers(socket: ClusterPlaySocket, { classrooms, broadcaster, work, logger }: GatewayDeps): void {
  const identity = socket.data.identity;
  void socket.join(roomsOf(identity));
  socket.emit('session', identity);
  if (identity.kind === 'display') {
    // No presence and no seat: the host screen only needs the view the members get on their announcement.
    work.run('sending the host screen its view', async () => {
      const view = await classrooms.view(identity.classroomId);
      if (view) socket.emit('classroom', view);
    });
    return;
  }
  const { classroomId, memberId } = identity;
  // The disconnection waits for the connection's count, so a socket is never uncounted before it was counted.
  let counted: (admitted: boolean) => void = () => {};
  const admitted = new Promise<boolean>((resolve) => (counted = resolve));
  work.run('marking a member connected', async () => {
    let ok = false;
    try {
      ok = await classrooms.markConnected(classroomId, memberId, socket.id);
      if (ok) countedSockets.add(socket);
    } finally {
      counted(ok);
    }
    if (!ok) {
      logger.debug({ classroomId, memberId }, 'member over the socket cap; disconnected the newest socket');
      socket.disconnect(true);
      return;
    }
    // The announcement also brings this socket its first `classroom` view.
    await broadcaster.announce(classroomId, ['presence'], [memberId]);
  });

  socket.on('disconnect', () => {
    work.run('marking a member disconnected', async () => {
      if (!(await admitted)) return;
      // Another tab, on this or another process, keeps the member connected: the count in Redis knows.
      const presence = await classrooms.markDisconnected(classroomId, memberId);
      if (presence) await broadcaster.announce(classroomId, ['presence'], [memberId]);
    });
  });
}

/**
 * This process was declared dead (a pause longer than its heartbeat's TTL) and a survivor took its
 * sockets off the count: counts every socket it still holds again, and announces them connected.
 */
export async function recountSessions(io: ClusterPlayServer, { classrooms, broadcaster }: Pick<GatewayDeps, 'classrooms' | 'broadcaster'>): Promise<void> {
  const members = new Map<string, Set<string>>();
  for (const socket of io.of('/').sockets.values()) {
    const identity = socket.data.identity;
    if (!countedSockets.has(socket) || !socket.connected || identity.kind === 'display') continue;
    const { classroomId, memberId } = identity;
    await classrooms.markConnected(classroomId, memberId, socket.id);
    members.set(classroomId, (members.get(classroomId) ?? new Set()).add(memberId));
  }
  for (const [classroomId, ids] of members) await broadcaster.announce(classroomId, ['presence'], [...ids]);
}
