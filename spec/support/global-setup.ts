import { randomBytes } from 'node:crypto';
import { startRedisCluster, startRedisServer, type RedisServer } from './redis-server';
import { TEST_KEY_ROOT } from './test-redis';

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
  // ACL users confined to the test keys, on the servers started here (never on REDIS_URL's):
  // the integration:acl projects run specs as them (spec/support/acl-env/).
  for (const [name, extra] of Object.entries(ACL_USERS)) {
    for (const server of started) server.cli('acl', 'setuser', name, ...aclRules(name), ...extra);
  }
}

/** Users the integration:acl projects run as: the docs' line, then without scripting too. */
export const ACL_USERS: Readonly<Record<string, readonly string[]>> = {
  'acl-dangerous': [],
  'acl-scripting': ['-@scripting'],
};

/**
 * The line docs/security.md gives users, for the test keys' root: keys and channels under it,
 * everything but @dangerous, plus what the test clients need: INFO (ioredis's ready check) and
 * CLUSTER SLOTS (a Cluster client's topology).
 */
function aclRules(name: string): string[] {
  return [
    'reset',
    'on',
    `>${name}-pw`,
    `~${TEST_KEY_ROOT}*`,
    `&${TEST_KEY_ROOT}*`,
    '+@all',
    '-@dangerous',
    '+info',
    '+cluster|slots',
  ];
}
