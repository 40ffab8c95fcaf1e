import { createSentinel } from 'redis';
import { CacheAsideManager, type CacheError } from '../../../lib';
import {
  startRedisSentinel,
  startRedisWithReplica,
  type RedisServer,
} from '../../support/redis-server';
import { timed } from '../../support/fault-kit';
import { runUser, runUserCredentials } from '../../support/acl-users';
import { collectErrors, uniquePrefix } from '../../support/test-redis';

/**
 * The Sentinel story of `sentinel.redis.spec.ts`, on node-redis's `createSentinel()`: the manager
 * works through it, and when the master dies it serves from the loader until node-redis has
 * followed the promoted replica, then caches again (measured).
 */
describe('CacheAsideManager behind Redis Sentinel (node-redis createSentinel)', () => {
  const masterName = 'cache-aside-nr';
  let master: RedisServer;
  let replica: RedisServer;
  let sentinel: RedisServer;
  let redis: ReturnType<typeof createSentinel>;
  let cache: CacheAsideManager;
  const errors: CacheError[] = [];

  beforeAll(async () => {
    ({ master, replica } = await startRedisWithReplica());
    sentinel = await startRedisSentinel(master.port, masterName);
    redis = createSentinel({
      name: masterName,
      sentinelRootNodes: [{ host: '127.0.0.1', port: sentinel.port }],
      // The master and replica as the run's ACL user (integration:acl projects); the Sentinel
      // itself as the default user.
      nodeClientOptions: runUserCredentials(),
    });
    redis.on('error', () => undefined); // connection errors during the failover are expected here
    await redis.connect();
    cache = new CacheAsideManager({
      redis,
      keyPrefix: uniquePrefix('sentinel-nr'),
      operationTimeoutMs: 200,
      circuitBreaker: { cooldownMs: 200 },
    });
    collectErrors(cache, errors);
  }, 30_000);

  afterAll(async () => {
    await cache.close();
    await redis.destroy();
    await Promise.all([sentinel, replica, master].map((server) => server.stop()));
  });

  it('reads through, hits and invalidates through a node-redis Sentinel client', async () => {
    const loader = jest.fn(async (key: string) => ({ key }));
    expect(await cache.get('a', loader)).toEqual({ key: 'a' });
    await cache.settle();
    expect(await cache.get('a', loader)).toEqual({ key: 'a' });
    expect(loader).toHaveBeenCalledTimes(1);
    expect(await cache.invalidate('a')).toBe(1);
    expect(errors).toEqual([]);
    expect(await redis.sendCommand(false, ['ACL', 'WHOAMI'])).toBe(runUser() ?? 'default');
  });

  it('serves from the loader during a failover and caches again on the promoted replica', async () => {
    await cache.set('survives-replication', 'v');
    const deadline = performance.now() + 5000;
    while (replica.cli('get', `${cache.keyPrefix}survives-replication`).length === 0) {
      if (performance.now() > deadline) throw new Error('not replicated within 5 s');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await master.kill();
    const started = performance.now();
    let calls = 0;
    let cachedAgain = false;
    // Bounded: a read every 100 ms for at most 20 s; none may throw.
    while (!cachedAgain && performance.now() - started < 20_000) {
      const key = `during-failover-${calls++}`;
      const { value, ms } = await timed(() => cache.get(key, async () => key));
      expect(value).toBe(key);
      // Never waited on past the deadline (plus scheduling slack), whatever node-redis is doing;
      // on the time the process could run (a loaded CI machine once held it 504 ms of wall time).
      expect(ms).toBeLessThan(200 + 300);
      await cache.settle();
      cachedAgain =
        (await cache.get(key, async () => 'reloaded')) === key &&
        replica.cli('exists', `${cache.keyPrefix}${key}`) === '1';
      if (!cachedAgain) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const failoverMs = performance.now() - started;
    console.log(
      `[measured] Sentinel failover (node-redis): caching again ${failoverMs.toFixed(0)} ms after the master was killed`,
    );
    expect(cachedAgain).toBe(true);
    expect(replica.cli('role').startsWith('master')).toBe(true);
    expect(await cache.get('survives-replication', async () => 'reloaded')).toBe('v');
  }, 30_000);
});
