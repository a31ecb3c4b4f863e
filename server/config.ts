import path from 'node:path';
import { z } from 'zod';
import { NODE_COUNT_LIMIT } from '@shared/protocol/rest';

const configSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('0.0.0.0'),
  // Where students reach this server (behind a proxy, in a container, by DNS name); unset, the join
  // link and QR code use this machine's LAN address.
  PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
  // When unset, the server starts a private redis-server with its data under REDIS_DATA_DIR.
  REDIS_URL: z.string().url().optional(),
  REDIS_DATA_DIR: z.string().default('.data/redis'),
  // A Redis Cluster instead: some of its nodes, `host:port,host:port,...` (the client finds the rest). Wins over REDIS_URL.
  REDIS_CLUSTER_NODES: z
    .string()
    .transform((v) => v.split(',').map((node) => node.trim()).filter(Boolean))
    .pipe(z.array(z.string().regex(/^[^\s:,]+:\d{1,5}$/, 'each node is host:port')).min(1))
    .optional(),
  // Timer queues on a Redis Cluster, each under its own hash tag, so the timer load spreads over the shards.
  REDIS_CLUSTER_TIMER_QUEUES: z.coerce.number().int().min(1).max(64).default(6),
  // Replicas a store write must reach (Redis WAIT) before it is acknowledged, so a master's death
  // and its replica's promotion lose no acknowledged write; 1 with a replica per master. 0: no WAIT.
  REDIS_WRITE_REPLICAS: z.coerce.number().int().min(0).max(5).default(0),
  // How long a write waits for them; a replica that does not confirm in time is taken for down (the write stands, a warning is logged).
  // At most 1000: WAIT holds the connection every request's commands go on, and a command unanswered
  // for 1.5 s counts as Redis unreachable (every screen would show an outage, every write answer 503).
  REDIS_WRITE_REPLICAS_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(1)
    .max(1000, { message: "at most 1000: a write's WAIT holds the connection every request uses, and a command unanswered for 1500 ms counts as Redis unreachable" })
    .default(100),
  // Prefix of every Redis key, so several deployments (or test runs) can share one Redis.
  REDIS_KEY_PREFIX: z.string().regex(/^[a-zA-Z0-9_-]+$/).default('cp'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  CORS_ORIGIN: z.string().optional(),
  CLIENT_DIR: z.string().default('dist/client'),
  // How long a disconnected student keeps their role before its bot plays again.
  SEAT_GRACE_SECONDS: z.coerce.number().min(0).max(3600).default(20),
  MAX_STUDENTS: z.coerce.number().int().min(1).max(1000).default(60),
  // Worker nodes a classroom may have (created with, or added by the instructor); raise it for a scale run.
  MAX_NODES: z.coerce.number().int().min(1).max(NODE_COUNT_LIMIT).default(12),
  // Join attempts per client address per window (join codes must not be guessable by brute force).
  // A class behind one school NAT address joins from that one address: 60 students and their retries.
  JOIN_RATE_LIMIT: z.coerce.number().int().min(1).default(120),
  // Behind a load balancer or reverse proxy: whose X-Forwarded-For to believe for a client's address
  // (Express's `trust proxy`: hops, e.g. `1`; `loopback`, `uniquelocal`; or addresses and subnets).
  // Unset, every request counts as the proxy's address, and the whole school shares one join budget.
  TRUST_PROXY: z
    .string()
    .optional()
    .transform((value): boolean | number | string | undefined => {
      const trimmed = value?.trim() ?? '';
      if (trimmed === '' || trimmed === 'false') return undefined;
      if (trimmed === 'true') return true;
      return /^\d+$/.test(trimmed) ? Number(trimmed) : trimmed;
    }),
  JOIN_RATE_WINDOW_SECONDS: z.coerce.number().int().min(1).default(60),
  // Token bucket per member, shared by all their sockets on every process: sustained events per second, and the burst it tolerates.
  SOCKET_RATE_PER_SECOND: z.coerce.number().min(0.1).default(10),
  SOCKET_RATE_BURST: z.coerce.number().int().min(1).default(30),
  // Sockets one member may hold open at once, across all processes (tabs, devices).
  MAX_SOCKETS_PER_MEMBER: z.coerce.number().int().min(1).max(1000).default(8),
  // Sockets without a token one process holds open at once, and for how long.
  ANONYMOUS_SOCKET_LIMIT: z.coerce.number().int().min(0).default(200),
  ANONYMOUS_SOCKET_TIMEOUT_SECONDS: z.coerce.number().min(0.1).max(3600).default(30),
  // Session replay files: compacted change-log segments of running classrooms, archives of closed ones.
  REPLAY_DATA_DIR: z.string().default('.data/replay'),
  // How long a closed classroom stays in Redis before it is archived to REPLAY_DATA_DIR and removed.
  ARCHIVE_AFTER_DAYS: z.coerce.number().min(0).max(3650).default(7),
  // How long an imported replay (and its share link) lives.
  REPLAY_TTL_DAYS: z.coerce.number().min(0.0001).max(3650).default(30),
  // How often the compaction and archiving sweep runs, and the changes a running classroom keeps in Redis.
  REPLAY_SWEEP_SECONDS: z.coerce.number().min(0.1).max(86_400).default(60),
  LOG_COMPACTION_TAIL: z.coerce.number().int().min(10).default(500),
});

export type Config = z.infer<typeof configSchema> & { clientDir: string; redisDataDir: string; replayDataDir: string };

/** Reads the configuration from the environment; a bad value stops the process with its name. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable (`REDIS_URL=`) means unset, as in most shells' tooling.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ''));
  const parsed = configSchema.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`Invalid configuration: ${problems}`);
  }
  return {
    ...parsed.data,
    clientDir: path.resolve(parsed.data.CLIENT_DIR),
    redisDataDir: path.resolve(parsed.data.REDIS_DATA_DIR),
    replayDataDir: path.resolve(parsed.data.REPLAY_DATA_DIR),
  };
}
