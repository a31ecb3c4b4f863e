import type { Server, Socket } from 'socket.io';
import type { ClientToServerEvents, InterServerEvents, ServerToClientEvents, SocketData } from '@shared/protocol';
import type { ClassroomAnnouncer } from '../classroom/announcer';
import type { ClassroomChanges } from '../classroom/changes';
import type { ClassroomRepository } from '../classroom/repository';
import type { Cluster } from '../cluster/start-cluster';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import type { BackgroundWork } from './background-work';
import type { WatchFeeds } from './watch-feeds';

export type ClusterPlayServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
export type ClusterPlaySocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

/** What every handler module gets: `registerXHandlers(socket, deps)`. */
export interface GatewayDeps {
  io: ClusterPlayServer;
  logger: Logger;
  classrooms: ClassroomRepository;
  changes: ClassroomChanges;
  broadcaster: ClassroomAnnouncer;
  cluster: Cluster;
  feeds: WatchFeeds;
  work: BackgroundWork;
  metrics?: Metrics;
}

/**
 * Sockets that connected without a token (the landing page, before joining) get `hello` and `store` only; all
 * the others carry the identity their token proved, and only those reach the handler modules.
 */
export function isAuthenticated(socket: ClusterPlaySocket): boolean {
  return (socket.data as Partial<SocketData>).identity !== undefined;
}
