import RedisMock from 'ioredis-mock';
import { CacheAsideManager, type CacheAsideOptions, type RedisClient } from '../../../lib';

let port = 22_000;
function manager(options: Partial<CacheAsideOptions> = {}): CacheAsideManager {
  const redis = new RedisMock({ port: ++port }) as unknown as RedisClient;
  Object.defineProperty(redis, 'status', { value: 'ready', writable: true });
  return new CacheAsideManager({ redis, ttlJitter: 0, ...options });
}

/** Loads `key` through `get` and says how many times the loader ran over two reads. */
async function loadsOver2Reads(
  cache: CacheAsideManager,
  key: string,
  value: unknown,
  opts: object = {},
): Promise<number> {
  let loads = 0;
  const loader = (): unknown => {
    loads++;
    return value;
  };
  await cache.get(key, loader, opts);
  await cache.settle();
  await cache.get(key, loader, opts);
  return loads;
}

describe('negative caching (nullTtl)', () => {
  const managers: CacheAsideManager[] = [];
  const make = (options: Partial<CacheAsideOptions> = {}): CacheAsideManager => {
    const m = manager(options);
    managers.push(m);
    return m;
  };
  afterEach(async () => {
    await Promise.all(managers.splice(0).map((m) => m.close()));
  });

  it('by default keeps null and undefined with the same TTL as any value', async () => {
    const cache = make({ defaultTtl: 30 });
    expect(await loadsOver2Reads(cache, 'n', null)).toBe(1);
    expect(await loadsOver2Reads(cache, 'u', undefined)).toBe(1);
    expect(await cache.getTtl('n')).toBe(30);
  });

  it('nullTtl: 10 on the manager keeps null for 10 s, other values for their own TTL', async () => {
    const cache = make({ defaultTtl: 60, nullTtl: 10 });
    expect(await loadsOver2Reads(cache, 'n', null)).toBe(1);
    expect(await cache.getTtl('n')).toBe(10);
    await loadsOver2Reads(cache, 'v', 'value');
    expect(await cache.getTtl('v')).toBe(60);
    // A call's ttl applies to values; the manager's nullTtl still wins for null.
    await loadsOver2Reads(cache, 'n2', null, { ttl: 300 });
    expect(await cache.getTtl('n2')).toBe(10);
  });

  it('nullTtl: false never stores null or undefined: every read loads', async () => {
    const cache = make({ nullTtl: false });
    expect(await loadsOver2Reads(cache, 'n', null)).toBe(2);
    expect(await loadsOver2Reads(cache, 'u', undefined)).toBe(2);
    expect(await cache.getTtl('n')).toBe(-2);
    expect(await loadsOver2Reads(cache, 'v', 0)).toBe(1); // falsy but not null: stored
  });

  it('a per-call nullTtl overrides the manager', async () => {
    const cache = make({ nullTtl: false });
    expect(await loadsOver2Reads(cache, 'n', null, { nullTtl: 20 })).toBe(1);
    expect(await cache.getTtl('n')).toBe(20);
    const keeping = make({ nullTtl: 20 });
    expect(await loadsOver2Reads(keeping, 'n', null, { nullTtl: false })).toBe(2);
  });

  it('getMany follows the same rule per key', async () => {
    const cache = make({ nullTtl: false });
    let calls: string[][] = [];
    const loader = (missing: string[]): unknown[] => {
      calls.push(missing);
      return missing.map((key) => (key === 'none' ? null : key));
    };
    expect(await cache.getMany(['a', 'none'], loader)).toEqual(['a', null]);
    await cache.settle();
    calls = [];
    expect(await cache.getMany(['a', 'none'], loader)).toEqual(['a', null]);
    expect(calls).toEqual([['none']]);
    await cache.getMany(['other'], () => [null], { nullTtl: 15 });
    await cache.settle();
    expect(await cache.getTtl('other')).toBe(15);
  });

  it('set: null gets nullTtl; with nullTtl false the key is removed, not left stale', async () => {
    const cache = make({ nullTtl: 5 });
    await cache.set('k', null);
    expect(await cache.getTtl('k')).toBe(5);
    await cache.set('k', 'old');
    await cache.set('k', null, { nullTtl: false });
    expect(await cache.getTtl('k')).toBe(-2);
    expect(await cache.get('k', () => 'loaded')).toBe('loaded');
  });

  it('refuses a nullTtl that is neither a positive TTL nor false', async () => {
    expect(() => make({ nullTtl: 0 })).toThrow(/nullTtl must be a positive number/);
    expect(() => make({ nullTtl: true as unknown as false })).toThrow(/nullTtl/);
    const cache = make();
    await expect(cache.get('k', () => null, { nullTtl: -1 })).rejects.toThrow(/nullTtl/);
  });
});
