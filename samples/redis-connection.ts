import Redis from 'ioredis';
import { MemoryStore, type RedisClient } from '../lib';

/** What a sample runs on, and the few raw operations sample 03 uses to tamper with an entry. */
export interface SampleConnection {
  redis: RedisClient;
  description: string;
  /** The bytes stored at a key (null when absent). */
  readBytes(this: void, key: string): Promise<Buffer | null>;
  /** Overwrites a key's bytes, keeping its TTL. */
  writeBytes(this: void, key: string, value: Buffer): Promise<void>;
  close(this: void): void;
}

/**
 * The samples run against REDIS_URL when it is set, and otherwise on the embedded memory store
 * (`MemoryStore`, the one `cache-aside/testing` uses), so `npm run demo` works on a machine with
 * no Redis at all.
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

export function connectForSample(): SampleConnection {
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
    return {
      redis,
      description: `Redis at ${url.replace(/\/\/[^@]*@/, '//***@')}`,
      readBytes: (key) => redis.getBuffer(key),
      writeBytes: async (key, value) => {
        await redis.set(key, value, 'KEEPTTL');
      },
      close: () => {
        redis.disconnect();
      },
    };
  }
  const store = new MemoryStore();
  return {
    redis: store,
    description: 'the embedded memory store (no Redis); set REDIS_URL to use a real server',
    readBytes: async (key) => store.get(key),
    writeBytes: async (key, value) => {
      const pttl = store.pttl(key);
      store.set(key, value, pttl > 0 ? pttl : 0);
    },
    close: () => {
      store.close();
    },
  };
}
