import type Redis from 'ioredis';
import { CacheAsideManager } from '../../../lib/manager/cache-aside.manager';
import { startRedisServer, type RedisServer } from '../../support/redis-server';
import {
  captureErrors,
  codesOf,
  FAULT_OPTIONS,
  newFaultClient,
  pollUntil,
} from '../../support/fault-kit';
import { ready, uniquePrefix } from '../../support/test-redis';

/**
 * A hung server wakes up with the stale entry still in it and an invalidation of it queued:
 * the stale value is never served, and the invalidation is replayed as soon as Redis answers.
 */
describe('CacheAsideManager with an invalidation pending when Redis answers again', () => {
  let server: RedisServer;
  let redis: Redis;

  beforeAll(async () => {
    server = await startRedisServer();
    redis = newFaultClient(server.url);
    await ready(redis);
  });

  afterAll(async () => {
    server.resume();
    redis.disconnect();
    await server.stop();
  });

  it('does not serve the stale entry before the queue is replayed', async () => {
    const prefix = uniquePrefix('fault-pending');
    // The retry timer is a minute away: only the recovery of Redis itself can trigger the replay.
    const cache = new CacheAsideManager({
      redis,
      keyPrefix: prefix,
      ...FAULT_OPTIONS,
      invalidationRetryMs: 60_000,
    });
    const errors = captureErrors(cache);
    try {
      await cache.get('row', () => 'old row');
      await cache.settle();

      server.pause();
      try {
        // Three timeouts open the circuit; the invalidation is then refused locally (never sent).
        for (let i = 0; i < 3; i++) await cache.get(`cold${i}`, () => 'x');
        expect(await cache.invalidate('row')).toBe(0);
      } finally {
        server.resume();
      }
      expect(codesOf(errors)).toEqual([
        'REDIS_TIMEOUT',
        'REDIS_TIMEOUT',
        'REDIS_TIMEOUT',
        'REDIS_UNAVAILABLE',
        'INVALIDATION_DEFERRED',
      ]);
      expect(cache.stats().pendingInvalidations).toBe(1);

      // The first command that succeeds after the outage closes the circuit and replays the
      // queued invalidation at once (a hung server that wakes up never reconnects, so no
      // 'ready' event would have triggered it). Until then, reads of 'row' skip Redis.
      expect(await cache.get('row', () => 'new row')).toBe('new row');
      await pollUntil('the queued invalidation replayed', async () => {
        await cache.get(`probe${Date.now()}`, () => 'probe');
        return cache.stats().pendingInvalidations === 0;
      });
      expect(await redis.exists(`${prefix}row`)).toBe(0);
      expect(await cache.get('row', () => 'newest row')).toBe('newest row');
    } finally {
      await cache.close();
    }
  });
});
