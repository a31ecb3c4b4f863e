/**
 * A second server process for the cross-process watch test: its own Redis connection and store,
 * it creates, updates and deletes one pod, then exits.
 * Usage: node --import tsx server/store/testing/write-in-another-process.ts <redisUrl> <keyPrefix> <classroom> <pod>
 */
import { makePod } from '@shared/model';
import { connectRedis } from '../../redis/connect';
import { ObjectStore } from '../object-store';

const [redisUrl, keyPrefix, classroom, podName] = process.argv.slice(2);
if (!redisUrl || !keyPrefix || !classroom || !podName) throw new Error('usage: <redisUrl> <keyPrefix> <classroom> <pod>');

const redis = await connectRedis(redisUrl);
const store = new ObjectStore({ redis, keyPrefix });
const context = { actor: `system:process-${process.pid}`, simTime: 0 };
const created = await store.create(classroom, makePod(podName, { labels: { app: 'web' } }), context);
const bound = await store.update(classroom, { ...created, spec: { ...created.spec, nodeName: 'node-1' } }, context);
await store.delete(classroom, { kind: 'Pod', name: podName }, context, { preconditions: { uid: bound.metadata.uid } });
await store.close();
await redis.close();
