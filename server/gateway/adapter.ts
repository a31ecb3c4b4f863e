import { createAdapter } from '@socket.io/redis-streams-adapter';
import { isCluster, newCluster, type RedisClient, type RedisTarget } from '../redis/connect';

export interface SocketAdapter {
  adapter: ReturnType<typeof createAdapter>;
  close(): Promise<void>;
}

/** The adapter's blocking XREAD waits this long (its default); its reply may take a little longer. */
const ADAPTER_BLOCK_MS = 5000;

/** Commands the adapter sends without awaiting them (session records, pub/sub heartbeats). */
const FIRE_AND_FORGET = ['set', 'publish', 'sPublish'] as const;

interface AdapterClient {
  on(event: 'error', listener: () => void): unknown;
  connect(): Promise<unknown>;
  close(): Promise<void>;
  destroy(): void;
}

/** Their failure must not be an unhandled rejection: the adapter does not await them. */
function guardFireAndForget(client: AdapterClient & Record<(typeof FIRE_AND_FORGET)[number], unknown>): void {
  for (const name of FIRE_AND_FORGET) {
    const send = (client[name] as (...args: unknown[]) => Promise<unknown>).bind(client);
    const guarded = (...args: unknown[]): Promise<unknown> => {
      const reply = send(...args);
      reply.catch(() => {});
      return reply;
    };
    Object.assign(client, { [name]: guarded });
  }
}

/**
 * The Redis Streams adapter: rooms span every server process, and packets a client missed while
 * reconnecting are replayed from the stream (connection state recovery), which the pub/sub
 * adapter cannot do. It supports a node-redis cluster client: its stream is one key (one slot),
 * and there its requests and answers between processes go over sharded pub/sub (SPUBLISH), which
 * stays on one shard instead of crossing the whole cluster bus.
 *
 * While Redis is down: its publishing client fails fast (a broadcast through the adapter is
 * dropped with a debug line, never queued: an offline queue would grow with every broadcast of
 * the outage), and the commands it sends without awaiting get a catch so their failure is not an
 * unhandled rejection. Its reading and subscribing duplicates keep node-redis' offline queue:
 * the adapter's XREAD loop retries at once after an error, so a failing read would spin; queued,
 * it simply waits for the reconnect (one read at a time) and reads on from its last offset.
 */
export async function createSocketAdapter(target: RedisTarget, prefix: string, app: RedisClient): Promise<SocketAdapter> {
  const name = 'clusterplay-socketio';
  // The adapter duplicates its client for XREAD and SUBSCRIBE and stops them only after the
  // current blocking read; we keep them to end them with the server.
  const duplicates: Array<{ destroy(): void }> = [];
  const kept = <T extends { destroy(): void }>(copy: T): T => {
    duplicates.push(copy);
    return copy;
  };
  let client: RedisClient;
  if (target.clusterNodes) {
    const nodes = target.clusterNodes;
    const cluster = newCluster(nodes, name);
    cluster.duplicate = (() => kept(newCluster(nodes, name, { offlineQueue: true, timeoutMs: ADAPTER_BLOCK_MS + 5000 }))) as unknown as typeof cluster.duplicate;
    client = cluster;
  } else {
    if (isCluster(app)) throw new TypeError('the application has a cluster client for one Redis');
    // A duplicate of the application's client (its options, with node-redis' own command timeout,
    // as newClient gives): node-redis builds a command class for every client it creates anew (20 MB
    // of garbage and tens of ms at start), a duplicate shares its original's.
    const single = app.duplicate({ name });
    const duplicate = single.duplicate.bind(single);
    single.duplicate = ((...args: Parameters<typeof duplicate>) =>
      kept(duplicate({ ...args[0], disableOfflineQueue: false, commandOptions: { timeout: ADAPTER_BLOCK_MS + 5000 } }))) as typeof single.duplicate;
    client = single;
  }
  client.on('error', () => {}); // the main client reports outages
  await client.connect();
  guardFireAndForget(client);
  const adapter = createAdapter(client, {
    streamName: `${prefix}:socket.io`,
    channelPrefix: `${prefix}:socket.io`,
    sessionKeyPrefix: `${prefix}:socket.io-session:`,
    onlyPlaintext: true,
    blockTimeInMs: ADAPTER_BLOCK_MS,
    useShardedPubSub: Boolean(target.clusterNodes),
  });
  return {
    adapter,
    async close() {
      // The blocked XREAD of a duplicate fails into the adapter's own catch; the main client
      // finishes what it was sending (session records, last broadcasts) first.
      for (const copy of duplicates) copy.destroy();
      await client.close().catch(() => client.destroy());
    },
  };
}
