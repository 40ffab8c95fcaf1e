import type Redis from 'ioredis';
import { CacheAsideManager } from '../../../lib/manager/cache-aside.manager';
import { startRedisServer, type RedisServer } from '../../support/redis-server';
import { FAULT_OPTIONS, newFaultClient, timed } from '../../support/fault-kit';
import { ready, uniquePrefix } from '../../support/test-redis';

/**
 * Keys under the prefix that hold something that is not our entry (issue #11, finding 6): another
 * application's string. getTtl / setTtl treat them as "no entry" (the contract's -2 / false) and
 * never put an expiry on a key that is not ours.
 */
describe('getTtl / setTtl on a value that is not an entry', () => {
  let server: RedisServer;
  let redis: Redis;
  let cache: CacheAsideManager;
  let prefix: string;

  beforeAll(async () => {
    server = await startRedisServer();
    redis = newFaultClient(server.url);
    await ready(redis);
    prefix = uniquePrefix('foreign');
    cache = new CacheAsideManager({ redis, keyPrefix: prefix, ...FAULT_OPTIONS });
  });

  afterAll(async () => {
    await cache.close();
    redis.disconnect();
    await server.stop();
  });

  it('reports no entry and leaves the foreign key without an expiry', async () => {
    await redis.set(`${prefix}foreign`, 'another application wrote this');

    expect(await cache.getTtl('foreign')).toBe(-2);
    expect(await cache.setTtl('foreign', 60)).toBe(false);
    expect(await redis.pttl(`${prefix}foreign`)).toBe(-1);
    expect(await redis.get(`${prefix}foreign`)).toBe('another application wrote this');
  });

  it('still reports and rewrites the TTL of our own entry', async () => {
    await cache.set('ours', 'v', { ttl: 30 });
    expect(await cache.getTtl('ours')).toBe(30);
    expect(await cache.setTtl('ours', 60)).toBe(true);
    expect(await cache.getTtl('ours')).toBe(60);
  });

  it('does not wait on a foreign string shaped like a lease marker that has no expiry', async () => {
    // Our leases always expire (leaseTtlMs); one with no TTL was not written by a manager.
    const leased = new CacheAsideManager({
      redis,
      keyPrefix: prefix,
      ...FAULT_OPTIONS,
      leaseTtlMs: 5000,
    });
    try {
      await redis.set(`${prefix}planted`, 'CA~lease~AAAAAAAAAAAAAAAA');
      const first = await timed(() => leased.get('planted', () => 'loaded'));
      expect(first.value).toBe('loaded');
      expect(first.ms).toBeLessThan(1000);
      await leased.settle();
      const second = await timed(() => leased.get('planted', () => 'loaded again'));
      expect(second.value).toBe('loaded');
      expect(second.ms).toBeLessThan(1000);
    } finally {
      await leased.close();
    }
  });
});
