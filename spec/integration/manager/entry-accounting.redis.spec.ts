import type Redis from 'ioredis';
import { LEASE_MARKER_PREFIX } from '../../../lib/entry/entry-format';
import { CacheAsideManager } from '../../../lib/manager/cache-aside.manager';
import { newTestClient, ready, uniquePrefix } from '../../support/test-redis';

/**
 * What `getTtl`, `setTtl` and `invalidate` say about entries (issue #12, finding 10): a tagged
 * entry whose tag was invalidated is no entry any more, and a load lease is never one.
 */
describe('CacheAsideManager entry accounting', () => {
  let redis: Redis;
  let cache: CacheAsideManager;
  let prefix: string;

  beforeAll(async () => {
    redis = newTestClient();
    await ready(redis);
  });

  beforeEach(() => {
    prefix = uniquePrefix('entry-accounting');
    cache = new CacheAsideManager({ redis, keyPrefix: prefix, ttlJitter: 0 });
  });

  afterEach(() => cache.close());

  afterAll(() => {
    redis.disconnect();
  });

  describe('getTtl() / setTtl() of a tagged entry', () => {
    it('report a live tagged entry like any other', async () => {
      await cache.set('p:1', 'v', { ttl: 60, tags: ['products'] });
      expect(await cache.getTtl('p:1')).toBe(60);
      expect(await cache.setTtl('p:1', 30)).toBe(true);
      expect(await cache.getTtl('p:1')).toBe(30);
    });

    it('report no entry (-2, false) once one of its tags was invalidated, as a read would', async () => {
      await cache.set('p:1', 'v', { ttl: 60, tags: ['products', 'featured'] });
      await cache.invalidateTags(['featured']);
      expect(await cache.getTtl('p:1')).toBe(-2);
      expect(await cache.setTtl('p:1', 30)).toBe(false);
      expect(await cache.get('p:1', () => 'reloaded', { tags: ['products'] })).toBe('reloaded');
    });
  });

  describe('invalidate()', () => {
    it('counts entries only: a load lease at a key is removed but not counted', async () => {
      await cache.set('a', 'v');
      // Another process loading 'b': its lease marker sits at the key.
      await redis.set(`${prefix}b`, `${LEASE_MARKER_PREFIX}someone-else-0123`, 'PX', 5000);
      expect(await cache.invalidate(['a', 'b', 'absent'])).toBe(1);
      expect(await redis.exists(`${prefix}a`, `${prefix}b`)).toBe(0);
    });

    it('counts a single lease as 0', async () => {
      await redis.set(`${prefix}c`, `${LEASE_MARKER_PREFIX}someone-else-0123`, 'PX', 5000);
      expect(await cache.invalidate('c')).toBe(0);
      expect(await redis.exists(`${prefix}c`)).toBe(0);
    });
  });
});
