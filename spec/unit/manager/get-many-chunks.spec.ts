import type Redis from 'ioredis';
import RedisMock from 'ioredis-mock';
import { CacheAsideManager, type CacheError } from '../../../lib';
import * as scripts from '../../../lib/redis/scripts';
import {
  ACQUIRE_LEASE,
  REDIS_TIME,
  STORE_IF_LEASED,
  type LuaScript,
} from '../../../lib/redis/scripts';

const ALL_SCRIPTS = Object.values(scripts).filter(
  (value): value is LuaScript => typeof value === 'object' && 'sha1' in value,
);

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
    // Stored by another manager: this one's breaker opens at its first failure, and the mock's
    // NOSCRIPT (before it knows a script) is not a reply error.
    const seeder = new CacheAsideManager({ redis, keyPrefix: 'chunks:', ttlJitter: 0 });
    await seeder.set('e', 'cached e');
    await seeder.close();
    failMgetAt = 2;
    loader.mockClear();
    expect(await cache.getMany(keys, loader)).toEqual(['va', 'vb', 'vc', 'vd', 've']);
    expect(mgets).toHaveLength(2);
    expect(loader).toHaveBeenCalledWith(keys);
    expect(errors.map((e) => [e.code, e.operation])).toEqual([['REDIS_UNAVAILABLE', 'getMany']]);
    // A breaker that opens at the first failure stays closed: chunks are not counted.
    expect(cache.stats().circuit).toBe('closed');
  });

  /**
   * Makes the mock reject the scripts `failing` picks (by SHA for EVALSHA, by source for EVAL),
   * recording every script call's first key and which script it was.
   */
  function rejectScripts(failing: (script: LuaScript) => boolean): Array<[string, LuaScript]> {
    const calls: Array<[string, LuaScript]> = [];
    const byId = new Map(
      ALL_SCRIPTS.flatMap((sc) => [[sc.sha1, sc] as const, [sc.source, sc] as const]),
    );
    for (const name of ['evalsha', 'eval'] as const) {
      const original = (redis as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[
        name
      ].bind(redis);
      (redis as unknown as Record<string, unknown>)[name] = (
        id: string,
        n: number,
        key: string,
        ...rest: unknown[]
      ) => {
        const script = byId.get(id);
        if (script !== undefined) calls.push([key, script]);
        return script !== undefined && failing(script)
          ? Promise.reject(new Error('Connection is closed.'))
          : original(id, n, key, ...rest);
      };
    }
    return calls;
  }

  it('reports leases refused for a chunk once, and takes none after it', async () => {
    // A lease take is fenced: the node's clock first (REDIS_TIME, one request for the keys
    // waiting on it), then ACQUIRE_LEASE.
    const calls = rejectScripts((sc) => sc === REDIS_TIME || sc === ACQUIRE_LEASE);
    loader.mockClear();
    expect(await cache.getMany(keys, loader)).toEqual(['va', 'vb', 'vc', 'vd', 've']);
    await cache.settle();
    const takes = calls.filter(([, sc]) => sc === REDIS_TIME || sc === ACQUIRE_LEASE);
    // The first chunk's one clock request, shared by its two keys; no take, and no more.
    expect(takes).toEqual([['chunks:a', REDIS_TIME]]);
    expect(errors.map((e) => [e.code, e.key])).toEqual([['REDIS_UNAVAILABLE', undefined]]);
    expect(cache.stats().circuit).toBe('closed');
  });

  it('goes on storing after a chunk that failed, and reports the stores of the batch once', async () => {
    const calls = rejectScripts((sc) => sc === STORE_IF_LEASED);
    expect(await cache.getMany(keys, loader)).toEqual(['va', 'vb', 'vc', 'vd', 've']);
    await cache.settle();
    // Every leased key's store, chunk after chunk.
    expect(calls.filter(([, sc]) => sc === STORE_IF_LEASED)).toHaveLength(5);
    expect(errors.map((e) => [e.code, e.operation])).toEqual([['REDIS_UNAVAILABLE', 'getMany']]);
  });

  it('refuses a chunk size that is not a positive integer', () => {
    expect(() => new CacheAsideManager({ redis, getManyChunkSize: 0 })).toThrow(/getManyChunkSize/);
  });
});
