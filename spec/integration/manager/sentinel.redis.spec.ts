import Redis from 'ioredis';
import { CacheAsideManager, type CacheError } from '../../../lib';
import {
  startRedisSentinel,
  startRedisWithReplica,
  type RedisServer,
} from '../../support/redis-server';
import { runUser, runUserCredentials } from '../../support/acl-users';
import { collectErrors, uniquePrefix } from '../../support/test-redis';

/**
 * A Sentinel-managed Redis (a master, a replica, one Sentinel, all started here): the manager
 * works through a Sentinel-configured client, and when the master dies it serves from the loader
 * until the Sentinel has promoted the replica and the client has followed, then caches again.
 */
describe('CacheAsideManager behind Redis Sentinel', () => {
  const masterName = 'cache-aside';
  let master: RedisServer;
  let replica: RedisServer;
  let sentinel: RedisServer;
  let redis: Redis;
  let cache: CacheAsideManager;
  const errors: CacheError[] = [];

  beforeAll(async () => {
    ({ master, replica } = await startRedisWithReplica());
    sentinel = await startRedisSentinel(master.port, masterName);
    redis = new Redis({
      sentinels: [{ host: '127.0.0.1', port: sentinel.port }],
      name: masterName,
      // The master and replica as the run's ACL user (integration:acl projects); the Sentinel
      // itself as the default user.
      ...runUserCredentials(),
      maxRetriesPerRequest: 1,
      retryStrategy: (attempt) => Math.min(attempt * 50, 500),
      sentinelRetryStrategy: (attempt) => Math.min(attempt * 50, 500),
    });
    redis.on('error', () => undefined); // connection errors during the failover are expected here
    cache = new CacheAsideManager({
      redis,
      keyPrefix: uniquePrefix('sentinel'),
      operationTimeoutMs: 200,
      circuitBreaker: { cooldownMs: 200 },
    });
    collectErrors(cache, errors);
  }, 30_000);

  afterAll(async () => {
    await cache.close();
    redis.disconnect();
    await Promise.all([sentinel, replica, master].map((server) => server.stop()));
  });

  it('reads through, hits and invalidates through a Sentinel-configured client', async () => {
    const loader = jest.fn(async (key: string) => ({ key }));
    expect(await cache.get('a', loader)).toEqual({ key: 'a' });
    await cache.settle();
    expect(await cache.get('a', loader)).toEqual({ key: 'a' });
    expect(loader).toHaveBeenCalledTimes(1);
    expect(await cache.invalidate('a')).toBe(1);
    expect(errors).toEqual([]);
    expect(await redis.call('ACL', 'WHOAMI')).toBe(runUser() ?? 'default');
  });

  it('serves from the loader during a failover and caches again on the promoted replica', async () => {
    await cache.set('survives-replication', 'v');
    // The replica has the entry before the master goes away.
    await waitFor(
      async () => replica.cli('get', `${cache.keyPrefix}survives-replication`).length > 0,
      'replicated',
      5000,
    );
    await master.kill();
    const started = performance.now();
    let calls = 0;
    let cachedAgain = false;
    // Bounded: a read every 100 ms for at most 20 s; none may throw.
    while (!cachedAgain && performance.now() - started < 20_000) {
      const key = `during-failover-${calls++}`;
      expect(await cache.get(key, async () => key)).toBe(key);
      await cache.settle();
      cachedAgain =
        (await cache.get(key, async () => 'reloaded')) === key &&
        (await redis.exists(`${cache.keyPrefix}${key}`)) === 1;
      if (!cachedAgain) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const failoverMs = performance.now() - started;
    console.log(
      `[measured] Sentinel failover: caching again ${failoverMs.toFixed(0)} ms after the master was killed`,
    );
    expect(cachedAgain).toBe(true);
    expect(replica.cli('role').startsWith('master')).toBe(true);
    expect(await cache.get('survives-replication', async () => 'reloaded')).toBe('v');
  }, 30_000);
});

async function waitFor(
  check: () => Promise<boolean>,
  what: string,
  timeoutMs: number,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
