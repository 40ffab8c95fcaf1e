import { randomBytes } from 'node:crypto';
import { ACL_USERS } from './acl-users';
import { startRedisCluster, startRedisServer, type RedisServer } from './redis-server';

/**
 * ACL users confined to the test keys, on the servers started here (never on REDIS_URL's): the
 * integration:acl projects run specs as them (spec/support/acl-env/).
 */
const USERS = Object.keys(ACL_USERS);

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
    const standalone = await startRedisServer({ aclUsers: USERS });
    started.push(standalone);
    process.env.CACHE_ASIDE_TEST_REDIS_URL = standalone.adminUrl;
  }
  const cluster = await startRedisCluster(3, { aclUsers: USERS });
  started.push(...cluster);
  process.env.CACHE_ASIDE_TEST_CLUSTER = cluster.map((n) => `127.0.0.1:${n.port}`).join(',');
}
