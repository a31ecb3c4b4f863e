/**
 * A server process reduced to its timer worker, for the crash tests: it records `tick` timers,
 * and hangs forever in `hang` timers (after saying so), so a SIGKILL catches it mid-handler.
 * TIMER_SERVER_ID runs it with owner-local timers under that id (see timer-fixtures' redisOwners).
 */
import { connectRedis } from '../../redis/connect';
import { SimTimerService } from '../sim-timer-service';
import { RedisClocks, recordFiring, redisOwners } from './timer-fixtures';

const url = process.env.REDIS_URL;
const prefix = process.env.REDIS_KEY_PREFIX;
if (!url || !prefix) throw new Error('REDIS_URL and REDIS_KEY_PREFIX are required');

const redis = await connectRedis(url);
const serverId = process.env.TIMER_SERVER_ID;
const timers = new SimTimerService({
  redis,
  keyPrefix: prefix,
  clocks: new RedisClocks(redis, prefix),
  lockDurationMs: 1000,
  stalledIntervalMs: 500,
  ...(serverId ? { owners: redisOwners(redis, prefix, serverId) } : {}),
});
timers.onTimer('tick', recordFiring(redis, prefix, `pid-${process.pid}`));
timers.onTimer('hang', async (_classroomId, timer) => {
  await redis.rPush(`${prefix}:test-hanging`, timer.key);
  await new Promise(() => {});
});
await timers.start();
process.stdout.write('ready\n');
