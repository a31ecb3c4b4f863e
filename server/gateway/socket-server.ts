import type { Server as HttpServer } from 'node:http';
import { Server } from 'socket.io';
import { PROTOCOL_VERSION } from '@shared/protocol';
import type { ClassroomChanges } from '../classroom/changes';
import type { ClassroomRepository } from '../classroom/repository';
import type { Logger } from '../logger';
import { createSocketAdapter } from './adapter';
import { authenticateHandshake } from './auth';
import { BackgroundWork } from './background-work';
import { createClassroomBroadcaster, refreshLocalSessions, type ClassroomBroadcaster } from './classroom-broadcaster';
import { ClusterInstructorRegistry } from './cluster-instructor-registry';
import { registerInstructorHandlers } from './instructor-handlers';
import { limitSocketRate, refuseAnonymousEvents, type SocketRate } from './rate-limit';
import { registerSessionHandlers } from './session-handlers';
import { isAuthenticated, type ClusterPlayServer, type GatewayDeps } from './types';

export type { ClusterPlayServer } from './types';

/** The largest message a client may send: a 64 KiB `apply` manifest plus its envelope. */
export const MAX_SOCKET_MESSAGE_BYTES = 80 * 1024;
/** How long a dropped connection can come back and receive what it missed (connection state recovery). */
export const RECOVERY_WINDOW_MS = 2 * 60_000;

export interface GatewayOptions {
  logger: Logger;
  serverId: string;
  corsOrigin?: string;
  redisUrl: string;
  keyPrefix: string;
  classrooms: ClassroomRepository;
  changes: ClassroomChanges;
  socketRate: SocketRate;
}

export interface Gateway {
  io: ClusterPlayServer;
  deps: GatewayDeps;
  /** Where the cluster half registers `fault`, `apply`, `deleteObject`, `reset`, `runScenario`. */
  clusterInstructor: ClusterInstructorRegistry;
  broadcaster: ClassroomBroadcaster;
  /** Closes the sockets (and the HTTP server), then waits for their last writes. */
  close(): Promise<void>;
}

/** Socket.IO: handshake auth, per-socket rate limit, then one handler module per concern. */
export async function createSocketServer(httpServer: HttpServer, options: GatewayOptions): Promise<Gateway> {
  const { logger, serverId, corsOrigin, classrooms, changes } = options;
  const socketAdapter = await createSocketAdapter(options.redisUrl, options.keyPrefix);
  const io: ClusterPlayServer = new Server(httpServer, {
    maxHttpBufferSize: MAX_SOCKET_MESSAGE_BYTES,
    adapter: socketAdapter.adapter,
    // Middlewares run on recovery too, so the identity always comes fresh from Redis.
    connectionStateRecovery: { maxDisconnectionDuration: RECOVERY_WINDOW_MS, skipMiddlewares: false },
    ...(corsOrigin ? { cors: { origin: corsOrigin.split(',') } } : {}),
  });
  const work = new BackgroundWork(logger);
  const broadcaster = createClassroomBroadcaster(io, classrooms, changes);
  const clusterInstructor = new ClusterInstructorRegistry();
  const deps: GatewayDeps = { io, logger, classrooms, changes, broadcaster, clusterInstructor, work };

  io.use(authenticateHandshake(classrooms, logger));
  io.on('connection', (socket) => {
    logger.debug({ socket: socket.id, recovered: socket.recovered }, 'socket connected');
    limitSocketRate(socket, options.socketRate);
    socket.emit('hello', { protocolVersion: PROTOCOL_VERSION, serverId });
    if (!isAuthenticated(socket)) return refuseAnonymousEvents(socket);
    registerSessionHandlers(socket, deps);
    registerInstructorHandlers(socket, deps);
  });
  const unsubscribe = changes.subscribe((change) => work.run('refreshing sessions', () => refreshLocalSessions(io, classrooms, change)));

  return {
    io,
    deps,
    clusterInstructor,
    broadcaster,
    async close() {
      unsubscribe();
      await io.close();
      await work.drain();
      await socketAdapter.close();
    },
  };
}
