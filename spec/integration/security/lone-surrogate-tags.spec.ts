import type Redis from 'ioredis';
import { CacheAsideManager } from '../../../lib/manager/cache-aside.manager';
import { captureErrors, codesOf, isHit } from '../../support/fault-kit';
import { keysUnder, newTestClient, ready, uniquePrefix } from '../../support/test-redis';

/**
 * Tags holding lone UTF-16 surrogates: a client sends a tag's version key as UTF-8, where every
 * lone surrogate becomes U+FFFD, so `'t\uD800'`, `'t\uDFFF'` and `'t\uFFFD'` were one version
 * key and invalidating one of them invalidated the entries of the others (as keys did before
 * they were stored at `~u…`: lone-surrogate-keys.spec.ts).
 */
const TAGS = ['t\uD800', 't\uDFFF', 't\uFFFD'];

describe('CacheAsideManager with tags holding lone surrogates (real redis-server)', () => {
  let redis: Redis;
  let cache: CacheAsideManager;
  let prefix: string;

  beforeAll(async () => {
    redis = newTestClient();
    await ready(redis);
  });

  beforeEach(() => {
    prefix = uniquePrefix('lone-surrogate-tags');
    cache = new CacheAsideManager({ redis, keyPrefix: prefix, ttlJitter: 0 });
  });

  afterEach(async () => {
    await cache.close();
  });

  afterAll(() => {
    redis.disconnect();
  });

  it.each(TAGS.map((tag, i) => [i, tag] as const))(
    'invalidating tag %i drops its own entries only (get, set and getMany)',
    async (i, tag) => {
      const errors = captureErrors(cache);
      for (const [j, each] of TAGS.entries()) {
        await cache.get(`loaded:${j}`, () => `v${j}`, { tags: [each] });
        await cache.set(`set:${j}`, `v${j}`, { tags: [each] });
        await cache.getMany([`many:${j}`], () => [`v${j}`], { tags: [each] });
      }
      await cache.settle();
      expect(await cache.invalidateTags([tag])).toBe(1);
      for (const [j] of TAGS.entries())
        for (const key of [`loaded:${j}`, `set:${j}`, `many:${j}`])
          expect([key, await isHit(cache, key)]).toEqual([key, j !== i]);
      expect(codesOf(errors)).toEqual([]);
    },
  );

  it('serves an entry tagged with lone surrogates as a hit until its tag is invalidated', async () => {
    const tags = ['a\uD800', 'b\uDC00c', 'd\uD83D\uDE00']; // the last one is a pair: text
    await cache.get('k', () => 'v', { tags });
    await cache.settle();
    expect(await isHit(cache, 'k')).toBe(true);
    expect(await cache.invalidateTags(['b\uDC00c'])).toBe(1);
    expect(await isHit(cache, 'k')).toBe(false);
  });

  it('keeps the version key of a well-formed tag where it was (`<prefix>~t:<tag>`)', async () => {
    await cache.get('k', () => 'v', { tags: ['users', 't\uFFFD', 'a\uD83D\uDE00', '%u'] });
    await cache.settle();
    expect(
      await redis.exists(`${prefix}~t:users`, `${prefix}~t:t\uFFFD`, `${prefix}~t:a\uD83D\uDE00`),
    ).toBe(3);
    expect(await redis.exists(`${prefix}~t:%u`)).toBe(1);
  });

  it('removes the version keys of every tag, lone surrogates or not, with invalidatePattern("*")', async () => {
    await cache.get('k', () => 'v', { tags: [...TAGS, 'users'] });
    await cache.settle();
    expect((await keysUnder(redis, prefix)).length).toBeGreaterThan(1);
    await cache.invalidatePattern('*');
    expect(await keysUnder(redis, prefix)).toEqual([]);
  });
});
