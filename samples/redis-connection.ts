import Redis from 'ioredis';
import RedisMock from 'ioredis-mock';
import type { RedisClient } from '../lib';

/**
 * The samples run against REDIS_URL when it is set, and otherwise on an embedded in-process
 * Redis (ioredis-mock), so `npm run demo` works on a machine with no Redis at all.
 */
/**
 * Every client needs an 'error' listener: without one ioredis prints "Unhandled error event"
 * on each failed reconnect. The cache reports what it serves anyway through its own events.
 */
export function watchConnectionErrors(redis: Redis): void {
  let failures = 0;
  redis.on('error', (error: Error) => {
    if (failures++ === 0)
      console.warn(`Redis connection error: ${error.message} (the cache serves from the loader)`);
  });
}

export function connectForSample(): { redis: RedisClient; description: string } {
  const url = process.env.REDIS_URL;
  if (url) {
    // Recommended: a capped retryStrategy, so caching resumes within half a second of Redis
    // coming back, and maxRetriesPerRequest 1, so ioredis does not retry what the cache will
    // serve from the loader anyway.
    const redis = new Redis(url, {
      // A sample gives up after about five seconds without Redis, so that it always exits; an
      // application keeps retrying: (attempt) => Math.min(attempt * 50, 500).
      retryStrategy: (attempt) => (attempt > 12 ? null : Math.min(attempt * 50, 500)),
      maxRetriesPerRequest: 1,
    });
    watchConnectionErrors(redis);
    return { redis, description: `Redis at ${url.replace(/\/\/[^@]*@/, '//***@')}` };
  }
  return {
    redis: new RedisMock(),
    description: 'embedded in-process Redis (ioredis-mock); set REDIS_URL to use a real server',
  };
}
