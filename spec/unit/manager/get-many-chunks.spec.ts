import type Redis from 'ioredis';
import RedisMock from 'ioredis-mock';
import { CacheAsideManager, type CacheError } from '../../../lib';

/**
 * `getMany` in chunks of `getManyChunkSize` (issue #11, finding 9): each chunk one MGET, the
 * loader once with every missing key, a failing chunk reported once and the rest not asked.
 */
let instances = 0;

describe('CacheAsideManager.getMany in chunks', () => {
  let redis: Redis;
  let cache: CacheAsideManager;
  let errors: CacheError[];
  let mgets: string[][];
  let failMgetAt: number | undefined;

  beforeEach(() => {
    redis = new RedisMock({ port: 24_000 + ++instances });
    Object.defineProperty(redis, 'status', { value: 'ready', writable: true });
    mgets = [];
    failMgetAt = undefined;
    const mget = redis.mgetBuffer.bind(redis) as (...keys: string[]) => Promise<unknown>;
    (redis as unknown as { mgetBuffer: unknown }).mgetBuffer = (...keys: string[]) => {
      mgets.push(keys);
      return mgets.length === failMgetAt
        ? Promise.reject(new Error('Connection is closed.'))
        : mget(...keys);
    };
    cache = new CacheAsideManager({
      redis,
      keyPrefix: 'chunks:',
      ttlJitter: 0,
      getManyChunkSize: 2,
      circuitBreaker: { failureThreshold: 1 },
    });
    errors = [];
    cache.on('error', (e) => errors.push(e));
  });

  afterEach(async () => {
    await cache.close();
    redis.disconnect();
  });

  const keys = ['a', 'b', 'c', 'd', 'e'];
  const loader = jest.fn((missing: string[]) => Promise.resolve(missing.map((k) => `v${k}`)));

  it('looks keys up one chunk at a time, calls the loader once, and stores every value', async () => {
    loader.mockClear();
    expect(await cache.getMany(keys, loader)).toEqual(['va', 'vb', 'vc', 'vd', 've']);
    expect(mgets.map((chunk) => chunk.length)).toEqual([2, 2, 1]);
    expect(loader).toHaveBeenCalledTimes(1);
    await cache.settle();
    expect(await cache.getMany(keys, loader)).toEqual(['va', 'vb', 'vc', 'vd', 've']);
    expect(loader).toHaveBeenCalledTimes(1);
    expect(errors).toEqual([]);
  });

  it('reports a failing chunk once, asks no later chunk, serves the batch from the loader', async () => {
    await cache.set('e', 'cached e');
    failMgetAt = 2;
    loader.mockClear();
    expect(await cache.getMany(keys, loader)).toEqual(['va', 'vb', 'vc', 'vd', 've']);
    expect(mgets).toHaveLength(2);
    expect(loader).toHaveBeenCalledWith(keys);
    expect(errors.map((e) => [e.code, e.operation])).toEqual([['REDIS_UNAVAILABLE', 'getMany']]);
    // A breaker that opens at the first failure stays closed: chunks are not counted.
    expect(cache.stats().circuit).toBe('closed');
  });

  it('reports leases refused for a chunk once, and takes none after it', async () => {
    const sets: unknown[][] = [];
    (redis as unknown as { set: unknown }).set = (...args: unknown[]) => {
      sets.push(args);
      return Promise.reject(new Error('Connection is closed.'));
    };
    loader.mockClear();
    expect(await cache.getMany(keys, loader)).toEqual(['va', 'vb', 'vc', 'vd', 've']);
    await cache.settle();
    expect(sets).toHaveLength(2); // the first chunk's two leases, then no more
    expect(errors.map((e) => [e.code, e.key])).toEqual([['REDIS_UNAVAILABLE', undefined]]);
    expect(cache.stats().circuit).toBe('closed');
  });

  it('goes on storing after a chunk that failed, and reports the stores of the batch once', async () => {
    let scripts = 0;
    for (const name of ['evalsha', 'eval'] as const) {
      (redis as unknown as Record<string, unknown>)[name] = () => {
        scripts++;
        return Promise.reject(new Error('Connection is closed.'));
      };
    }
    expect(await cache.getMany(keys, loader)).toEqual(['va', 'vb', 'vc', 'vd', 've']);
    await cache.settle();
    expect(scripts).toBe(5); // every leased key's store, chunk after chunk
    expect(errors.map((e) => [e.code, e.operation])).toEqual([['REDIS_UNAVAILABLE', 'getMany']]);
  });

  it('refuses a chunk size that is not a positive integer', () => {
    expect(() => new CacheAsideManager({ redis, getManyChunkSize: 0 })).toThrow(/getManyChunkSize/);
  });
});
