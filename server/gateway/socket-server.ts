import type { Server as HttpServer } from 'node:http';
import { Server } from 'socket.io';
import {
  PROTOCOL_VERSION,
  type ClientToServerEvents,
  type InterServerEvents,
  type ServerToClientEvents,
  type SocketData,
} from '@shared/protocol';
import type { Logger } from '../logger';

export type ClusterPlayServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

export interface GatewayOptions {
  logger: Logger;
  serverId: string;
  corsOrigin?: string;
}

export function createSocketServer(httpServer: HttpServer, { logger, serverId, corsOrigin }: GatewayOptions): ClusterPlayServer {
  const io: ClusterPlayServer = new Server(httpServer, {
    maxHttpBufferSize: 64 * 1024,
    ...(corsOrigin ? { cors: { origin: corsOrigin.split(',') } } : {}),
  });
  io.on('connection', (socket) => {
    logger.debug({ socket: socket.id }, 'socket connected');
    socket.emit('hello', { protocolVersion: PROTOCOL_VERSION, serverId });
  });
  return io;
}
