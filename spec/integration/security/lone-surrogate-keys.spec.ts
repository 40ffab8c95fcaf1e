import type Redis from 'ioredis';
import { CacheAsideManager } from '../../../lib/manager/cache-aside.manager';
import { captureErrors, codesOf } from '../../support/fault-kit';
import { keysUnder, newTestClient, ready, uniquePrefix } from '../../support/test-redis';

/**
 * Keys holding lone UTF-16 surrogates (issue #11, finding 5): a client sends a string key as
 * UTF-8, where every lone surrogate becomes U+FFFD, so `'x\uD800'`, `'x\uDFFF'` and `'x\uFFFD'`
 * were one Redis key: a read returned another key's value, an invalidation removed another key.
 */
const KEYS = ['x\uD800', 'x\uDFFF', 'x\uFFFD'];

describe('CacheAsideManager with keys holding lone surrogates (real redis-server)', () => {
  let redis: Redis;
  let cache: CacheAsideManager;
  let prefix: string;

  beforeAll(async () => {
    redis = newTestClient();
    await ready(redis);
  });

  beforeEach(() => {
    prefix = uniquePrefix('lone-surrogates');
    cache = new CacheAsideManager({ redis, keyPrefix: prefix, ttlJitter: 0 });
  });

  afterEach(async () => {
    await cache.close();
  });

  afterAll(() => {
    redis.disconnect();
  });

  it('stores each under a Redis key of its own: get, set and getTtl see only their own entry', async () => {
    const errors = captureErrors(cache);
    for (const [i, key] of KEYS.entries()) await cache.set(key, `value ${i}`, { ttl: 100 + i });
    for (const [i, key] of KEYS.entries()) {
      expect(await cache.get(key, () => 'loaded')).toBe(`value ${i}`);
      const ttl = await cache.getTtl(key);
      expect(ttl).toBeGreaterThan(100 + i - 2);
      expect(ttl).toBeLessThanOrEqual(100 + i);
    }
    expect(await keysUnder(redis, prefix)).toHaveLength(3);
    expect(codesOf(errors)).toEqual([]);
  });

  it('invalidates one without touching the others', async () => {
    for (const key of KEYS) await cache.set(key, key);
    expect(await cache.invalidate(KEYS[0])).toBe(1);
    expect(await cache.getTtl(KEYS[0])).toBe(-2);
    expect(await cache.get(KEYS[1], () => 'loaded')).toBe(KEYS[1]);
    expect(await cache.get(KEYS[2], () => 'loaded')).toBe(KEYS[2]);
    expect(await cache.invalidate(KEYS[2])).toBe(1);
    expect(await cache.get(KEYS[1], () => 'loaded')).toBe(KEYS[1]);
  });

  it('keeps the key of a well-formed string (an existing entry stays a hit)', async () => {
    await redis.set(`${prefix}plain`, 'not ours'); // a witness that raw keys are unchanged
    await cache.set('x\uFFFD', 'v');
    await cache.set('a\uD83D\uDE00', 'pair'); // a surrogate pair is text: its key is its UTF-8
    expect(await redis.exists(`${prefix}x\uFFFD`, `${prefix}a\uD83D\uDE00`)).toBe(2);
  });

  it('reaches them by pattern: a glob removes the keys it matches, lone surrogates or not', async () => {
    for (const key of [...KEYS, 'y\uD800']) await cache.set(key, key);
    expect(await cache.invalidatePattern('x*')).toBe(3);
    expect(await cache.getTtl('y\uD800')).toBeGreaterThan(0);
    for (const key of KEYS) expect(await cache.getTtl(key)).toBe(-2);
  });

  it('serves getMany from each key of its own', async () => {
    for (const key of KEYS) await cache.set(key, key);
    expect(await cache.getMany(KEYS, () => Promise.resolve(['a', 'b', 'c']))).toEqual(KEYS);
  });
});
