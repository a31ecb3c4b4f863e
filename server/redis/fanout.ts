/**
 * Messages every server process hears (classroom changes, rounds). On one Redis: PUBLISH and
 * SUBSCRIBE on one channel. On a Redis Cluster a plain PUBLISH goes over the cluster bus to every
 * node, so the channel is split into shard channels (`<channel>:{<i>}`, each in its own slot)
 * sent with SPUBLISH: a message passes through one shard only, and the shards share the load.
 * The message's classroom picks its shard, which keeps one classroom's messages in order.
 */
import { isCluster, type RedisClient } from './connect';

export const FANOUT_SHARDS = 16;

/** FNV-1a of the string, for picking a shard or lane every process agrees on without asking Redis. */
export function shardOf(key: string, shards: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % shards;
}

const shardChannel = (channel: string, shard: number): string => `${channel}:{${shard}}`;

/** Sends the message to every process subscribed to the channel; `routing` (its classroom) picks the shard. */
export async function publishToAll(redis: RedisClient, channel: string, routing: string, message: string): Promise<void> {
  if (isCluster(redis)) await redis.sPublish(shardChannel(channel, shardOf(routing, FANOUT_SHARDS)), message);
  else await redis.publish(channel, message);
}

export interface Subscription {
  close(): Promise<void>;
}

/** Subscribes (on a connection of its own) before it resolves, so nothing published after is missed. */
export async function subscribeToAll(redis: RedisClient, channel: string, onMessage: (message: string) => void): Promise<Subscription> {
  if (isCluster(redis)) {
    const subscriber = redis.duplicate();
    subscriber.on('error', () => {}); // the main client reports outages; this one reconnects
    await subscriber.connect();
    for (let shard = 0; shard < FANOUT_SHARDS; shard++) await subscriber.sSubscribe(shardChannel(channel, shard), onMessage);
    return { close: () => subscriber.close().catch(() => subscriber.destroy()) };
  }
  const subscriber = redis.duplicate();
  subscriber.on('error', () => {}); // the main client reports outages; this one reconnects
  await subscriber.connect();
  await subscriber.subscribe(channel, onMessage);
  return { close: () => subscriber.close().catch(() => subscriber.destroy()) };
}
