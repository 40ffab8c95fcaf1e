import Redis from 'ioredis';
import type { RedisServer } from './redis-server';
import { TEST_KEY_ROOT } from './test-redis';

/**
 * Stops, by PID, every server the global setup started — and only those. On a server of the
 * user's (REDIS_URL), removes exactly the keys this run wrote (its run id is in every one of
 * them) and nothing else; never FLUSHALL.
 */
export default async function globalTeardown(): Promise<void> {
  const servers = (globalThis as { __cacheAsideServers?: RedisServer[] }).__cacheAsideServers ?? [];
  await Promise.all(servers.map((server) => server.stop()));
  const run = process.env.CACHE_ASIDE_TEST_RUN;
  if (process.env.REDIS_URL && run)
    await removeRunKeys(process.env.REDIS_URL, `${TEST_KEY_ROOT}${run}:`);
}

async function removeRunKeys(url: string, root: string): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: true });
  try {
    await redis.connect();
    // The entries and tag versions, all under the prefix (see lib/entry/key-layout.ts).
    for (const match of [`${root}*`]) {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', match, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) await redis.unlink(...keys);
      } while (cursor !== '0');
    }
  } finally {
    redis.disconnect();
  }
}
