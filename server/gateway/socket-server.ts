import type { Server as HttpServer } from 'node:http';
import { Server } from 'socket.io';
import { PROTOCOL_VERSION, apiRequestEntrySchema } from '@shared/protocol';
import type { ClassroomAnnouncer } from '../classroom/announcer';
import type { ClassroomChanges } from '../classroom/changes';
import type { ClassroomRepository } from '../classroom/repository';
import type { Cluster } from '../cluster/start-cluster';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import type { RedisClient, RedisTarget } from '../redis/connect';
import { createSocketAdapter } from './adapter';
import { authenticateHandshake } from './auth';
import type { BackgroundWork } from './background-work';
import { followChange } from './classroom-broadcaster';
import { registerClusterHandlers } from './cluster-handlers';
import { registerInstructorHandlers } from './instructor-handlers';
import { guardRequests } from './request-guard';
import { classroomRoom, memberRoom } from './rooms';
import { WatchFeeds } from './watch-feeds';
import type { SocketLimits } from './rate-limit';
import { capSocketsPerMember, registerSessionHandlers } from './session-handlers';
import { followStore } from './store-reachability';
import { isAuthenticated, type ClusterPlayServer, type GatewayDeps } from './types';

export type { ClusterPlayServer } from './types';

/** The largest message a client may send: a 64 KiB `apply` manifest plus its envelope. */
export const MAX_SOCKET_MESSAGE_BYTES = 80 * 1024;
/**
 * What the transport itself takes in one message. Beyond it Socket.IO closes the connection without
 * a word, so it sits well above MAX_SOCKET_MESSAGE_BYTES, which the request guard answers first.
 */
export const TRANSPORT_MAX_BYTES = 1024 * 1024;
/** How long a dropped connection can come back and receive what it missed (connection state recovery). */
export const RECOVERY_WINDOW_MS = 2 * 60_000;

export interface GatewayOptions {
  logger: Logger;
  serverId: string;
  corsOrigin?: string;
  redisTarget: RedisTarget;
  /** The application's client, the one requests are decided on: the sockets hear whether it reaches Redis. */
  redis: RedisClient;
  keyPrefix: string;
  classrooms: ClassroomRepository;
  changes: ClassroomChanges;
  announcer: ClassroomAnnouncer;
  cluster: Cluster;
  /** This process's /metrics, when it keeps them. */
  metrics?: Metrics;
  /** Socket-started async work, so shutdown waits for it. */
  work: BackgroundWork;
  /** The rate budget per member, the cap of sockets without a token. */
  limits: SocketLimits;
}

export interface Gateway {
  io: ClusterPlayServer;
  deps: GatewayDeps;
  /** Closes the sockets (and the HTTP server), then waits for their last writes. */
  close(): Promise<void>;
}

/** Socket.IO: handshake auth, per-socket rate limit, then one connection handler calling the classroom and the API server. */
export async function createSocketServer(httpServer: HttpServer, options: GatewayOptions): Promise<Gateway> {
  const { logger, serverId, corsOrigin, classrooms, changes, cluster, work } = options;
  const socketAdapter = await createSocketAdapter(options.redisTarget, options.keyPrefix, options.redis);
  const io: ClusterPlayServer = new Server(httpServer, {
    maxHttpBufferSize: TRANSPORT_MAX_BYTES,
    adapter: socketAdapter.adapter,
    // Middlewares run on recovery too, so the identity always comes fresh from Redis.
    connectionStateRecovery: { maxDisconnectionDuration: RECOVERY_WINDOW_MS, skipMiddlewares: false },
    ...(corsOrigin ? { cors: { origin: corsOrigin.split(',') } } : {}),
  });
  const { metrics } = options;
  const feeds = new WatchFeeds(io, cluster.store, logger, metrics ? (events, sockets) => metrics.watchFanOut(events, sockets) : undefined);
  const deps: GatewayDeps = { io, logger, classrooms, changes, broadcaster: options.announcer, cluster, feeds, work, ...(metrics ? { metrics } : {}) };

  // Every socket here hears whether this process reaches Redis: its requests are decided here. Local
  // only: a broadcast through the adapter needs the very Redis that is away.
  const store = followStore(options.redis, (reachable) => {
    logger.debug({ reachable }, 'telling the sockets whether the store is reachable');
    io.local.emit('store', { reachable });
  });

  io.use(authenticateHandshake(classrooms, logger));
  io.use(capSocketsPerMember(classrooms));
  io.on('connection', (socket) => {
    logger.debug({ socket: socket.id, recovered: socket.recovered }, 'socket connected');
    options.limits.limit(socket);
    guardRequests(socket, { maxMessageBytes: MAX_SOCKET_MESSAGE_BYTES, logger });
    socket.emit('hello', { protocolVersion: PROTOCOL_VERSION, serverId });
    socket.emit('store', { reachable: store.reachable });
    if (!isAuthenticated(socket)) return options.limits.holdAnonymous(socket);
    registerSessionHandlers(socket, deps);
    registerInstructorHandlers(socket, deps);
    registerClusterHandlers(socket, deps);
    const { classroomId } = socket.data.identity;
    work.run('sending the round', async () => void socket.emit('round', await cluster.rounds.view(classroomId)));
  });
  const unsubscribe = changes.subscribe((change) => work.run('refreshing sessions', () => followChange(io, classrooms, change)));
  // Every decided request, whoever sent it, to the classroom's sockets here with the next changes
  // (one message), and to the other processes through the adapter, which do the same with theirs.
  // Always through the adapter: it learns of a new process only from its heartbeats (seconds), so
  // skipping it while "alone" dropped entries for a process that had just started (seen in CI).
  // A move's entry written with its change reaches every process (this one too) through the watch.
  const unlisten = cluster.api.onRequest((classroomId, entry, committedAt) => {
    if (committedAt !== undefined) return;
    feeds.noteRequest(classroomId, entry);
    io.serverSideEmit('requestDecided', classroomId, entry);
  });
  io.on('requestDecided', (classroomId: unknown, entry: unknown) => {
    const parsed = apiRequestEntrySchema.safeParse(entry);
    if (typeof classroomId === 'string' && parsed.success) feeds.noteRequest(classroomId, parsed.data);
  });
  // Every process hears each round change and sends it to its own sockets of the classroom.
  const unround = cluster.rounds.onRound((classroomId, view) => io.local.to(classroomRoom(classroomId)).emit('round', view));
  // Students moved into a group (or back): their sockets reconnect, and the handshake seats them where they now play.
  const unregroup = cluster.groups.onRegroup((classroomId, studentIds) => {
    for (const id of studentIds) io.in(memberRoom(classroomId, id)).disconnectSockets(true);
  });

  return {
    io,
    deps,
    async close() {
      store.close();
      unsubscribe();
      unlisten();
      unregroup();
      unround();
      feeds.close();
      await io.close();
      await work.drain();
      await socketAdapter.close();
    },
  };
}
