import { randomBytes } from 'node:crypto';
import { startRedisCluster, startRedisServer, type RedisServer } from './redis-server';

/**
 * Starts the servers the integration specs share: one standalone redis-server (unless REDIS_URL
 * points at the user's own) and a Cluster of three masters. Their addresses reach the test
 * workers through the environment; teardown stops them by PID.
 */
export default async function globalSetup(): Promise<void> {
  const started: RedisServer[] = [];
  (globalThis as { __cacheAsideServers?: RedisServer[] }).__cacheAsideServers = started;
  // One id per run: every key the run writes starts with it, so teardown can remove exactly
  // those from a server that is not ours (REDIS_URL) and nothing else.
  process.env.CACHE_ASIDE_TEST_RUN = randomBytes(6).toString('hex');
  if (process.env.REDIS_URL) {
    process.env.CACHE_ASIDE_TEST_REDIS_URL = process.env.REDIS_URL;
  } else {
    const standalone = await startRedisServer();
    started.push(standalone);
    process.env.CACHE_ASIDE_TEST_REDIS_URL = standalone.url;
  }
  const cluster = await startRedisCluster(3);
  started.push(...cluster);
  process.env.CACHE_ASIDE_TEST_CLUSTER = cluster.map((n) => `127.0.0.1:${n.port}`).join(',');
}
