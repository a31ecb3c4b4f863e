import { createAdapter } from '@socket.io/redis-streams-adapter';
import { createClient } from 'redis';

export interface SocketAdapter {
  adapter: ReturnType<typeof createAdapter>;
  close(): Promise<void>;
}

/**
 * The Redis Streams adapter: rooms span every server process, and packets a client missed while
 * reconnecting are replayed from the stream (connection state recovery), which the pub/sub
 * adapter cannot do. It gets its own client with the offline queue on: while Redis is down its
 * blocking XREAD loop waits for the reconnect instead of failing in a tight loop.
 */
export async function createSocketAdapter(redisUrl: string, prefix: string): Promise<SocketAdapter> {
  const client = createClient({
    url: redisUrl,
    name: 'clusterplay-socketio',
    socket: { reconnectStrategy: (retries) => Math.min(50 * 2 ** retries, 2000), connectTimeout: 5000 },
  });
  client.on('error', () => {}); // the main client reports outages
  await client.connect();
  // The adapter duplicates its client for XREAD and SUBSCRIBE and stops them only after the
  // current blocking read; we keep them to end them with the server.
  const duplicates: Array<{ destroy(): void }> = [];
  const duplicate = client.duplicate.bind(client);
  client.duplicate = ((...args: Parameters<typeof duplicate>) => {
    const copy = duplicate(...args);
    duplicates.push(copy);
    return copy;
  }) as typeof client.duplicate;
  const adapter = createAdapter(client, {
    streamName: `${prefix}:socket.io`,
    channelPrefix: `${prefix}:socket.io`,
    sessionKeyPrefix: `${prefix}:socket.io-session:`,
    onlyPlaintext: true,
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
