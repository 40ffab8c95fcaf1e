import Redis6 from 'ioredis6';
import { CacheAsideManager } from '../../../lib';
import { testRedisUrl, uniquePrefix } from '../../support/test-redis';

/**
 * The peer range is ioredis ^5 || ^6: the same behaviours on a 6.x client (installed under the
 * alias `ioredis6`), so a release of either major cannot break users silently.
 */
describe('CacheAsideManager on an ioredis 6 client', () => {
  let redis: InstanceType<typeof Redis6>;
  let cache: CacheAsideManager;

  beforeAll(() => {
    redis = new Redis6(testRedisUrl(), { maxRetriesPerRequest: 1 });
    cache = new CacheAsideManager({
      redis,
      keyPrefix: uniquePrefix('ioredis6'),
    });
  });

  afterAll(async () => {
    await cache.close();
    await redis.quit();
  });

  it('reads through, hits, stores falsy values, and invalidates', async () => {
    const loader = jest.fn(async (key: string) => (key === 'zero' ? 0 : { key }));
    expect(await cache.get('a', loader)).toEqual({ key: 'a' });
    expect(await cache.get('zero', loader)).toBe(0);
    await cache.settle();
    expect(await cache.get('a', loader)).toEqual({ key: 'a' });
    expect(await cache.get('zero', loader)).toBe(0);
    expect(loader).toHaveBeenCalledTimes(2);
    expect(await cache.getMany(['a', 'zero', 'b'], async (missing) => missing)).toEqual([
      { key: 'a' },
      0,
      'b',
    ]);
    expect(await cache.setTtl('a', 30)).toBe(true);
    expect(await cache.getTtl('a')).toBe(30);
    expect(await cache.invalidatePattern('*')).toBe(3);
    expect(await cache.invalidate('a')).toBe(0);
    expect(cache.stats().errors).toBe(0);
  });

  it('is served by the loader, quickly, when the server is unreachable', async () => {
    // Nothing listens on port 1; no reconnects, so the client ends by itself.
    const dead = new Redis6('redis://127.0.0.1:1', {
      maxRetriesPerRequest: 1,
      retryStrategy: () => null,
    });
    dead.on('error', () => undefined);
    const offline = new CacheAsideManager({
      redis: dead,
      operationTimeoutMs: 100,
    });
    const started = performance.now();
    expect(await offline.get('k', async () => 'loaded')).toBe('loaded');
    expect(performance.now() - started).toBeLessThan(1000);
    await offline.close();
    dead.disconnect();
  });
});
