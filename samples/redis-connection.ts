import Redis from 'ioredis';
import RedisMock from 'ioredis-mock';
import type { RedisClient } from '../lib';

/**
 * The samples run against REDIS_URL when it is set, and otherwise on an embedded in-process
 * Redis (ioredis-mock), so `npm run demo` works on a machine with no Redis at all.
 */
export function connectForSample(): { redis: RedisClient; description: string } {
  const url = process.env.REDIS_URL;
  if (url) {
    // Recommended: a capped retryStrategy, so caching resumes within half a second of Redis
    // coming back, and maxRetriesPerRequest 1, so ioredis does not retry what the cache will
    // serve from the loader anyway.
    const redis = new Redis(url, {
      retryStrategy: (attempt) => Math.min(attempt * 50, 500),
      maxRetriesPerRequest: 1,
    });
    return { redis, description: `Redis at ${url.replace(/\/\/[^@]*@/, '//***@')}` };
  }
  return {
    redis: new RedisMock(),
    description: 'embedded in-process Redis (ioredis-mock); set REDIS_URL to use a real server',
  };
}
