import { createAdapter } from '@socket.io/redis-streams-adapter';
import { createClient } from 'redis';
import { COMMAND_TIMEOUT_MS, MAX_PENDING_COMMANDS, reconnectDelay } from '../redis/connect';

export interface SocketAdapter {
  adapter: ReturnType<typeof createAdapter>;
  close(): Promise<void>;
}

/** The adapter's blocking XREAD waits this long (its default); its reply may take a little longer. */
const ADAPTER_BLOCK_MS = 5000;

/** Commands the adapter sends without awaiting them (session records, pub/sub heartbeats). */
const FIRE_AND_FORGET = ['set', 'publish', 'sPublish'] as const;

/**
 * The Redis Streams adapter: rooms span every server process, and packets a client missed while
 * reconnecting are replayed from the stream (connection state recovery), which the pub/sub
 * adapter cannot do.
 *
 * While Redis is down: its publishing client fails fast (a broadcast through the adapter is
 * dropped with a debug line, never queued: an offline queue would grow with every broadcast of
 * the outage), and the commands it sends without awaiting get a catch so their failure is not an
 * unhandled rejection. Its reading and subscribing duplicates keep node-redis' offline queue:
 * the adapter's XREAD loop retries at once after an error, so a failing read would spin; queued,
 * it simply waits for the reconnect (one read at a time) and reads on from its last offset.
 */
export async function createSocketAdapter(redisUrl: string, prefix: string): Promise<SocketAdapter> {
  const client = createClient({
    url: redisUrl,
    name: 'clusterplay-socketio',
    disableOfflineQueue: true,
    commandsQueueMaxLength: MAX_PENDING_COMMANDS,
    commandOptions: { timeout: COMMAND_TIMEOUT_MS },
    socket: { reconnectStrategy: reconnectDelay, connectTimeout: 5000 },
  });
  client.on('error', () => {}); // the main client reports outages
  await client.connect();
  for (const name of FIRE_AND_FORGET) {
    const send = client[name].bind(client) as (...args: unknown[]) => Promise<unknown>;
    const guarded = (...args: unknown[]): Promise<unknown> => {
      const reply = send(...args);
      reply.catch(() => {});
      return reply;
    };
    Object.assign(client, { [name]: guarded });
  }
  // The adapter duplicates its client for XREAD and SUBSCRIBE and stops them only after the
  // current blocking read; we keep them to end them with the server.
  const duplicates: Array<{ destroy(): void }> = [];
  const duplicate = client.duplicate.bind(client);
  client.duplicate = ((...args: Parameters<typeof duplicate>) => {
    const copy = duplicate({ ...args[0], disableOfflineQueue: false, commandOptions: { timeout: ADAPTER_BLOCK_MS + 5000 } });
    duplicates.push(copy);
    return copy;
  }) as typeof client.duplicate;
  const adapter = createAdapter(client, {
    streamName: `${prefix}:socket.io`,
    channelPrefix: `${prefix}:socket.io`,
    sessionKeyPrefix: `${prefix}:socket.io-session:`,
    onlyPlaintext: true,
    blockTimeInMs: ADAPTER_BLOCK_MS,
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
