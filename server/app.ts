import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { networkInterfaces } from 'node:os';
import type { AddressInfo } from 'node:net';
import { createClassroomAnnouncer } from './classroom/announcer';
import { createClassroomChanges } from './classroom/changes';
import { createJoinLimiter } from './classroom/join-limiter';
import { MemberRateLimiter } from './classroom/member-rate';
import { startProcessHeartbeat } from './classroom/process-heartbeat';
import { createClassroomRepository, type ClassroomRepository } from './classroom/repository';
import { startCluster, type Cluster } from './cluster/start-cluster';
import type { Config } from './config';
import { BackgroundWork } from './gateway/background-work';
import { SocketLimits } from './gateway/rate-limit';
import { recountSessions } from './gateway/session-handlers';
import { createSocketServer, type Gateway } from './gateway/socket-server';
import { createHttpApp } from './http/app';
import { joinBaseUrl } from './http/join-url';
import { httpStatusOf } from '@shared/protocol';
import type { Logger } from './logger';
import { Metrics } from './metrics';
import { connectTo, describeTarget, type RedisTarget } from './redis/connect';
import { requireSupportedRedis } from './redis/version';
import { superviseEmbeddedRedis, type EmbeddedRedis } from './redis/embedded-redis';
import { ReplayMaintenance } from './replay/maintenance';
import { recordRoomChanges } from './replay/room-recorder';

export interface RunningServer {
  url: string;
  port: number;
  /** The Redis URL, or `redis cluster <nodes>` on a cluster. */
  redisUrl: string;
  classrooms: ClassroomRepository;
  /** The Socket.IO side. */
  gateway: Gateway;
  /** The cluster half: store, timers, caches, runtime, the API server, bots. */
  cluster: Cluster;
  /** Compaction of running classrooms' records and archiving of closed ones (a repeating BullMQ job). */
  replayMaintenance: ReplayMaintenance;
  /** Stops accepting work, closes sockets and Redis, and stops the private redis-server if any. */
  close(): Promise<void>;
}

/**
 * The composition root, in dependency order: config -> redis -> classrooms -> the cluster (store
 * -> timers -> caches -> runtime -> API server -> bots) -> http (REST, the Kubernetes API) -> gateway (watch feeds, sockets).
 */
export async function startServer(config: Config, logger: Logger): Promise<RunningServer> {
  let embedded: EmbeddedRedis | null = null;
  let target: RedisTarget | null = config.REDIS_CLUSTER_NODES ? { clusterNodes: config.REDIS_CLUSTER_NODES } : config.REDIS_URL ? { url: config.REDIS_URL } : null;
  if (!target) {
    // Kept running: if it dies, it is started again on the same port and data directory.
    embedded = await superviseEmbeddedRedis({ dataDir: config.redisDataDir }, logger);
    target = { url: embedded.url };
    logger.info({ dataDir: config.redisDataDir, port: embedded.port }, 'started private redis-server');
  }
  const redisUrl = describeTarget(target);
  try {
    const redis = await connectTo(target, logger);
    try {
      await requireSupportedRedis(redis);
    } catch (error) {
      redis.destroy();
      throw error;
    }
    const serverId = randomUUID();
    const classrooms = createClassroomRepository({
      redis,
      prefix: config.REDIS_KEY_PREFIX,
      maxStudents: config.MAX_STUDENTS,
      maxNodes: config.MAX_NODES,
      seatGraceMs: config.SEAT_GRACE_SECONDS * 1000,
      serverId,
      maxSocketsPerMember: config.MAX_SOCKETS_PER_MEMBER,
    });
    const changes = recordRoomChanges(await createClassroomChanges(redis, config.REDIS_KEY_PREFIX, logger), redis, config.REDIS_KEY_PREFIX, logger);
    const joinLimiter = createJoinLimiter(redis, config.REDIS_KEY_PREFIX, config.JOIN_RATE_LIMIT, config.JOIN_RATE_WINDOW_SECONDS);
    // The port is known once listening (PORT=0 in tests); the network cards are read per request.
    let listeningPort = config.PORT;
    const announcer = createClassroomAnnouncer(classrooms, changes);
    const work = new BackgroundWork(logger);
    const cluster = await startCluster({
      redis,
      serverId,
      keyPrefix: config.REDIS_KEY_PREFIX,
      logger,
      classrooms,
      changes,
      announce: (classroomId, reasons) => announcer.announce(classroomId, reasons),
      run: (what, job) => work.run(what, job),
      timerLanes: config.REDIS_CLUSTER_TIMER_QUEUES,
      writeReplicas: { writeReplicas: config.REDIS_WRITE_REPLICAS, writeReplicasTimeoutMs: config.REDIS_WRITE_REPLICAS_TIMEOUT_MS },
    });
    const replayFiles = { redis, keyPrefix: config.REDIS_KEY_PREFIX, dataDir: config.replayDataDir };
    const replayMaintenance = new ReplayMaintenance({
      ...replayFiles,
      openClassroomIds: () => classrooms.openClassroomIds(),
      archiveAfterMs: config.ARCHIVE_AFTER_DAYS * 86_400_000,
      sweepEveryMs: config.REPLAY_SWEEP_SECONDS * 1000,
      compaction: { tail: config.LOG_COMPACTION_TAIL, chunk: config.LOG_COMPACTION_TAIL },
      logger,
    });
    await replayMaintenance.start();
    const stopping = new AbortController();
    // The gauges read the gateway, which is created after the HTTP app it serves.
    let gatewayOf: Gateway | null = null;
    const metrics = new Metrics({
      sockets: () => gatewayOf?.io.of('/').sockets.size ?? 0,
      classrooms: () => gatewayOf?.deps.feeds.classrooms ?? 0,
      bots: () => cluster.botsPlaying(),
      classroomsOwned: () => cluster.classroomsOwned(),
      classroomsCached: () => cluster.classroomsCached(),
      simTimers: () => cluster.simTimers(),
      redisRoundTrip: async () => {
        const started = performance.now();
        await redis.ping();
        return (performance.now() - started) / 1000;
      },
    });
    cluster.api.onRequest((_classroomId, entry) => metrics.apiRequest(entry.verb, entry.code === undefined ? 200 : httpStatusOf[entry.code]));
    // One budget per member, whether they click (sockets) or type (kubectl).
    const memberRate = new MemberRateLimiter({ redis, keyPrefix: config.REDIS_KEY_PREFIX, logger, rate: { perSecond: config.SOCKET_RATE_PER_SECOND, burst: config.SOCKET_RATE_BURST } });
    const app = createHttpApp({
      memberRate,
      logger,
      metrics,
      redis,
      clientDir: config.clientDir,
      classrooms,
      changes,
      joinLimiter,
      cluster,
      replay: { ...replayFiles, classrooms, replayTtlMs: config.REPLAY_TTL_DAYS * 86_400_000 },
      stopping: stopping.signal,
      joinBaseUrl: () => joinBaseUrl({ publicUrl: config.PUBLIC_URL, host: config.HOST, port: listeningPort, interfaces: networkInterfaces() }),
      ...(config.CORS_ORIGIN ? { corsOrigin: config.CORS_ORIGIN } : {}),
      ...(config.TRUST_PROXY !== undefined ? { trustProxy: config.TRUST_PROXY } : {}),
      rounds: { api: cluster.api, rounds: cluster.rounds, announce: (classroomId, reasons) => announcer.announce(classroomId, reasons) },
    });
    const httpServer = createServer(app);
    const gateway = await createSocketServer(httpServer, {
      logger,
      serverId,
      redisTarget: target,
      redis,
      keyPrefix: config.REDIS_KEY_PREFIX,
      classrooms,
      changes,
      announcer,
      cluster,
      work,
      metrics,
      limits: new SocketLimits({
        logger,
        members: memberRate,
        anonymous: { limit: config.ANONYMOUS_SOCKET_LIMIT, timeoutMs: config.ANONYMOUS_SOCKET_TIMEOUT_SECONDS * 1000 },
      }),
      ...(config.CORS_ORIGIN ? { corsOrigin: config.CORS_ORIGIN } : {}),
    });
    gatewayOf = gateway;
    // Beats before the first socket, so a survivor can reap whatever this process leaves behind.
    const heartbeat = await startProcessHeartbeat({
      redis,
      prefix: config.REDIS_KEY_PREFIX,
      serverId,
      classrooms,
      announcer,
      logger,
      onRevived: () => recountSessions(gateway.io, gateway.deps),
      onReaped: (ghost) => cluster.forgetProcess(ghost),
    });
    await new Promise<void>((resolve, reject) => {
      httpServer.once('error', reject);
      httpServer.listen(config.PORT, config.HOST, () => resolve());
    });
    const { port } = httpServer.address() as AddressInfo;
    listeningPort = port;
    let closing: Promise<void> | null = null;
    return {
      url: `http://localhost:${port}`,
      port,
      redisUrl,
      classrooms,
      gateway,
      cluster,
      replayMaintenance,
      close() {
        closing ??= (async () => {
          stopping.abort(); // kubectl's open watches end first: the HTTP server waits for every open request
          await gateway.close(); // also closes the HTTP server
          await work.drain();
          await heartbeat.close();
          await replayMaintenance.close();
          await cluster.close();
          await changes.close();
          await redis.close().catch(() => redis.destroy());
          await embedded?.stop();
        })();
        return closing;
      },
    };
  } catch (error) {
    await embedded?.stop();
    throw error;
  }
}

export function listeningMessage(server: RunningServer): string {
  return `ClusterPlay is serving ${server.url}`;
}
